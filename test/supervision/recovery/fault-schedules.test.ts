/**
 * Exactly-once under random fault schedules, on real worker threads.
 *
 * A fast-check property over schedules of 1-2 faults (a user function that
 * throws, a worker thread that exits, a worker whose event loop hangs), each
 * fired once by instance 0 of the 'inject' operator of
 * test/fixtures/keyed-count-eo.ts after `at` records, with 1-2 workers and
 * parallelism 1-2. Keyed running counts flow into the exactly-once file sink;
 * the committed output, sorted, must equal the fault-free output exactly: a
 * lost record drops a line, a replayed record that leaks into the committed
 * output duplicates a line, and keyed state restored wrongly shifts every
 * later count of its key. Every fault that fired must have caused a restart.
 *
 * Each run gets fresh directories (sink output and fault markers). On a
 * failure fast-check prints the seed and path; replay with
 * FT_SEED=<seed> FT_PATH=<path> (FT_SHRINK=1 to shrink, which takes minutes on
 * real threads; FT_RUNS=<n> for more runs; FT_VERBOSE=1 logs each run).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { run, type JobResult } from 'weir';
import { cleanupDirs, committed, configure, diffSummary, expectedLines, fixture, tmp, type Fault } from './helpers.js';

const COUNT = 2400;
const RATE = 2400; // records/s over all source instances: ~1 s per run plus recovery
const JOB = fixture('keyed-count-eo.ts');
/**
 * A hang detector, not a performance bound: a run takes ~1 s of paced input (RATE) plus up to two
 * recoveries (a hang is noticed after heartbeatTimeoutMs 1.8 s, restarts back off <= 200 ms), ~5 s
 * idle. 40 s is 8x that for a loaded machine; the test's 240 s timeout fits the runs plus one bound.
 */
const RUN_TIMEOUT_MS = 40_000;

interface Schedule {
  workers: number;
  parallelism: number;
  keys: number;
  faults: { kind: Fault['kind']; at: number }[];
}

const schedule: fc.Arbitrary<Schedule> = fc.record({
  workers: fc.integer({ min: 1, max: 2 }),
  parallelism: fc.integer({ min: 1, max: 2 }),
  keys: fc.integer({ min: 3, max: 11 }),
  // Instance 0 of 'inject' sees COUNT / parallelism >= 1200 records in its first
  // life, so the earliest fault always fires; from record 150 on, at least one
  // checkpoint (every 100 ms at 1200-2400 records/s) has usually completed.
  faults: fc.array(fc.record({ kind: fc.constantFrom<Fault['kind']>('throw', 'exit', 'hang'), at: fc.integer({ min: 150, max: 900 }) }), {
    minLength: 1,
    maxLength: 2,
  }),
});

let runNo = 0;

async function runSchedule(s: Schedule): Promise<void> {
  const dir = tmp(`weir-ft-prop-${++runNo}-`);
  const out = path.join(dir, 'out');
  const faults: Fault[] = s.faults.map((f, i) => ({ ...f, marker: path.join(dir, `fault-${i}.marker`) }));
  configure({ count: COUNT, keys: s.keys, rate: RATE, dir: out, faults });
  const startedAt = performance.now();
  const handle = run(JOB, {
    workers: s.workers,
    parallelism: s.parallelism,
    state: 'memory',
    jobId: `ft-prop-${process.pid}-${runNo}`,
    checkpointInterval: 100,
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 1800,
    metricsIntervalMs: 0,
    logLevel: 'error',
    // Independent injected faults may hit the same replayed record: not a deterministic failure here.
    restart: { maxRestarts: 10, withinMs: 60_000, backoff: { initialMs: 10, maxMs: 200 }, repeatedFailure: 'restart' },
  });
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    handle.done,
    new Promise<JobResult>((_, reject) => {
      timer = setTimeout(() => {
        void handle.stop().catch(() => {});
        void handle.stop().catch(() => {}); // second stop: end at once
        const fired = faults.filter((f) => existsSync(f.marker)).length;
        reject(new Error(`job did not finish within ${RUN_TIMEOUT_MS} ms (8x its expected time: stuck, not slow); ${fired} of ${faults.length} faults fired; schedule ${JSON.stringify(s)}`));
      }, RUN_TIMEOUT_MS);
    }),
  ]).finally(() => clearTimeout(timer));

  const fired = faults.filter((f) => existsSync(f.marker)).length;
  if (process.env.FT_VERBOSE) console.log(JSON.stringify({ run: runNo, schedule: s, fired, restarts: result.restarts, ms: Math.round(performance.now() - startedAt), checkpoints: result.checkpoints.completed }));
  const lines = await committed(out);
  const want = expectedLines(COUNT, s.keys);
  const context = { schedule: s, fired, restarts: result.restarts, checkpoints: result.checkpoints, committedLines: lines.length, diff: diffSummary(lines, want) };
  expect(fired, JSON.stringify(context)).toBeGreaterThanOrEqual(1);
  expect(result.restarts, JSON.stringify(context)).toBeGreaterThanOrEqual(fired);
  expect(result.checkpoint?.kind).toBe('final');
  expect(lines.length, JSON.stringify(context)).toBe(want.length);
  expect(lines).toEqual(want);
}

describe('exactly-once under random fault schedules (real worker threads)', () => {
  afterAll(() => {
    delete process.env.WEIR_EO;
    cleanupDirs();
  });

  it('committed output equals the fault-free output for every schedule', { timeout: 240_000 }, async () => {
    const seed = process.env.FT_SEED === undefined ? undefined : Number(process.env.FT_SEED);
    await fc.assert(fc.asyncProperty(schedule, runSchedule), {
      numRuns: Number(process.env.FT_RUNS ?? 6),
      seed,
      path: process.env.FT_PATH,
      endOnFailure: process.env.FT_SHRINK !== '1',
      verbose: 1,
    });
  });
});
