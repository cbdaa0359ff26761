/**
 * Fault-tolerance benchmarks.
 *
 * 4. `checkpoint`: the cost of periodic checkpoints. The same keyed stateful
 *    job (bench/jobs/checkpointed.ts) runs with checkpoints every second to
 *    Redis, and with `checkpointInterval: 0` (no periodic checkpoints; the
 *    final one at end of input is still written, so both sides do the same
 *    end-of-job work), alternating which goes first. The figure is the
 *    steady-state rate at the sinks after CHECKPOINT_WARMUP_MS of each side;
 *    the median over the pairs of with / without is the target (a same-run
 *    diagnostic is in checkpoint-alternating.ts). Every run gets its own job
 *    id, and its checkpoints are deleted from Redis afterwards.
 * 5. `recovery`: a worker of a paced job (bench/jobs/recovery.ts) exits once;
 *    the figure is the gap in the output: last record out before the
 *    failure to the first record out after the restart. No peer: the
 *    absolute figure is judged against the target.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run, type JobResult, type RunOptions } from '../runtime/index.js';
import { createBackend } from '../runtime/checkpoint/storage/create-backend.js';
import type { Arrival } from './jobs/arrival-sink.js';
import { binnedRecords, BIN_MS, mergeBins, type SumReport } from './jobs/sum-sink.js';
import { JOBS, median, round, wallNow } from './lib/util.js';


let seq = 0;
/** A job id no earlier run used: a rerun must not resume an old checkpoint. */
export const uniqueJobId = (what: string): string => `bench-${what}-${process.pid}-${Date.now().toString(36)}-${++seq}`;

/** Redact credentials from a Redis URL before it goes into results. */
function redact(spec: string): string {
  return spec.replace(/\/\/[^@/]*@/, '//***@');
}

// ---- benchmark 4: checkpoint overhead ----

export const CHECKPOINT_INTERVAL_MS = 1000;
export const CHECKPOINT_KEYS = 10_000;
/**
 * Sink time left out at the start of each checkpoint run: the workers' JIT
 * warm-up. The keyed job's rate climbs for 1.5-2 s (fresh worker isolates
 * optimise the hot path at different moments), and that climb varied by +-10%
 * between runs, more than the checkpoint cost to measure. After it the rate is
 * flat, so the steady rate is taken over the rest of the run (as JMH discards
 * warm-up iterations).
 */
export const CHECKPOINT_WARMUP_MS = 2000;
export const DEFAULT_REDIS = 'redis://127.0.0.1:6379/0';

export interface CheckpointSample {
  /** Records of this run (both runs of a pair have the same). */
  records: number;
  wallMs: number;
  firstRecordMs: number;
  /** First to last record at the sinks. */
  steadyMs: number;
  /** Records per second at the sinks after CHECKPOINT_WARMUP_MS, to the last whole 100 ms (the target's input). */
  recordsPerSec: number;
  /** Ms of sink time `recordsPerSec` was measured over; 0 if the run was too short and it is the whole run's rate. */
  measuredMs: number;
  /** Records per second from first to last record, warm-up included (diagnostic). */
  wholeRunRecordsPerSec: number;
  /** CPU time of the whole process (coordinator and worker threads, user + system) during run(), ms. */
  cpuMs: number;
  count: number;
  /** From JobResult.checkpoints: completed includes the final checkpoint at end of input. */
  completed: number;
  failed: number;
  /** Checkpoints other than the final one (completed - 1). */
  periodic: number;
  /** Write-and-commit time of the last periodic checkpoint (JobResult.checkpoints.lastDurationMs; 0 if none). */
  lastDurationMs: number;
  /** Bytes of the last checkpoint written (the final one). */
  lastSizeBytes: number;
  /** Ms between consecutive periodic barriers reaching the sinks (see CheckpointResult.medianCycleMs). */
  barrierCyclesMs: number[];
}

