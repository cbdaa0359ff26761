/**
 * Kafka -> keyed count -> Kafka, exactly-once, under random faults, on a real
 * broker (test/fixtures/kafka-keyed-count.ts).
 *
 * Every run gets a fresh input topic (3 partitions) and output topic. The
 * words are produced in waves while the job runs (so checkpoints complete
 * between faults and restores start mid-stream, with epochs pending in the
 * sink), one fault fires once at record `at` of instance 0 of 'inject'
 * (throw in the user function, exit of the worker thread, or a hung event
 * loop), and optionally the whole `weir run` process is killed with SIGKILL
 * and run again with the same --job-id and --state file:DIR. Once the output
 * holds as many lines as there are words the job is drained (stop/SIGTERM),
 * and a read_committed consumer reads the output topic from the beginning
 * until it is quiet: the multiset of lines must be exactly the fault-free
 * one, "w,c" for c = 1..n_w once each. A lost record drops a line, a
 * committed replay duplicates one, keyed state restored wrongly shifts the
 * counts of its key, an aborted or torn transaction loses lines.
 *
 * Known bug (sink-concurrent-transactions.bug.ts): the exactly-once sink can
 * fail the whole job with CONCURRENT_TRANSACTIONS after a restart; about one
 * execution in three of this property hit it before the fix.
 *
 * Found by this property in CI: a killed run with two sink instances left two
 * open transactions that the rerun aborted, and kafkajs' read_committed
 * filter delivered one of them to the reader as 60 "duplicates" (see
 * read-committed.test.ts; weir now installs a correct filter into kafkajs).
 *
 * fast-check picks the schedules; on a failure it prints the seed: replay
 * with KEO_SEED=<seed> KEO_PATH=<path> (KEO_RUNS=<n> for more runs,
 * KEO_VERBOSE=1 logs each run).
 */
import path from 'node:path';
import { existsSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type JobResult } from 'weir';
import { BROKERS, cleanupKafka, createTopic, fixture, groupMembers, multisetDiff, produce, reader, tmp, track, unique, waitFor, weir, type Reader, expectedLines } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const JOB = fixture('kafka-keyed-count.ts');
const PARTITIONS = 3;
const WAVES = 10;
/**
 * Pacing, not an assertion: after each wave the next waits until the committed output grew (a
 * checkpoint completed and its epoch committed), so checkpoints fall between waves on a machine of
 * any speed. Past this bound (a job restarting or killed) the next wave goes anyway: the output
 * checks below still say whether anything was lost.
 */
const WAVE_PACE_BOUND_MS = 30_000;

interface Schedule {
  words: number;
  keys: number;
  workers: number;
  parallelism: number;
  fault: { kind: 'throw' | 'exit' | 'hang'; at: number } | null;
  /** Kill -9 the whole CLI process once this share of the output is committed, then rerun. */
  killProcessAt: number | null;
}

const kind = fc.constantFrom<'throw' | 'exit' | 'hang'>('throw', 'exit', 'hang');
// Instance 0 of 'inject' reads partition 0 (and 2): >= 1/3 of the words, >= 500, so `at` always fires.
const at = fc.integer({ min: 50, max: 450 });
const shape = { words: fc.integer({ min: 1500, max: 3000 }), keys: fc.integer({ min: 3, max: 12 }), workers: fc.integer({ min: 1, max: 2 }), parallelism: fc.integer({ min: 1, max: 2 }) };
const schedule: fc.Arbitrary<Schedule> = fc.oneof(
  // One fault inside a running job.
  fc.record({ ...shape, fault: fc.record({ kind, at }), killProcessAt: fc.constant(null) }),
  // The whole process is killed (kill -9) and run again, maybe with a fault in either run.
  // (No 'hang' here: the CLI's heartbeat timeout is 10 s; hangs are covered in process with 1.5 s.)
  fc.record({ ...shape, fault: fc.option(fc.record({ kind: fc.constantFrom<'throw' | 'exit'>('throw', 'exit'), at }), { nil: null }), killProcessAt: fc.double({ min: 0.1, max: 0.8, noNaN: true }) }),
);

let runNo = 0;

async function produceInWaves(topic: string, words: string[], out: Reader): Promise<void> {
  const per = Math.ceil(words.length / WAVES);
  for (let w = 0; w < WAVES; w++) {
    const committed = out.values.length;
    const chunk = words.slice(w * per, (w + 1) * per);
    await produce(topic, chunk.map((value, k) => ({ value, partition: (w * per + k) % PARTITIONS })));
    if (w < WAVES - 1) await waitFor(() => out.values.length > committed, 'pacing', WAVE_PACE_BOUND_MS, 20).catch(() => {});
  }
}

