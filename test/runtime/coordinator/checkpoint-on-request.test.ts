/**
 * JobHandle.checkpoint(): checkpoints on request (Flink's REST "trigger
 * checkpoint"), on real worker threads with a real file state backend and
 * the exactly-once file sink. With checkpointInterval 0 they are the only
 * checkpoints before the final one.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import type { StateBackend } from '../../../runtime/checkpoint/storage/backend.js';
import { memoryBackend } from '../../../runtime/checkpoint/storage/memory-backend.js';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { cleanupDirs, committed, committedCheckpointIds, configure, fixture, prefixProblems, tmp, waitFor } from '../../supervision/recovery/helpers.js';

/**
 * More input than any test takes (an hour at the rates below): each test stops
 * the job itself once its requests are answered, so no request can find the
 * job ended, however slow the machine.
 */
const COUNT = 20_000_000;
const KEYS = 7;

/** A drained run's committed output: per key, the counts 1..c exactly (nothing lost before a later record, nothing twice). */
const expectExactPrefix = (got: string[]) => {
  expect(got.length).toBeGreaterThan(0);
  expect(prefixProblems(got)).toEqual([]);
};

/** The sink wrote records not yet committed (its hidden in-progress files are not empty). */
const uncommittedWritten = (out: string) => existsSync(out) && readdirSync(out).some((f) => f.endsWith('.inprogress') && statSync(path.join(out, f)).size > 0);

describe('handle.checkpoint()', () => {
  afterAll(() => {
    delete process.env.WEIR_EO;
    cleanupDirs();
  });

  it('takes a checkpoint when asked, commits the sink epoch, and answers requests made during one with the next', { timeout: 60_000 }, async () => {
    const dir = tmp('weir-cp-request-');
    const out = path.join(dir, 'out');
    const state = path.join(dir, 'state');
    configure({ count: COUNT, keys: KEYS, rate: 4000, dir: out });
    const handle = run(fixture('keyed-count-eo.ts'), { workers: 2, parallelism: 2, state: `file:${state}`, jobId: 'cp-request', checkpointInterval: 0, metricsIntervalMs: 0, logLevel: 'warn' });

    // Asked before the job runs: answered once it does.
    const first = await handle.checkpoint();
    expect(first.sizeBytes).toBeGreaterThan(0);
    expect(first.durationMs).toBeGreaterThanOrEqual(0);
    expect(committedCheckpointIds(state, 'cp-request')).toContain(first.id);

    // Records reach the sink; the next checkpoint commits the sink's epoch: output appears before the end.
    await waitFor(() => uncommittedWritten(out), 'records written by the sink after the first checkpoint', 20_000);
    const second = await handle.checkpoint();
    expect(second.id).toBe(first.id + 1);
    await waitFor(async () => (await committed(out)).length > 0, 'output committed by a requested checkpoint', 10_000);

    // Three requests at once: the first starts one, the two made while it is in flight share the next.
    const [a, b, c] = await Promise.all([handle.checkpoint(), handle.checkpoint(), handle.checkpoint()]);
    expect([a.id, b.id, c.id]).toEqual([second.id + 1, second.id + 2, second.id + 2]);

    const result = await handle.stop();
    // No periodic checkpoint: the four requested ones and the final one.
    expect(result.checkpoints.completed).toBe(5);
    expect(result.checkpoint?.id).toBe(c.id + 1);
    expectExactPrefix(await committed(out));

    // After the end: a clear error, nothing taken.
    const err = await handle.checkpoint().then(
      () => undefined,
      (e) => e,
    );
    expect(err?.code).toBe('JOB_NOT_RUNNING');
    expect(err.message).toMatch(/no checkpoint can be taken\. Fix: /);
  });

  it('rejects with CHECKPOINT_DECLINED naming the backend when the snapshot cannot be written, and the job goes on', { timeout: 60_000 }, async () => {
    const dir = tmp('weir-cp-request-fail-');
    const out = path.join(dir, 'out');
    configure({ count: COUNT, keys: KEYS, rate: 6000, dir: out });
    const inner = memoryBackend();
    let failWrites = true;
    const backend: StateBackend = {
      ...inner,
      kind: 'memory',
      description: 'memory (failing writes)',
      putBlob: (job, id, name, bytes) => (failWrites ? Promise.reject(new Error('disk full (test)')) : inner.putBlob(job, id, name, bytes)),
      getBlob: (job, id, name) => inner.getBlob(job, id, name),
      commit: (meta) => inner.commit(meta),
      list: (job) => inner.list(job),
      gc: (job, keep) => inner.gc(job, keep),
      putResult: (r) => inner.putResult(r),
      getResult: (job) => inner.getResult(job),
      deleteResult: (job) => inner.deleteResult(job),
      clear: (job) => inner.clear(job),
      close: () => inner.close(),
    };
    const handle = run(fixture('keyed-count-eo.ts'), { workers: 2, parallelism: 2, state: backend, jobId: 'cp-request-fail', checkpointInterval: 0, metricsIntervalMs: 0, logLevel: 'silent' });
    const err = await handle.checkpoint().then(
      () => undefined,
      (e) => e,
    );
    expect(err?.code).toBe('CHECKPOINT_DECLINED');
    expect(err.message).toContain('memory (failing writes)');
    expect(err.message).toContain('disk full (test)');
    failWrites = false;
    const ok = await handle.checkpoint();
    expect(ok.id).toBeGreaterThan(0);
    const result = await handle.stop();
    expect(result.checkpoints.failed).toBe(1);
    expectExactPrefix(await committed(out));
  });

  it('with periodic checkpoints, takes the first as the job starts, not one interval in', { timeout: 60_000 }, async () => {
    const dir = tmp('weir-cp-first-');
    const state = path.join(dir, 'state');
    configure({ count: COUNT, keys: KEYS, rate: 6000, dir: path.join(dir, 'out') });
    // The interval is a day (the longest allowed): a checkpoint seen within the wait below can only be the one at start.
    const handle = run(fixture('keyed-count-eo.ts'), { workers: 2, parallelism: 2, state: `file:${state}`, jobId: 'cp-first', checkpointInterval: 86_400_000, metricsIntervalMs: 50, logLevel: 'warn' });
    await waitFor(() => committedCheckpointIds(state, 'cp-first').length > 0, 'a checkpoint committed at start', 45_000);
    // handle.metrics() shows it, and every actor of the keyed count (2 instances, one per worker).
    await waitFor(() => (handle.metrics()?.checkpoints.completed ?? 0) >= 1, 'metrics() counting the checkpoint', 5000);
    const count = handle.metrics()!.operators.find((o) => o.operator === 'count')!;
    expect(count.instances.map((i) => [i.instance, i.worker]).sort()).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(handle.metrics()!.restarts).toBe(0);
    await handle.stop();
    const result = await handle.done;
    // The one at start and the final one; the next periodic one would have come a day later.
    expect(result.checkpoints.completed).toBe(2);
  });
});