export interface CheckpointSide {
  name: string;
  options: Pick<RunOptions, 'workers' | 'checkpointInterval'> & { state: string };
  samples: CheckpointSample[];
  /** Median of the per-run steady-state rates (first to last record at the sinks). */
  steadyRecordsPerSec: number;
  /** End to end: median of records / wall ms from run() to done. */
  wallRecordsPerSec: number;
  /** Median process CPU µs per record. */
  cpuMicrosPerRecord: number;
}

export interface CheckpointResult {
  /** Records per run of each pair (set from the rate without checkpoints so far, for ~targetSeconds of steady state). */
  records: number[];
  keys: number;
  intervalMs: number;
  repetitions: number;
  /** Run length: the warm-up's size and rate; every pair's N is ~targetSeconds at the median rate without checkpoints so far. */
  calibration: { warmupRecords: number; warmupRecordsPerSec: number; targetSeconds: number; excludedWarmupMs: number };
  withCheckpoints: CheckpointSide;
  withoutCheckpoints: CheckpointSide;
  /**
   * The target: median over the pairs of (steady rate with / steady rate without periodic
   * checkpoints). The two runs of a pair are adjacent in time, so load that drifts
   * (other work on the machine) cancels out better than in a ratio of medians, and
   * the effect to detect (5%) is smaller than that drift on a shared machine.
   */
  ratio: number;
  /** Median steady rate with / median steady rate without (diagnostic; the convention of the other benchmarks). */
  ratioOfMedians: number;
  /** Same on end-to-end wall time (diagnostic; startup and the final checkpoint dilute the difference). */
  wallRatio: number;
  /** Per adjacent pair: with / without steady rate, sorted (diagnostic: spread = noise). */
  pairedRatios: number[];
  /**
   * Median process CPU time per record, without / with periodic checkpoints (diagnostic):
   * 0.97 means checkpoints cost 3% more CPU for the same records. It includes the
   * coordinator's Redis I/O, and compiling the job, for both sides.
   */
  cpuRatio: number;
  checkpoints: {
    /** Median periodic checkpoints completed per run with checkpoints on. */
    medianPeriodicPerRun: number;
    totalFailed: number;
    /** Median over runs of JobResult.checkpoints.lastDurationMs: write + commit to Redis, after the last ack. */
    medianLastDurationMs: number;
    /** Median over runs of JobResult.checkpoints.lastSizeBytes (all blobs of one checkpoint). */
    medianSizeBytes: number;
    /**
     * Median ms between consecutive barriers at the sinks. The next checkpoint is
     * scheduled `interval` ms after the previous one committed, so cycle - interval
     * approximates the whole checkpoint: trigger, barriers through the job, acks,
     * write, commit.
     */
    medianCycleMs: number;
    approxTriggerToCommitMs: number;
  };
}

/** Sum of the per-key counts the sinks must see: key k seen c_k times contributes c_k (c_k + 1) / 2. */
export function expectedKeyedSum(n: number, keys: number): number {
  const q = Math.floor(n / keys);
  const r = n % keys;
  return (r * (q + 1) * (q + 2)) / 2 + ((keys - r) * q * (q + 1)) / 2;
}

export async function clearJob(spec: string, jobId: string): Promise<void> {
  const b = createBackend(spec);
  try {
    await b.clear(jobId);
  } finally {
    await b.close().catch(() => {});
  }
}

/** Fail fast, with the URL in the message, when the Redis backend cannot be reached. */
async function probeBackend(spec: string): Promise<void> {
  const b = createBackend(spec);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      b.list(uniqueJobId('probe')),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`state backend ${redact(spec)} did not answer within 5 s (is Redis running? set WEIR_BENCH_REDIS to another URL)`)), 5000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await b.close().catch(() => {});
  }
}