async function runSchedule(s: Schedule): Promise<void> {
  const no = ++runNo;
  const t0 = performance.now();
  const words = Array.from({ length: s.words }, (_, i) => `w${(i * 7919) % s.keys}`);
  const want = expectedLines(words);
  const input = await createTopic(unique(`eo-in-${no}`), PARTITIONS);
  const output = await createTopic(unique(`eo-out-${no}`), 1);
  const group = unique(`eo-group-${no}`);
  const jobId = unique(`eo-job-${no}`);
  track({ group, groupPrefix: `${group}.weir-` });
  track({ group: `weir-${jobId}-out-0-epochs` });
  track({ group: `weir-${jobId}-out-1-epochs` });
  const dir = tmp(`weir-kafka-eo-${no}-`);
  const faults = s.fault ? [{ ...s.fault, marker: path.join(dir, 'fault.marker') }] : [];
  const env = { WEIR_KAFKA_EO: JSON.stringify({ brokers: BROKERS, input, output, group, faults }) };
  const out: Reader = await reader(output);
  const info: Record<string, unknown> = { run: no, schedule: s };
  // Each source instance consumes through a private group `<group>.weir-<instance>-<random>`;
  // a killed run's groups keep their dead members until the session expires.
  const members = () => groupMembers({ prefix: `${group}.weir-` });
  const joined = (dead: Set<string>, why: () => string) =>
    waitFor(async () => (await members()).members.filter((m) => !dead.has(m)).length === s.parallelism, () => `the job's sources to join their consumer groups; ${why()}`, 60_000, 100);
  // Words arrive while the job runs (from when its sources joined), in waves, so checkpoints and faults fall mid-stream.
  let producing: Promise<void> = Promise.resolve();
  try {
    if (s.killProcessAt === null) {
      process.env.WEIR_KAFKA_EO = env.WEIR_KAFKA_EO;
      const handle = run(JOB, {
        workers: s.workers,
        parallelism: s.parallelism,
        state: 'memory',
        jobId,
        checkpointInterval: 200,
        heartbeatIntervalMs: 100,
        heartbeatTimeoutMs: 1500,
        metricsIntervalMs: 0,
        logLevel: 'silent',
        restart: { maxRestarts: 10, withinMs: 60_000, backoff: { initialMs: 10, maxMs: 200 } },
      });
      let failed: unknown;
      handle.done.catch((e) => (failed = e));
      await joined(new Set(), () => `job failed: ${String(failed)}`);
      producing = produceInWaves(input, words, out);
      await out.atLeast(want.length, 60_000, () => `job failed: ${String(failed)}`);
      const result: JobResult = await handle.stop();
      info.restarts = result.restarts;
      info.checkpoints = result.checkpoints.completed;
      if (s.fault) expect(result.restarts, JSON.stringify(info)).toBeGreaterThanOrEqual(1);
    } else {
      // A whole process dies (kill -9) and is run again: same job id, same file state.
      const args = ['run', JOB, '--workers', String(s.workers), '--parallelism', String(s.parallelism), '--state', `file:${path.join(dir, 'state')}`, '--checkpoint-interval', '200', '--job-id', jobId, '--no-status', '--log-level', 'error'];
      const first = weir(args, env);
      await joined(new Set(), () => `stderr ${first.stderr()}`);
      producing = produceInWaves(input, words, out);
      const killAt = Math.max(1, Math.floor(want.length * s.killProcessAt));
      await out.atLeast(killAt, 60_000, () => `first run: stderr ${first.stderr()}`);
      first.child.kill('SIGKILL');
      const e1 = await first.exit;
      expect(e1.signal).toBe('SIGKILL');
      info.killedAt = out.values.length;
      const dead = new Set((await members()).members);
      const second = weir(args, env);
      await joined(dead, () => `rerun: stderr ${second.stderr()}`);
      await out.atLeast(want.length, 60_000, () => `rerun: stderr ${second.stderr()}`);
      second.child.kill('SIGTERM');
      const e2 = await second.exit;
      expect(e2.code, second.stderr()).toBe(0);
    }
    await producing;
    info.produced = true;
    // Everything is in the log now (the drain committed the last epoch): read on until quiet.
    await out.quiet(1500);
    const got = out.values.slice();
    info.fired = faults.some((f) => existsSync(f.marker));
    info.ms = Math.round(performance.now() - t0);
    info.lines = got.length;
    if (process.env.KEO_VERBOSE) console.log(JSON.stringify(info));
    const diff = multisetDiff(got, want);
    expect(diff, JSON.stringify(info)).toEqual({ missing: 0, extra: 0, examples: [] });
    expect(got.length).toBe(want.length);
    // (In a killed-and-rerun job the rerun may not see `at` records of instance 0 again: no assertion there.)
    if (s.fault && s.killProcessAt === null) expect(info.fired, JSON.stringify(info)).toBe(true);
  } finally {
    await producing.catch(() => {});
    await out.close();
  }
}

describe('Kafka exactly-once under random faults (real broker, real workers)', () => {
  beforeAll(startKafka, 90_000);
  afterAll(async () => {
    delete process.env.WEIR_KAFKA_EO;
    await cleanupKafka();
  });

  it('the committed output topic equals the fault-free output for every fault schedule', { timeout: 170_000 }, async () => {
    const seed = process.env.KEO_SEED === undefined ? undefined : Number(process.env.KEO_SEED);
    await fc.assert(fc.asyncProperty(schedule, runSchedule), {
      numRuns: Number(process.env.KEO_RUNS ?? 3),
      seed,
      path: process.env.KEO_PATH,
      endOnFailure: true,
      verbose: 1,
    });
  });
});
