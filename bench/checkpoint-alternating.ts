/**
 * Checkpoint overhead measured inside one run (a diagnostic beside the
 * `checkpoint` target, which pairs separate runs).
 *
 * Why: separate runs of the same job differ by up to +-10% in steady rate,
 * because each run's fresh worker isolates optimise the hot path differently
 * (and a 2-worker keyBy runs at the pace of the slower worker); that spread
 * is larger than the cost to measure. Here one long run of the keyed stateful job (bench/jobs/checkpointed.ts,
 * checkpointInterval 0) alternates 1 s segments with a checkpoint (requested
 * with handle.checkpoint(), written to Redis) and 1 s segments without, in the order on, off, off, on, ... (ABBA, so a
 * rate that drifts during the run favours neither side). The sinks count
 * records per 100 ms; the rate of each side is its records over its whole
 * 100 ms bins. Same isolates, same optimised code, same machine moment: the
 * difference is what checkpoints cost.
 */
import { run } from '../runtime/index.js';
import { CHECKPOINT_KEYS, clearJob, uniqueJobId } from './fault-tolerance.js';
import { binnedRecords, mergeBins, type SumReport } from './jobs/sum-sink.js';
import { JOBS, median, round, wallNow } from './lib/util.js';

/** One checkpoint per 1 s "on" segment (as checkpointInterval 1000), 100 ms in: its whole cost falls inside the segment. */
export const SEGMENT_MS = 1000;
const TRIGGER_AT_MS = 100;
/** Start-up and JIT warm-up before the first segment: the rate still climbs 2-4 s in. */
export const ALTERNATING_WARMUP_MS = 5000;

export interface AlternatingSample {
  records: number;
  segments: number;
  /** Records per second over the bins of segments with / without checkpoints. */
  withRecordsPerSec: number;
  withoutRecordsPerSec: number;
  ratio: number;
  /** Per block of 4 segments (on off off on): its on rate / off rate. */
  blockRatios: number[];
  /** Rate of each segment in order, M rec/s, negative for "off" (diagnostic: the spread). */
  segmentRates: number[];
  checkpoints: number;
  /** Median trigger -> commit of the requested checkpoints, ms. */
  medianCheckpointMs: number;
}

const sleepUntil = (at: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, at - wallNow())));