export async function runCheckpointed(n: number, intervalMs: number, spec: string): Promise<CheckpointSample> {
  process.env.WEIR_BENCH_N = String(n); // workers copy process.env when they start
  process.env.WEIR_BENCH_KEYS = String(CHECKPOINT_KEYS);
  const jobId = uniqueJobId(intervalMs > 0 ? 'cp' : 'nocp');
  const startWall = wallNow();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  let result: JobResult;
  try {
    result = await run(new URL('checkpointed.ts', JOBS), { workers: 2, state: spec, checkpointInterval: intervalMs, jobId, logLevel: 'warn' }).done;
  } finally {
    await clearJob(spec, jobId);
  }
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const reports = (result.outputs.out ?? []) as SumReport[];
  let count = 0;
  let sum = 0;
  let first = Infinity;
  let last = -Infinity;
  const barrierAt = new Map<number, number>(); // checkpoint id -> when the last sink instance saw it
  for (const r of reports) {
    count += r.count;
    sum += r.sum;
    if (r.count > 0) {
      first = Math.min(first, r.firstAt);
      last = Math.max(last, r.lastAt);
    }
    // Each sink's last snapshot is its final one (end of input), not a periodic barrier.
    for (const [id, at] of r.barriers.slice(0, -1)) barrierAt.set(id, Math.max(barrierAt.get(id) ?? -Infinity, at));
  }
  const want = expectedKeyedSum(n, CHECKPOINT_KEYS);
  if (reports.length !== 2 || count !== n || sum !== want) {
    throw new Error(`checkpointed job (interval ${intervalMs}): ${reports.length} sink reports, ${count} records, sum ${sum}; expected 2, ${n}, ${want}`);
  }
  const ids = [...barrierAt.keys()].sort((a, b) => a - b);
  const cycles: number[] = [];
  for (let k = 1; k < ids.length; k++) if (ids[k] === ids[k - 1] + 1) cycles.push(round(barrierAt.get(ids[k])! - barrierAt.get(ids[k - 1])!, 1));
  const steadyMs = last - first;
  // Whole bins from the end of the warm-up to the bin of the last record (partial, left out).
  const steady = binnedRecords(mergeBins(reports), first + CHECKPOINT_WARMUP_MS, Math.floor(last / BIN_MS) * BIN_MS);
  // A run too short for a second after the warm-up (the bench's discarded warm-up pair, a
  // profile of a few records) is measured whole, and says so with measuredMs 0.
  const measuredMs = steady.ms >= 1000 ? steady.ms : 0;
  const cp = result.checkpoints;
  return {
    wallMs: round(wallMs, 1),
    firstRecordMs: round(first - startWall, 1),
    steadyMs: round(steadyMs, 1),
    records: n,
    recordsPerSec: measuredMs > 0 ? Math.round((steady.records * 1000) / measuredMs) : Math.round((n * 1000) / steadyMs),
    measuredMs,
    wholeRunRecordsPerSec: Math.round((n * 1000) / steadyMs),
    cpuMs: round((cpu.user + cpu.system) / 1000, 1),
    count,
    completed: cp.completed,
    failed: cp.failed,
    periodic: Math.max(0, cp.completed - 1),
    lastDurationMs: round(cp.lastDurationMs, 1),
    lastSizeBytes: cp.lastSizeBytes,
    barrierCyclesMs: cycles,
  };
}

function checkpointSide(name: string, intervalMs: number, spec: string, samples: CheckpointSample[]): CheckpointSide {
  return {
    name,
    options: { workers: 2, checkpointInterval: intervalMs, state: redact(spec) },
    samples,
    steadyRecordsPerSec: Math.round(median(samples.map((s) => s.recordsPerSec))),
    wallRecordsPerSec: Math.round(median(samples.map((s) => (s.records * 1000) / s.wallMs))),
    cpuMicrosPerRecord: round(median(samples.map((s) => (s.cpuMs * 1000) / s.records)), 3),
  };
}

/** Records for about `seconds` of steady state at `rate`: a multiple of 10,000, at least 500,000. */
const recordsFor = (rate: number, seconds: number): number => Math.min(100_000_000, Math.max(500_000, Math.round((rate * seconds) / 10_000) * 10_000));

