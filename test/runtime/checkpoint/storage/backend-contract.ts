/**
 * The StateBackend contract, run against every backend
 * (memory, file, redis: see backend-contract.test.ts).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckpointMeta, StateBackend } from '../../../../runtime/checkpoint/storage/backend.js';
import { blobInfo } from '../../../../runtime/checkpoint/storage/checksum.js';
import { latestValid, loadCheckpoint } from '../../../../runtime/checkpoint/storage/restore.js';

export interface ContractTarget {
  /** Opens a backend on the same store (each call a new object). */
  open(): StateBackend;
  /** Runs before the tests, e.g. to fail early when the service is down. */
  check?(backend: StateBackend): Promise<void>;
}

/** A unique job name per run, so runs never see each other's data. */
export function uniqueJob(prefix: string): string {
  return `${prefix}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function meta(job: string, id: number, blobs: Record<string, Uint8Array> = {}, kind: CheckpointMeta['kind'] = 'checkpoint'): CheckpointMeta {
  return {
    job,
    id,
    kind,
    createdAt: 1_700_000_000_000 + id,
    fingerprint: 'fp-1',
    parallelism: { src: 1, counter: 2 },
    blobs: Object.fromEntries(Object.entries(blobs).map(([name, bytes]) => [name, blobInfo(bytes)])),
  };
}

/** Writes the blobs then commits: a complete checkpoint. */
export async function checkpoint(
  backend: StateBackend,
  job: string,
  id: number,
  blobs: Record<string, Uint8Array>,
  kind: CheckpointMeta['kind'] = 'checkpoint',
): Promise<CheckpointMeta> {
  for (const [name, bytes] of Object.entries(blobs)) await backend.putBlob(job, id, name, bytes);
  const m = meta(job, id, blobs, kind);
  await backend.commit(m);
  return m;
}

export const bytesOf = (text: string): Uint8Array => new TextEncoder().encode(text);

export function describeBackendContract(name: string, target: ContractTarget): void {
  describe(`StateBackend contract: ${name}`, () => {
    let backend: StateBackend;
    const jobs: string[] = [];
    const job = (prefix: string) => {
      const j = uniqueJob(prefix);
      jobs.push(j);
      return j;
    };

    beforeAll(async () => {
      backend = target.open();
      await target.check?.(backend);
    });

    afterAll(async () => {
      if (!backend) return;
      for (const j of jobs) await backend.clear(j);
      await backend.close();
    });

    it('round-trips binary blobs exactly (all byte values, empty, 1 MiB, odd names) and copies them', async () => {
      const j = job('roundtrip');
      const all = Uint8Array.from({ length: 256 }, (_, i) => i);
      const big = new Uint8Array(randomBytes(1 << 20));
      const names = ['counter/0', 'a:b/1', 'ünï cødé/2', '_metadata', '.tmp', '../x', '%2F'];
      await backend.putBlob(j, 1, names[0], all);
      await backend.putBlob(j, 1, names[1], new Uint8Array(0));
      await backend.putBlob(j, 1, names[2], big);
      for (const [i, n] of names.slice(3).entries()) await backend.putBlob(j, 1, n, bytesOf(`name ${i}`));
      // A view into a larger buffer: only the view's bytes are stored.
      const backing = Uint8Array.from([9, 9, 1, 2, 3, 9]);
      await backend.putBlob(j, 2, 'view/0', backing.subarray(2, 5));

      expect(await backend.getBlob(j, 1, names[0])).toEqual(all);
      expect(await backend.getBlob(j, 1, names[1])).toEqual(new Uint8Array(0));
      expect(Buffer.from((await backend.getBlob(j, 1, names[2]))!).equals(Buffer.from(big))).toBe(true);
      for (const [i, n] of names.slice(3).entries()) expect(await backend.getBlob(j, 1, n)).toEqual(bytesOf(`name ${i}`));
      expect(await backend.getBlob(j, 2, 'view/0')).toEqual(Uint8Array.from([1, 2, 3]));

      // No aliasing: changing the caller's array after put, or the returned one, changes nothing stored.
      all[0] = 255;
      const got = (await backend.getBlob(j, 1, names[0]))!;
      expect(got[0]).toBe(0);
      got[1] = 77;
      expect((await backend.getBlob(j, 1, names[0]))![1]).toBe(1);

      // Overwrite replaces.
      await backend.putBlob(j, 1, names[0], bytesOf('new'));
      expect(await backend.getBlob(j, 1, names[0])).toEqual(bytesOf('new'));

      expect(await backend.getBlob(j, 1, 'nope/0')).toBeUndefined();
      expect(await backend.getBlob(j, 99, names[0])).toBeUndefined();
      expect(await backend.getBlob(job('never-written'), 1, names[0])).toBeUndefined();
    });

    it('lists committed checkpoints newest first with their meta intact; uncommitted ones are invisible', async () => {
      const j = job('list');
      expect(await backend.list(j)).toEqual([]);
      const m1 = await checkpoint(backend, j, 1, { 'counter/0': bytesOf('one') });
      const m3 = await checkpoint(backend, j, 3, { 'counter/0': bytesOf('three'), 'counter/1': bytesOf('3b') }, 'savepoint');
      const m2 = await checkpoint(backend, j, 2, {}, 'final');
      await backend.putBlob(j, 4, 'counter/0', bytesOf('uncommitted'));
      await backend.putBlob(j, 0, 'counter/0', bytesOf('uncommitted too'));
      expect(await backend.list(j)).toEqual([m3, m2, m1]);
      // The caller's meta object is not aliased either.
      m1.blobs['counter/0'].size = 1234;
      expect((await backend.list(j))[2].blobs['counter/0'].size).toBe(3);
    });

    it('gc keeps the newest N checkpoints plus every savepoint and removes uncommitted blobs below the newest commit', async () => {
      const j = job('gc');
      const b = (id: number) => ({ 'counter/0': bytesOf(`c${id}`), 'src/0': bytesOf(`s${id}`) });
      await checkpoint(backend, j, 1, b(1));
      await checkpoint(backend, j, 2, b(2), 'savepoint');
      await checkpoint(backend, j, 3, b(3));
      for (const [n, v] of Object.entries(b(4))) await backend.putBlob(j, 4, n, v); // crashed before commit
      await checkpoint(backend, j, 5, b(5));
      await checkpoint(backend, j, 6, b(6), 'final');
      for (const [n, v] of Object.entries(b(7))) await backend.putBlob(j, 7, n, v); // in progress

      await backend.gc(j, 2);
      expect((await backend.list(j)).map((m) => m.id)).toEqual([6, 5, 2]);
      for (const id of [1, 3, 4]) expect(await backend.getBlob(j, id, 'counter/0'), `blob of ${id}`).toBeUndefined();
      for (const id of [2, 5, 6, 7]) expect(await backend.getBlob(j, id, 'src/0'), `blob of ${id}`).toEqual(bytesOf(`s${id}`));

      await backend.gc(j, 2); // idempotent
      expect((await backend.list(j)).map((m) => m.id)).toEqual([6, 5, 2]);

      await backend.gc(j, 0);
      expect((await backend.list(j)).map((m) => m.id)).toEqual([2]);
      expect(await backend.getBlob(j, 6, 'counter/0')).toBeUndefined();
      expect(await backend.getBlob(j, 2, 'counter/0')).toEqual(bytesOf('c2'));
      expect(await backend.getBlob(j, 7, 'counter/0')).toEqual(bytesOf('c7'));

      // Once 8 commits, the abandoned 7 is below the newest commit and goes.
      await checkpoint(backend, j, 8, b(8));
      await backend.gc(j, 1);
      expect((await backend.list(j)).map((m) => m.id)).toEqual([8, 2]);
      expect(await backend.getBlob(j, 7, 'counter/0')).toBeUndefined();

      await expect(backend.gc(j, -1)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await backend.gc(job('gc-empty'), 3); // nothing stored: no error
    });

    it('takes many concurrent puts for one checkpoint, and concurrent gc calls', async () => {
      const j = job('concurrent');
      for (let id = 1; id <= 6; id++) {
        const blobs = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`op${i % 4}/${i}`, bytesOf(`${id}-${i}`)]));
        await Promise.all(Object.entries(blobs).map(([n, v]) => backend.putBlob(j, id, n, v)));
        await backend.commit(meta(j, id, blobs));
      }
      await Promise.all([backend.gc(j, 2), backend.gc(j, 2), backend.gc(j, 1), backend.gc(j, 2)]);
      const ids = (await backend.list(j)).map((m) => m.id);
      expect(ids[0]).toBe(6);
      expect(ids.length).toBeLessThanOrEqual(2);
      const latest = await latestValid(backend, j);
      expect(latest?.meta.id).toBe(6);
      expect(latest?.blobs.size).toBe(40);
      expect(latest?.blobs.get('op3/39')).toEqual(bytesOf('6-39'));
      expect(await backend.getBlob(j, 1, 'op0/0')).toBeUndefined();
    });

    it('clear deletes everything of one job and nothing of another; jobs are isolated', async () => {
      const a = job('iso-a');
      const b = job('iso-b');
      const ma = await checkpoint(backend, a, 1, { 'op/0': bytesOf('A1') });
      const mb = await checkpoint(backend, b, 1, { 'op/0': bytesOf('B1') });
      await backend.putBlob(a, 2, 'op/0', bytesOf('A2'));
      expect(await backend.getBlob(a, 1, 'op/0')).toEqual(bytesOf('A1'));
      expect(await backend.getBlob(b, 1, 'op/0')).toEqual(bytesOf('B1'));
      expect(await backend.list(a)).toEqual([ma]);
      expect(await backend.list(b)).toEqual([mb]);

      await backend.gc(a, 0);
      expect(await backend.list(b)).toEqual([mb]);

      await backend.clear(a);
      expect(await backend.list(a)).toEqual([]);
      expect(await backend.getBlob(a, 1, 'op/0')).toBeUndefined();
      expect(await backend.getBlob(a, 2, 'op/0')).toBeUndefined();
      expect(await backend.list(b)).toEqual([mb]);
      expect(await backend.getBlob(b, 1, 'op/0')).toEqual(bytesOf('B1'));
      await backend.clear(a); // clearing an empty job is fine

      // The job can be used again after clear.
      await checkpoint(backend, a, 1, { 'op/0': bytesOf('again') });
      expect((await backend.list(a)).map((m) => m.id)).toEqual([1]);
    });

    it('latestValid returns the newest intact checkpoint and skips one with a replaced blob; loadCheckpoint restores by id', async () => {
      const j = job('restore');
      expect(await latestValid(backend, j)).toBeUndefined();
      const m1 = await checkpoint(backend, j, 1, { 'counter/0': bytesOf('v1'), 'counter/1': bytesOf('w1') });
      const m2 = await checkpoint(backend, j, 2, { 'counter/0': bytesOf('v2'), 'counter/1': bytesOf('w2') });
      const ok = await latestValid(backend, j);
      expect(ok?.meta).toEqual(m2);
      expect(ok?.blobs).toEqual(new Map([['counter/0', bytesOf('v2')], ['counter/1', bytesOf('w2')]]));

      await backend.putBlob(j, 2, 'counter/1', bytesOf('w?')); // same size, different bytes
      const warnings: string[] = [];
      const fallback = await latestValid(backend, j, { onCorrupt: (m, blob, reason) => warnings.push(`${m.id} ${blob} ${reason}`) });
      expect(fallback?.meta).toEqual(m1);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^2 counter\/1 sha256 mismatch/);

      expect((await loadCheckpoint(backend, j, 1)).blobs.get('counter/1')).toEqual(bytesOf('w1'));
      await expect(loadCheckpoint(backend, j, 2)).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT', message: expect.stringContaining("blob 'counter/1' sha256 mismatch") });
      await expect(loadCheckpoint(backend, j, 7)).rejects.toMatchObject({
        code: 'CHECKPOINT_NOT_FOUND',
        message: expect.stringContaining('committed checkpoints: 2, 1'),
      });
    });

    it('keeps one job result record per job: replaced by put, kept by gc, removed by deleteResult and clear', async () => {
      const j = job('result');
      const other = job('result-other');
      const rec = (checkpoint: number) => ({ job: j, status: 'finished' as const, finishedAt: 1_700_000_000_000 + checkpoint, checkpoint, fingerprint: 'fp-1' });
      expect(await backend.getResult(j)).toBeUndefined();
      await backend.deleteResult(j); // none: no error

      await checkpoint(backend, j, 1, { 'counter/0': bytesOf('one') });
      await checkpoint(backend, j, 2, { 'counter/0': bytesOf('two') }, 'final');
      await backend.putResult(rec(2));
      expect(await backend.getResult(j)).toEqual(rec(2));
      expect(await backend.getResult(other), 'records are per job').toBeUndefined();
      await backend.gc(j, 1);
      expect(await backend.getResult(j), 'gc keeps it').toEqual(rec(2));
      expect((await backend.list(j)).map((m) => m.id)).toEqual([2]);

      await backend.putResult(rec(5));
      expect(await backend.getResult(j), 'a put replaces it').toEqual(rec(5));
      await backend.deleteResult(j);
      expect(await backend.getResult(j)).toBeUndefined();
      expect((await backend.list(j)).map((m) => m.id), 'deleteResult keeps the checkpoints').toEqual([2]);

      await backend.putResult(rec(2));
      await backend.clear(j);
      expect(await backend.getResult(j), 'clear removes it').toBeUndefined();

      await expect(backend.putResult({ ...rec(1), status: 'running' as 'finished' })).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('status') });
      await expect(backend.putResult({ ...rec(1), checkpoint: -1 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(backend.getResult('a/b')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      expect(await backend.getResult(j)).toBeUndefined();
    });

    it('rejects bad job names, ids and metas with CONFIG_INVALID', async () => {
      for (const bad of ['', 'a/b', '{x}', '..', 'x'.repeat(101), 'sp ace', 'a*']) {
        await expect(backend.list(bad), bad).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining('invalid job name') });
        await expect(backend.putBlob(bad, 1, 'op/0', bytesOf('x')), bad).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      }
      const j = job('bad-args');
      await expect(backend.putBlob(j, -1, 'op/0', bytesOf('x'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(backend.getBlob(j, 1.5, 'op/0')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(backend.putBlob(j, 1, '', bytesOf('x'))).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      await expect(backend.commit({ ...meta(j, 1), kind: 'nope' as 'final' })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('kind'),
      });
      await expect(backend.commit({ ...meta(j, 1), blobs: { 'op/0': { size: 1, sha256: 'xyz' } } })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
      expect(await backend.list(j)).toEqual([]);
    });

    it('a closed backend rejects calls with STATE_BACKEND_CLOSED', async () => {
      const other = target.open();
      await other.close();
      await other.close(); // twice is fine
      await expect(other.list('x')).rejects.toMatchObject({ code: 'STATE_BACKEND_CLOSED', retriable: false });
    });
  });
}
