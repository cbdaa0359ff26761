/**
 * File backend specifics: the on-disk layout, crash safety of commit, and
 * detection of corrupt, truncated and missing blobs by latestValid.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { blobFileName, fileBackend } from '../../../../runtime/checkpoint/storage/file-backend.js';
import { latestValid, loadCheckpoint } from '../../../../runtime/checkpoint/storage/restore.js';
import { bytesOf, checkpoint, meta } from './backend-contract.js';

const root = mkdtempSync(path.join(tmpdir(), 'weir-file-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function warnings() {
  const seen: string[] = [];
  return { seen, onCorrupt: (m: { id: number }, blob: string, reason: string) => void seen.push(`${m.id} ${blob}: ${reason}`) };
}

describe('file backend', () => {
  it('lays out <dir>/<job>/chk-<id>/ with encoded blob names and a JSON _metadata, leaving no temp files', async () => {
    const backend = fileBackend(root);
    expect(backend.description).toBe(`file:${root}`);
    const m = await checkpoint(backend, 'layout', 7, { 'counter/0': bytesOf('c0'), 'counter/1': bytesOf('c1') });
    const dir = path.join(root, 'layout', 'chk-7');
    expect(readdirSync(dir).sort()).toEqual(['_metadata', 'counter%2F0', 'counter%2F1']);
    expect(readFileSync(path.join(dir, 'counter%2F0'), 'utf8')).toBe('c0');
    expect(JSON.parse(readFileSync(path.join(dir, '_metadata'), 'utf8'))).toEqual(m);
  });

  it('a commit interrupted between blobs and metadata leaves no visible checkpoint, and gc removes it later', async () => {
    const backend = fileBackend(root);
    const job = 'interrupted';
    const m1 = await checkpoint(backend, job, 1, { 'op/0': bytesOf('one') });
    // Checkpoint 2: blobs written, then the process died while writing the metadata temp file.
    await backend.putBlob(job, 2, 'op/0', bytesOf('two'));
    const dir2 = path.join(root, job, 'chk-2');
    writeFileSync(path.join(dir2, '.tmp-0123456789abcdef'), JSON.stringify(meta(job, 2)).slice(0, 20));
    expect(await backend.list(job)).toEqual([m1]);
    expect((await latestValid(backend, job))?.meta).toEqual(m1);

    // A fresh backend object (a restarted process) sees the same.
    const restarted = fileBackend(root);
    expect(await restarted.list(job)).toEqual([m1]);
    await expect(loadCheckpoint(restarted, job, 2)).rejects.toMatchObject({ code: 'CHECKPOINT_NOT_FOUND' });

    // Not below the newest commit yet: kept (it could be in progress).
    await restarted.gc(job, 1);
    expect(existsSync(dir2)).toBe(true);
    await checkpoint(restarted, job, 3, { 'op/0': bytesOf('three') });
    await restarted.gc(job, 5);
    expect(existsSync(dir2)).toBe(false);
    expect((await restarted.list(job)).map((m) => m.id)).toEqual([3, 1]);
  });

  it('ignores checkpoint dirs whose _metadata is damaged or names another checkpoint, and stray entries', async () => {
    const backend = fileBackend(root);
    const job = 'damaged-meta';
    const m1 = await checkpoint(backend, job, 1, { 'op/0': bytesOf('one') });
    await checkpoint(backend, job, 2, { 'op/0': bytesOf('two') });
    await checkpoint(backend, job, 3, { 'op/0': bytesOf('three') });
    writeFileSync(path.join(root, job, 'chk-2', '_metadata'), '{"job": "damaged-meta", "id": 2, "kin');
    writeFileSync(path.join(root, job, 'chk-3', '_metadata'), JSON.stringify(meta(job, 1)));
    writeFileSync(path.join(root, job, 'notes.txt'), 'hello');
    expect(await backend.list(job)).toEqual([m1]);
  });

  it('latestValid falls back past a corrupt (bytes flipped on disk) and then a truncated blob, calling onCorrupt', async () => {
    const backend = fileBackend(root);
    const job = 'corrupt';
    const payload = (id: number) => ({ 'counter/0': bytesOf(`counter state ${id} `.repeat(50)), 'src/0': bytesOf(`offsets ${id}`) });
    const m1 = await checkpoint(backend, job, 1, payload(1));
    await checkpoint(backend, job, 2, payload(2));
    await checkpoint(backend, job, 3, payload(3));

    // 3: flip bytes in the middle of a blob (same size).
    const blob3 = path.join(root, job, 'chk-3', 'counter%2F0');
    const bytes = readFileSync(blob3);
    bytes[100] ^= 0xff;
    bytes[101] ^= 0x01;
    writeFileSync(blob3, bytes);
    // 2: truncate a blob.
    truncateSync(path.join(root, job, 'chk-2', 'src%2F0'), 3);

    const w = warnings();
    const restored = await latestValid(backend, job, { onCorrupt: w.onCorrupt });
    expect(restored?.meta).toEqual(m1);
    expect(restored?.blobs.get('counter/0')).toEqual(payload(1)['counter/0']);
    expect(w.seen).toHaveLength(2);
    expect(w.seen[0]).toMatch(/^3 counter\/0: sha256 mismatch/);
    expect(w.seen[1]).toBe(`2 src/0: truncated: 3 bytes, expected ${payload(2)['src/0'].length}`);

    await expect(loadCheckpoint(backend, job, 3)).rejects.toMatchObject({
      code: 'CHECKPOINT_CORRUPT',
      message: expect.stringMatching(/checkpoint 3 of job 'corrupt' in file:.* is unusable: blob 'counter\/0' sha256 mismatch/),
    });
  });

  it('a missing blob file makes the checkpoint invalid; with none valid, latestValid returns undefined', async () => {
    const backend = fileBackend(root);
    const job = 'missing-blob';
    await checkpoint(backend, job, 1, { 'a/0': bytesOf('a'), 'b/0': bytesOf('b') });
    rmSync(path.join(root, job, 'chk-1', 'b%2F0'));
    const w = warnings();
    expect(await latestValid(backend, job, { onCorrupt: w.onCorrupt })).toBeUndefined();
    expect(w.seen).toEqual(['1 b/0: missing']);
  });

  it('maps blob names to safe, distinct file names', () => {
    expect(blobFileName('counter/0')).toBe('counter%2F0');
    expect(blobFileName('_metadata')).toBe('%5Fmetadata');
    expect(blobFileName('..')).toBe('%2E.');
    expect(blobFileName('a.b_c-d')).toBe('a.b_c-d');
    expect(blobFileName('é')).toBe('%C3%A9');
    expect(() => blobFileName('/'.repeat(100))).toThrow(/too long for the file backend/);
    expect(() => blobFileName('a\uD800')).toThrow(/well-formed Unicode/);
    const char = fc.oneof(
      fc.constantFrom('/', '.', '_', '%', 'a', 'A', '0'),
      fc.integer({ min: 1, max: 0x10ffff }).filter((c) => c < 0xd800 || c > 0xdfff).map((c) => String.fromCodePoint(c)),
    );
    const name = fc.array(char, { minLength: 1, maxLength: 40 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(name, name, (a, b) => {
        const fa = blobFileName(a);
        return /^[A-Za-z0-9%-][A-Za-z0-9%._-]*$/.test(fa) && (a === b) === (fa === blobFileName(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('wraps file system failures in a WeirError naming the backend and path', async () => {
    const file = path.join(root, 'not-a-dir');
    writeFileSync(file, 'x');
    const backend = fileBackend(file);
    await expect(backend.putBlob('job', 1, 'op/0', bytesOf('x'))).rejects.toMatchObject({
      code: 'STATE_BACKEND_FAILED',
      retriable: false,
      message: expect.stringContaining(`state backend file:${file} failed (putBlob)`),
      context: { path: path.join(file, 'job', 'chk-1') },
    });
    expect(() => fileBackend('')).toThrow(/fileBackend needs a directory/);
  });
});