/**
 * Warm-up pair (discarded), then `reps` alternating pairs of the checkpointed
 * job with and without periodic checkpoints. Each pair's record count aims at
 * `targetSeconds` of steady state at the median rate without checkpoints
 * seen so far (the warm-up's at first), so runs stay long enough for several
 * checkpoints on a fast machine and short enough on a slow or busy one.
 */
export async function benchCheckpoint(reps: number, targetSeconds: number, log: (s: string) => void, intervalMs = CHECKPOINT_INTERVAL_MS): Promise<CheckpointResult> {
  const spec = process.env.WEIR_BENCH_REDIS ?? DEFAULT_REDIS;
  await probeBackend(spec);
  const warmupRecords = 8_000_000; // ~2-3 s: long enough for the JIT to reach its steady rate, so the first pair is sized right
  const warm = await runCheckpointed(warmupRecords, 0, spec);
  await runCheckpointed(warmupRecords, intervalMs, spec);
  log(`  warm-up: ${(warm.wholeRunRecordsPerSec / 1e6).toFixed(2)} M rec/s without checkpoints`);
  const on: CheckpointSample[] = [];
  const off: CheckpointSample[] = [];
  const records: number[] = [];
  for (let r = 0; r < reps; r++) {
    const n = recordsFor(off.length ? median(off.map((s) => s.recordsPerSec)) : warm.wholeRunRecordsPerSec, targetSeconds + CHECKPOINT_WARMUP_MS / 1000);
    records.push(n);
    if (r % 2 === 0) {
      on.push(await runCheckpointed(n, intervalMs, spec));
      off.push(await runCheckpointed(n, 0, spec));
    } else {
      off.push(await runCheckpointed(n, 0, spec));
      on.push(await runCheckpointed(n, intervalMs, spec));
    }
    const a = on[r];
    const b = off[r];
    if (!a.measuredMs || !b.measuredMs) throw new Error(`checkpoint rep ${r + 1}: ${n} records left under 1 s of output after the ${CHECKPOINT_WARMUP_MS} ms warm-up`);
    log(
      `  rep ${r + 1}/${reps}, ${(n / 1e6).toFixed(2)} M records: checkpoints ${(a.recordsPerSec / 1e6).toFixed(2)} M rec/s (${a.periodic} periodic, last ${a.lastDurationMs.toFixed(0)} ms, ${(a.lastSizeBytes / 1024).toFixed(0)} KiB), ` +
        `none ${(b.recordsPerSec / 1e6).toFixed(2)} M rec/s (after ${CHECKPOINT_WARMUP_MS / 1000} s; whole runs ${(a.wholeRunRecordsPerSec / 1e6).toFixed(2)} vs ${(b.wholeRunRecordsPerSec / 1e6).toFixed(2)}); CPU ${(a.cpuMs / 1000).toFixed(2)} s vs ${(b.cpuMs / 1000).toFixed(2)} s`,
    );
  }
  const withSide = checkpointSide(`weir, checkpointInterval ${intervalMs} ms, Redis`, intervalMs, spec, on);
  const withoutSide = checkpointSide('weir, checkpointInterval 0 (final checkpoint only), Redis', 0, spec, off);
  const cycles = on.flatMap((s) => s.barrierCyclesMs);
  const medianCycleMs = cycles.length ? median(cycles) : NaN;
  return {
    records,
    keys: CHECKPOINT_KEYS,
    intervalMs,
    repetitions: reps,
    calibration: { warmupRecords, warmupRecordsPerSec: warm.wholeRunRecordsPerSec, targetSeconds, excludedWarmupMs: CHECKPOINT_WARMUP_MS },
    withCheckpoints: withSide,
    withoutCheckpoints: withoutSide,
    ratio: round(median(on.map((s, i) => s.recordsPerSec / off[i].recordsPerSec)), 3),
    ratioOfMedians: round(withSide.steadyRecordsPerSec / withoutSide.steadyRecordsPerSec, 3),
    wallRatio: round(withSide.wallRecordsPerSec / withoutSide.wallRecordsPerSec, 3),
    pairedRatios: on.map((s, i) => round(s.recordsPerSec / off[i].recordsPerSec, 3)).sort((a, b) => a - b),
    cpuRatio: round(withoutSide.cpuMicrosPerRecord / withSide.cpuMicrosPerRecord, 3),
    checkpoints: {
      medianPeriodicPerRun: median(on.map((s) => s.periodic)),
      totalFailed: on.reduce((t, s) => t + s.failed, 0) + off.reduce((t, s) => t + s.failed, 0),
      medianLastDurationMs: round(median(on.map((s) => s.lastDurationMs)), 1),
      medianSizeBytes: Math.round(median(on.map((s) => s.lastSizeBytes))),
      medianCycleMs: round(medianCycleMs, 1),
      approxTriggerToCommitMs: round(medianCycleMs - intervalMs, 1),
    },
  };
}

