/**
 * Regression (was a bug, fixed): a checkpoint whose write is still in
 * progress when a failover starts may commit after it. The failover now
 * waits for that write to settle and restores from it if it committed
 * (Job.recover -> Checkpointer.settled), so no record is lost.
 *
 * Original report:
 * BUG (kept out of the default run; run it with
 *   npx vitest run -c test/supervision/recovery/vitest.bugs.config.ts):
 * a checkpoint whose write is still in progress when a failover starts is
 * committed AFTER the failover restored the region from the checkpoint
 * before it; a later restore from that checkpoint loses records.
 *
 * Sequence (made deterministic with a state backend whose commit() the test
 * holds, standing for a slow or briefly unreachable Redis):
 *  1. all actors acked checkpoint K; Checkpointer.completeFromTracker() ->
 *     persist(K) has written the blobs and waits in backend.commit(K);
 *  2. a user function throws: Job.recover() pauses the checkpointer (which
 *     only resets the tracker: persist(K) goes on) and restores the region
 *     from checkpointer.lastCompleted = K-1. The file sink reopens with K-1's
 *     state and deletes every other hidden file of its instance, including
 *     `.part-<i>-K-<uuid>.pending`, the output of the epoch before K;
 *  3. commit(K) returns: persist() sets lastCompleted = K (and K is in the
 *     backend, so a process restart would pick it too);
 *  4. before another checkpoint completes, a second failure restores from K:
 *     sources skip to K's positions, the sink's restored pending list names
 *     the files deleted in step 2 (commitFile ignores ENOENT). The records
 *     between K-1 and K are never committed: LOST.
 *
 * Suspected fix (runtime/coordinator/checkpointer.ts persist() and
 * runtime/coordinator/job.ts recover()): a checkpoint aborted by a failover
 * must not be committed afterwards (check the regions' epochs before
 * backend.commit and after it, before adopting it as lastCompleted), or
 * recover() must wait for the persist in flight to settle and restore from
 * it when it committed.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import type { CheckpointMeta, StateBackend } from '../../../runtime/checkpoint/storage/backend.js';
import { memoryBackend } from '../../../runtime/checkpoint/storage/memory-backend.js';
import { cleanupDirs, committed, configure, diffSummary, expectedLines, fixture, sleep, tmp, waitFor } from './helpers.js';

const COUNT = 6000;
const KEYS = 7;

/** A memory backend whose commit() can be held: commits with id >= holdFrom wait until released. */
function gatedBackend() {
  const inner = memoryBackend();
  const held: { id: number; release: () => void }[] = [];
  let holdFrom = Infinity;
  const backend: StateBackend = {
    kind: 'memory',
    description: 'memory (gated commits)',
    putBlob: (job, id, name, bytes) => inner.putBlob(job, id, name, bytes),
    getBlob: (job, id, name) => inner.getBlob(job, id, name),
    async commit(meta: CheckpointMeta) {
      if (meta.id >= holdFrom) await new Promise<void>((release) => held.push({ id: meta.id, release }));
      await inner.commit(meta);
    },
    list: (job) => inner.list(job),
    gc: (job, keep) => inner.gc(job, keep),
    putResult: (r) => inner.putResult(r),
    getResult: (job) => inner.getResult(job),
    deleteResult: (job) => inner.deleteResult(job),
    clear: (job) => inner.clear(job),
    close: () => inner.close(),
  };
  return {
    backend,
    held,
    hold(fromId: number) {
      holdFrom = fromId;
    },
    releaseUpTo(id: number, thenHoldFrom: number) {
      holdFrom = thenHoldFrom;
      for (const h of held.splice(0)) {
        if (h.id <= id) h.release();
        else held.push(h);
      }
    },
    releaseAll() {
      holdFrom = Infinity;
      for (const h of held.splice(0)) h.release();
    },
  };
}

describe('failover while a checkpoint is being written (BUG)', () => {
  afterAll(() => {
    delete process.env.WEIR_EO;
    cleanupDirs();
  });

  it('a checkpoint aborted by a failover is not committed afterwards (or is restored from): no record is lost', { timeout: 60_000 }, async () => {
    const dir = tmp('weir-ft-persist-race-');
    const out = path.join(dir, 'out');
    const armed = [path.join(dir, 'armed-1'), path.join(dir, 'armed-2')];
    const markers = [path.join(dir, 'fault-1.marker'), path.join(dir, 'fault-2.marker')];
    configure({
      count: COUNT,
      keys: KEYS,
      rate: 2000,
      dir: out,
      faults: [0, 1].map((i) => ({ kind: 'throw', at: 1, armed: armed[i], marker: markers[i] })),
    });
    const gate = gatedBackend();
    const jobId = 'ft-persist-race';
    const handle = run(fixture('keyed-count-eo.ts'), {
      workers: 2,
      parallelism: 2,
      state: gate.backend,
      jobId,
      checkpointInterval: 100,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 2000,
      metricsIntervalMs: 0,
      logLevel: 'silent',
      // The armed fault may fail the same record again right after the restore: that is this test's race, not a deterministic failure.
      restart: { maxRestarts: 5, backoff: { initialMs: 10 }, repeatedFailure: 'restart' },
    });
    try {
      await waitFor(async () => (await committed(out)).length >= 300, 'some committed output', 30_000);

      // 1. Hold the next checkpoint's commit: K is written but not committed.
      gate.hold(0);
      await waitFor(() => gate.held.length > 0, 'a held commit');
      const k = gate.held[0].id;

      // 2. A failure while K is being written. The marker is written as the fault fires, in the
      //    worker; the failure then crosses one postMessage to the coordinator (well under 10 ms
      //    unloaded): 500 ms is a margin of 50x for it to be handled while K is still held.
      writeFileSync(armed[0], '');
      await waitFor(() => existsSync(markers[0]), 'the first fault');
      await sleep(500);
      expect(gate.held.map((h) => h.id), 'K is still being written when the failure is handled').toContain(k);

      // 3. K's commit goes through; every later one is held, so K stays the last completed checkpoint.
      //    The failover waits for K's write to settle (Checkpointer.settled), so K must commit and the
      //    region restart from it; a K that never commits means the failover dropped the write.
      gate.releaseUpTo(k, k + 1);
      await waitFor(async () => (await gate.backend.list(jobId)).some((m) => m.id === k), `checkpoint ${k} committed`, 20_000);

      // 4. A second failure restores from K.
      writeFileSync(armed[1], '');
      await waitFor(() => existsSync(markers[1]), 'the second fault');
      await sleep(500);
    } finally {
      gate.releaseAll();
    }
    const result = await handle.done;
    expect(result.restarts).toBeGreaterThanOrEqual(2);

    const lines = await committed(out);
    const want = expectedLines(COUNT, KEYS);
    expect(diffSummary(lines, want)).toEqual({ missing: 0, extra: 0, duplicated: 0, examples: [] });
    expect(lines).toEqual(want);
  });
});
