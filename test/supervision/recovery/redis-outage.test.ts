/**
 * A Redis state backend that stops answering mid-job (SIGSTOP of a private
 * redis-server, spawned here on its own port and killed in afterAll; the
 * shared server on 6379 is never touched): the job keeps processing,
 * checkpoints taken during the outage are declined (and no sink output is
 * committed without a durable checkpoint), later checkpoints complete once
 * Redis is back (SIGCONT), and the committed output is exact. A variant adds
 * a user-function failure inside the outage window: the region restarts from
 * the last checkpoint completed before the outage (held by the coordinator;
 * Redis is not needed for that) and the output is still exact.
 *
 * The backend bounds every call by 2 s (redis-backend.ts timeoutMs), so a
 * pause shorter than that only delays the checkpoint in flight. Every step
 * waits for what it needs instead of a time: the pause lasts until two
 * checkpoints were declined and records kept flowing (and, with the fault,
 * until it fired); the job, whose input outlasts the test, is stopped once a
 * checkpoint completed after Redis came back. The exact output is then the
 * keyed counts of what the sources emitted, read from the last checkpoint's
 * source positions.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type JobHandle } from 'weir';
import { decodeSnapshot } from '../../../runtime/channel/codec.js';
import { createBackend } from '../../../runtime/checkpoint/storage/create-backend.js';
import { loadCheckpoint } from '../../../runtime/checkpoint/storage/restore.js';
import { startPrivateRedis, type PrivateRedis } from '../../services/private-redis.js';
import { cleanupDirs, committed, configure, diffSummary, fixture, tmp, waitFor } from './helpers.js';

/** More input than the test takes: it stops the job itself. */
const COUNT = 100_000_000;
const KEYS = 7;
const RATE = 2500;

/** Sorted keyed running counts of what generator instances with these positions (next index each) emitted. */
function linesFor(nexts: number[], keys: number): string[] {
  const perKey = new Array<number>(keys).fill(0);
  nexts.forEach((next, k) => {
    for (let i = k; i < next; i += nexts.length) perKey[i % keys]++;
  });
  return perKey.flatMap((c, w) => Array.from({ length: c }, (_, n) => `w${w},${n + 1}`)).sort();
}

const sinkIn = (h: JobHandle) => h.metrics()?.operators.find((o) => o.operator === 'out')?.recordsIn ?? 0;

/** Records reaching the sink between start() and stop(), from metrics polled every 50 ms (a restarted sink's counter starting again from 0 counts as such). */
function sinkFlow(h: JobHandle) {
  let total = 0;
  let prev = 0;
  let timer: NodeJS.Timeout | undefined;
  const poll = () => {
    const cur = sinkIn(h);
    total += cur >= prev ? cur - prev : cur;
    prev = cur;
  };
  return {
    get total() {
      return total;
    },
    start() {
      prev = sinkIn(h);
      timer = setInterval(poll, 50);
    },
    stop() {
      clearInterval(timer);
      poll();
    },
  };
}

describe('Redis outage during a job (private redis-server)', () => {
  let redis: PrivateRedis;

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });

  afterAll(async () => {
    redis?.resume();
    await redis?.stop();
    delete process.env.WEIR_EO;
    cleanupDirs();
  });

  async function outage(withFault: boolean): Promise<void> {
    const dir = tmp('weir-ft-redis-');
    const out = path.join(dir, 'out');
    const armed = path.join(dir, 'armed');
    const marker = path.join(dir, 'fault.marker');
    const jobId = `ft-redis-${withFault ? 'fault' : 'plain'}-${process.pid}`;
    // keyed-count-eo.ts: the throw is due from record 1 of instance 0 of 'inject', but only once the test creates `armed`.
    configure({ count: COUNT, keys: KEYS, rate: RATE, dir: out, faults: withFault ? [{ kind: 'throw', at: 1, armed, marker }] : [] });
    const handle = run(fixture('keyed-count-eo.ts'), {
      workers: 2,
      parallelism: 2,
      state: redis.url,
      jobId,
      checkpointInterval: 100,
      heartbeatIntervalMs: 100,
      heartbeatTimeoutMs: 2000,
      metricsIntervalMs: 100,
      logLevel: 'silent',
      // Independent injected faults may hit the same replayed record: not a deterministic failure here.
      restart: { maxRestarts: 5, backoff: { initialMs: 10 }, repeatedFailure: 'restart' },
    });
    await waitFor(async () => (await committed(out)).length >= 300, 'committed output before the outage', 30_000);

    const stats = () => handle.metrics()?.checkpoints ?? { completed: 0, failed: 0 };
    redis.pause();
    const pausedAt = Date.now();
    let committedDuring: number[] = [];
    const flow = sinkFlow(handle);
    try {
      // A checkpoint in flight at the pause may still land on either side of it: once one was
      // declined, none can commit until Redis is back.
      await waitFor(() => stats().failed >= 1, 'a checkpoint declined during the outage', 60_000);
      const committedEarly = (await committed(out)).length;
      flow.start();
      if (withFault) writeFileSync(armed, '');
      await waitFor(() => stats().failed >= 2 && flow.total > 500 && (!withFault || existsSync(marker)), 'another declined checkpoint, records flowing (and the fault)', 60_000);
      flow.stop();
      committedDuring = [committedEarly, (await committed(out)).length];
    } finally {
      redis.resume();
    }
    const resumedAt = Date.now();
    const completedAtResume = stats().completed;
    await waitFor(() => stats().completed > completedAtResume, 'a checkpoint completed after the outage', 60_000);
    const result = await handle.stop();
    // The job kept processing while Redis was down...
    expect(flow.total, 'records reaching the sink during the outage').toBeGreaterThan(500);
    // ...but committed nothing without a durable checkpoint.
    expect(committedDuring[1], 'no output committed while no checkpoint can be written').toBe(committedDuring[0]);
    expect(result.checkpoints.failed, JSON.stringify(result.checkpoints)).toBeGreaterThan(0);
    expect(result.stopped).toBe(true);

    // Periodic checkpoints completed again after the outage (besides the one the stop wrote).
    const backend = createBackend(redis.url);
    let want: string[];
    try {
      const metas = await backend.list(jobId);
      expect(metas.some((m) => m.kind === 'checkpoint' && m.createdAt > resumedAt && m.id !== result.checkpoint!.id), JSON.stringify(metas.map((m) => [m.id, m.kind, m.createdAt - resumedAt]))).toBe(true);
      const last = await loadCheckpoint(backend, jobId, result.checkpoint!.id);
      want = linesFor(['in/0', 'in/1'].map((b) => (decodeSnapshot(last.blobs.get(b)!) as { src: { next: number } }).src.next), KEYS);
    } finally {
      await backend.close();
    }

    if (withFault) {
      const firedAt = statSync(marker).mtimeMs;
      expect(firedAt, 'the fault fired inside the outage window').toBeGreaterThan(pausedAt);
      expect(firedAt).toBeLessThan(resumedAt);
      expect(result.restarts).toBeGreaterThanOrEqual(1);
    }

    const lines = await committed(out);
    expect(diffSummary(lines, want)).toEqual({ missing: 0, extra: 0, duplicated: 0, examples: [] });
    expect(lines).toEqual(want);
  }

  it('the job keeps processing, checkpoints fail then complete again, output is exact', { timeout: 240_000 }, () => outage(false));
  it('a user-function failure during the outage restarts from the pre-outage checkpoint, output is exact', { timeout: 240_000 }, () => outage(true));
});