// ---- benchmark 5: recovery time ----

export const RECOVERY_RATE = 20_000;

export interface RecoverySample {
  /** Last record out before the failure -> first record out after the restart (the target). */
  gapMs: number;
  /** Worker exit (the marker's timestamp) -> first record out after the restart. */
  killToFirstOutputMs: number;
  /** Worker exit -> the first restarted sink opened: the surviving worker's reset (detection, 50 ms backoff, rebuild, restore). */
  killToResetMs: number;
  /** Worker exit -> the last restarted sink opened: the replacement worker (detection, backoff, new thread, module imports, restore). */
  killToReplacedMs: number;
  /** Last restarted sink opened -> first record out (the regions start once every worker is ready). */
  reopenToFirstOutputMs: number;
  /** Median gap between consecutive outputs (any sink instance) before the failure: the normal output cadence. */
  normalGapMs: number;
  /** Largest gap between consecutive outputs before the failure, from 0.5 s after the first (checkpoints included). */
  normalMaxGapMs: number;
  restarts: number;
  /** Records the sinks received (>= records: the restart replays from the last checkpoint). */
  delivered: number;
}

export interface RecoveryResult {
  records: number;
  ratePerSec: number;
  killAfterRecords: number;
  repetitions: number;
  options: Pick<RunOptions, 'workers' | 'checkpointInterval' | 'heartbeatIntervalMs'> & { state: string; restartBackoffInitialMs: number };
  samples: RecoverySample[];
  medianGapMs: number;
  medianKillToFirstOutputMs: number;
  medianKillToResetMs: number;
  medianKillToReplacedMs: number;
  medianReopenToFirstOutputMs: number;
  medianNormalGapMs: number;
  medianNormalMaxGapMs: number;
}

