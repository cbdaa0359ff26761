/** The pure parts: checksums, meta validation/encoding, the gc plan. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobInfo, verifyBlob } from '../../../../runtime/checkpoint/storage/checksum.js';
import { decodeMeta, encodeMeta, validateMeta } from '../../../../runtime/checkpoint/storage/checkpoint-meta.js';
import { planGc } from '../../../../runtime/checkpoint/storage/gc-plan.js';
import { bytesOf, meta } from './backend-contract.js';

describe('checksum', () => {
  it('blobInfo is size + hex sha256', () => {
    expect(blobInfo(bytesOf('abc'))).toEqual({ size: 3, sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad' });
    expect(blobInfo(new Uint8Array(0)).sha256).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(blobInfo(Uint8Array.from([0, 1, 2, 3]).subarray(1, 3))).toEqual(blobInfo(Uint8Array.from([1, 2])));
  });

  it('verifyBlob names what is wrong', () => {
    const info = blobInfo(bytesOf('hello'));
    expect(verifyBlob(bytesOf('hello'), info)).toBeUndefined();
    expect(verifyBlob(undefined, info)).toBe('missing');
    expect(verifyBlob(bytesOf('hel'), info)).toBe('truncated: 3 bytes, expected 5');
    expect(verifyBlob(bytesOf('hello!'), info)).toBe('size mismatch: 6 bytes, expected 5');
    expect(verifyBlob(bytesOf('jello'), info)).toMatch(/^sha256 mismatch: [0-9a-f]{64}, expected [0-9a-f]{64}$/);
  });
});

describe('checkpoint meta', () => {
  it('round-trips through its encoding; anything malformed decodes to undefined', () => {
    const m = meta('job', 4, { 'a/0': bytesOf('x') }, 'savepoint');
    expect(decodeMeta(encodeMeta(m))).toEqual(m);
    expect(decodeMeta('{')).toBeUndefined();
    expect(decodeMeta('null')).toBeUndefined();
    expect(decodeMeta(JSON.stringify({ ...m, id: -1 }))).toBeUndefined();
    expect(decodeMeta(JSON.stringify({ ...m, blobs: { 'a/0': { size: 1 } } }))).toBeUndefined();
  });

  it('validation names the bad field', () => {
    expect(() => validateMeta({ ...meta('job', 1), parallelism: { map: 0 } })).toThrow("parallelism['map'] must be a positive integer");
    expect(() => validateMeta({ ...meta('job', 1), createdAt: NaN })).toThrow('createdAt must be a finite number');
    expect(() => validateMeta({ ...meta('job', 1), job: 'a b' })).toThrow('invalid job name "a b"');
  });
});

describe('planGc', () => {
  it('keeps savepoints and the newest N others; drops uncommitted ids only below the newest commit', () => {
    const metas = [meta('j', 1), meta('j', 2, {}, 'savepoint'), meta('j', 3), meta('j', 5), meta('j', 6, {}, 'final')];
    expect(planGc(metas, [1, 2, 3, 4, 5, 6, 7], 2)).toEqual({ dropCommitted: [3, 1], dropUncommitted: [4] });
    expect(planGc(metas, [], 0)).toEqual({ dropCommitted: [6, 5, 3, 1], dropUncommitted: [] });
    expect(planGc([], [1, 2], 1)).toEqual({ dropCommitted: [], dropUncommitted: [] });
  });

  it('property: never drops a savepoint, keeps exactly min(N, others) of the rest, never drops ids above the newest commit', () => {
    const kind = fc.constantFrom('checkpoint' as const, 'savepoint' as const, 'final' as const);
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(50)), fc.array(kind, { minLength: 51, maxLength: 51 }), fc.uniqueArray(fc.nat(60)), fc.nat(5), (ids, kinds, stored, keep) => {
        const metas = ids.map((id) => meta('j', id, {}, kinds[id]));
        const plan = planGc(metas, [...stored, ...ids], keep);
        const dropped = new Set(plan.dropCommitted);
        const newest = Math.max(-1, ...ids);
        expect(metas.filter((m) => m.kind === 'savepoint' && dropped.has(m.id))).toEqual([]);
        const others = metas.filter((m) => m.kind !== 'savepoint');
        expect(others.filter((m) => !dropped.has(m.id)).length).toBe(Math.min(keep, others.length));
        expect(others.filter((m) => !dropped.has(m.id)).every((m) => others.filter((o) => dropped.has(o.id)).every((o) => o.id < m.id))).toBe(true);
        expect(plan.dropUncommitted.every((id) => id < newest && !ids.includes(id))).toBe(true);
        expect(stored.filter((id) => !ids.includes(id) && id < newest).sort((a, b) => a - b)).toEqual(plan.dropUncommitted);
      }),
    );
  });
});