/** One run: warm-up, then `segments` alternating segments; `ratePerSec` sizes the run to outlast them. */
export async function runAlternating(segments: number, ratePerSec: number, spec: string): Promise<AlternatingSample> {
  const spanMs = ALTERNATING_WARMUP_MS + segments * SEGMENT_MS;
  // Enough records to outlast the schedule even 40% faster; the job is stopped (drained) after it.
  const n = Math.max(1_000_000, Math.round((ratePerSec * 1.4 * (spanMs + 2000)) / 1000 / 10_000) * 10_000);
  process.env.WEIR_BENCH_N = String(n); // workers copy process.env when they start
  process.env.WEIR_BENCH_KEYS = String(CHECKPOINT_KEYS);
  const jobId = uniqueJobId('alt');
  const handle = run(new URL('checkpointed.ts', JOBS), { workers: 2, state: spec, checkpointInterval: 0, jobId, logLevel: 'warn' });
  const plan: { from: number; to: number; on: boolean }[] = [];
  const durations: number[] = [];
  let ended = false;
  void handle.done.then(
    () => (ended = true),
    () => (ended = true),
  );
  const endedEarly = () => new Error(`checkpointed job (${n} records) ended before the alternating schedule did`);
  try {
    const t0 = wallNow() + ALTERNATING_WARMUP_MS;
    // As a job with periodic checkpoints does (Checkpointer.start): one checkpoint at start, so
    // the workers' optimised code has seen a barrier before the measured segments.
    await handle.checkpoint();
    for (let k = 0; k < segments; k++) {
      const from = t0 + k * SEGMENT_MS;
      const on = k % 4 === 0 || k % 4 === 3; // on off off on | on off off on ...
      plan.push({ from, to: from + SEGMENT_MS, on });
      if (!on) continue;
      await sleepUntil(from + TRIGGER_AT_MS);
      if (ended) throw endedEarly();
      durations.push((await handle.checkpoint()).durationMs);
    }
    await sleepUntil(t0 + segments * SEGMENT_MS);
    if (ended) throw endedEarly();
    await handle.stop();
  } catch (e) {
    await handle.stop().catch(() => {});
    throw e;
  }
  const result = await handle.done;
  await clearJob(spec, jobId);
  const reports = (result.outputs.out ?? []) as SumReport[];
  const bins = mergeBins(reports);
  const count = reports.reduce((t, r) => t + r.count, 0);
  // Stopped mid-stream, so the exact keyed sum is unknown (the paired runs check it); the bins must hold every record.
  let binned = 0;
  for (const c of bins.values()) binned += c;
  if (reports.length !== 2 || count === 0 || binned !== count) throw new Error(`checkpointed job: ${reports.length} sink reports, ${count} records, ${binned} in the time bins`);
  const side = { on: { records: 0, ms: 0 }, off: { records: 0, ms: 0 } };
  const segmentRates: number[] = [];
  const rates: number[] = [];
  for (const s of plan) {
    const { records, ms } = binnedRecords(bins, s.from, s.to);
    const x = s.on ? side.on : side.off;
    x.records += records;
    x.ms += ms;
    rates.push((records * 1000) / ms);
    segmentRates.push(round(((s.on ? 1 : -1) * records) / ms / 1000, 2));
  }
  const blockRatios: number[] = [];
  for (let k = 0; k + 4 <= rates.length; k += 4) blockRatios.push(round((rates[k] + rates[k + 3]) / (rates[k + 1] + rates[k + 2]), 3));
  const withRate = (side.on.records * 1000) / side.on.ms;
  const withoutRate = (side.off.records * 1000) / side.off.ms;
  return {
    records: count,
    segments,
    withRecordsPerSec: Math.round(withRate),
    withoutRecordsPerSec: Math.round(withoutRate),
    ratio: round(withRate / withoutRate, 3),
    blockRatios,
    segmentRates,
    checkpoints: durations.length, // the one at start included
    medianCheckpointMs: round(median(durations), 1),
  };
}

export interface AlternatingResult {
  runs: AlternatingSample[];
  /**
   * Median over every block of every run of (rate in its two "on"
   * segments / rate in its two "off" segments). A block spans 4 s, so a rate
   * jump elsewhere in the run (the machine's other load, a late
   * re-optimisation) moves only the blocks it falls in, and the median
   * leaves those out.
   */
  ratio: number;
  /** Records with / without over all runs (diagnostic). */
  ratioOfTotals: number;
  /** Every block's ratio, sorted (the spread). */
  blockRatios: number[];
  medianCheckpointMs: number;
}

export async function benchAlternating(runs: number, segments: number, ratePerSec: number, spec: string, log: (s: string) => void): Promise<AlternatingResult> {
  const samples: AlternatingSample[] = [];
  for (let r = 0; r < runs; r++) {
    const s = await runAlternating(segments, ratePerSec, spec);
    samples.push(s);
    log(`  alternating run ${r + 1}/${runs}: ${(s.withRecordsPerSec / 1e6).toFixed(2)} M rec/s in 1 s segments with a checkpoint, ${(s.withoutRecordsPerSec / 1e6).toFixed(2)} without; blocks ${s.blockRatios.join(', ')}`);
  }
  const blocks = samples.flatMap((s) => s.blockRatios).sort((a, b) => a - b);
  const on = samples.reduce((t, s) => t + s.withRecordsPerSec, 0);
  const off = samples.reduce((t, s) => t + s.withoutRecordsPerSec, 0);
  return {
    runs: samples,
    ratio: round(median(blocks), 3),
    ratioOfTotals: round(on / off, 3),
    blockRatios: blocks,
    medianCheckpointMs: round(median(samples.map((s) => s.medianCheckpointMs)), 1),
  };
}