export async function runRecovery(n: number, rate: number, killAt: number): Promise<RecoverySample> {
  const killFile = path.join(os.tmpdir(), `weir-bench-kill-${process.pid}-${++seq}`);
  rmSync(killFile, { force: true });
  Object.assign(process.env, {
    WEIR_BENCH_N: String(n),
    WEIR_BENCH_RATE: String(rate),
    WEIR_BENCH_KILL_AT: String(killAt),
    WEIR_BENCH_KILL_FILE: killFile,
  });
  let result: JobResult;
  let killedAt: number;
  try {
    // Defaults for checkpoints (1 s, memory backend), heartbeats and restart backoff (50 ms).
    // logLevel 'error': the restart's warning would be printed on every repetition.
    result = await run(new URL('recovery.ts', JOBS), { workers: 2, jobId: uniqueJobId('recovery'), logLevel: 'error' }).done;
    if (!existsSync(killFile)) throw new Error('recovery job: the worker was never killed (no marker file)');
    killedAt = Number(readFileSync(killFile, 'utf8'));
  } finally {
    delete process.env.WEIR_BENCH_KILL_FILE;
    rmSync(killFile, { force: true });
  }
  const arrivals = (result.outputs.out ?? []) as Arrival[];
  const before = arrivals.filter((a) => a.openedAt < killedAt).sort((a, b) => a.at - b.at);
  const after = arrivals.filter((a) => a.openedAt > killedAt);
  const delivered = arrivals.reduce((t, a) => t + a.n, 0);
  if (result.restarts < 1 || before.length === 0 || after.length === 0 || delivered < n) {
    throw new Error(`recovery job: ${result.restarts} restarts, ${before.length} writes before the kill, ${after.length} after, ${delivered} records delivered (expected >= ${n})`);
  }
  const lastBefore = before[before.length - 1].at;
  const firstAfter = Math.min(...after.map((a) => a.at));
  // Per sink instance, when its restarted writer opened; the slowest is the replacement worker's.
  const openedBy = new Map<number, number>();
  for (const a of after) openedBy.set(a.instance, Math.min(openedBy.get(a.instance) ?? Infinity, a.openedAt));
  const reset = Math.min(...openedBy.values());
  const reopened = Math.max(...openedBy.values());
  const cadence: number[] = [];
  const steady = before.filter((a) => a.at < killedAt);
  for (let k = 1; k < steady.length; k++) cadence.push(steady[k].at - steady[k - 1].at);
  let maxGap = 0;
  for (let k = 1; k < steady.length; k++) if (steady[k - 1].at > steady[0].at + 500) maxGap = Math.max(maxGap, steady[k].at - steady[k - 1].at);
  return {
    gapMs: round(firstAfter - lastBefore, 1),
    killToFirstOutputMs: round(firstAfter - killedAt, 1),
    killToResetMs: round(reset - killedAt, 1),
    killToReplacedMs: round(reopened - killedAt, 1),
    reopenToFirstOutputMs: round(firstAfter - reopened, 1),
    normalGapMs: round(median(cadence), 1),
    normalMaxGapMs: round(maxGap, 1),
    restarts: result.restarts,
    delivered,
  };
}

/** A warm-up run (discarded), then `reps` runs of the paced job, each killing one worker once, 1.5 s into it. */
export async function benchRecovery(reps: number, log: (s: string) => void): Promise<RecoveryResult> {
  const rate = RECOVERY_RATE;
  const n = rate * 3; // 3 s of input
  const killAt = rate * 1.5; // the kill comes about 1.5 s in, after the first checkpoint
  await runRecovery(rate * 2, rate, rate * 1.2); // warm-up (discarded)
  const samples: RecoverySample[] = [];
  for (let r = 0; r < reps; r++) {
    const s = await runRecovery(n, rate, killAt);
    samples.push(s);
    log(
      `  rep ${r + 1}/${reps}: gap ${s.gapMs.toFixed(0)} ms (exit -> survivor reset ${s.killToResetMs.toFixed(0)} ms, -> replacement ready ${s.killToReplacedMs.toFixed(0)} ms, ` +
        `-> first record ${s.killToFirstOutputMs.toFixed(0)} ms; normal gaps ${s.normalGapMs.toFixed(1)} ms median, ${s.normalMaxGapMs.toFixed(0)} ms max)`,
    );
  }
  const med = (f: (s: RecoverySample) => number) => round(median(samples.map(f)), 1);
  return {
    records: n,
    ratePerSec: rate,
    killAfterRecords: killAt,
    repetitions: reps,
    options: { workers: 2, checkpointInterval: 1000, heartbeatIntervalMs: 1000, state: 'memory', restartBackoffInitialMs: 50 },
    samples,
    medianGapMs: med((s) => s.gapMs),
    medianKillToFirstOutputMs: med((s) => s.killToFirstOutputMs),
    medianKillToResetMs: med((s) => s.killToResetMs),
    medianKillToReplacedMs: med((s) => s.killToReplacedMs),
    medianReopenToFirstOutputMs: med((s) => s.reopenToFirstOutputMs),
    medianNormalGapMs: med((s) => s.normalGapMs),
    medianNormalMaxGapMs: med((s) => s.normalMaxGapMs),
  };
}
