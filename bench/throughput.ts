/**
 * Benchmarks 1 and 2: records/s of a weir job against a peer doing the same
 * work, run side by side in this process (alternating which goes first),
 * median of the repetitions. Both sides start cold each repetition: weir
 * spawns its worker threads per run(), the peers run in fresh worker threads.
 *
 * Figures per side:
 * - wallMs: start (run() / new Worker) to end (done / last report). The
 *   ratio and the target use this end-to-end figure;
 * - firstRecordMs: start to the first record at the sink (startup cost);
 * - steadyMs: first to last record at the sink (the ratio on it is reported
 *   as a diagnostic: it excludes startup on both sides).
 */
import { MessageChannel } from 'node:worker_threads';
import { run, type RunOptions } from '../runtime/index.js';
import type { CountReport } from './jobs/count-sink.js';
import type { Sample } from './lib/types.js';
import { checkSample, JOBS, median, round, runThreads, toSample, wallNow } from './lib/util.js';

export interface SideResult {
  name: string;
  samples: Sample[];
  medianWallMs: number;
  recordsPerSec: number;
  medianFirstRecordMs: number;
  steadyRecordsPerSec: number;
}

export interface ThroughputResult {
  records: number;
  repetitions: number;
  weir: SideResult;
  peer: SideResult;
  /** weir records/s / peer records/s, end to end (median wall times). */
  ratio: number;
  /** Same on the first-to-last-record span (diagnostic). */
  steadyRatio: number;
  /**
   * peer wall / weir wall of each repetition's adjacent pair, sorted (diagnostic): the two
   * runs of a pair saw about the same background load, so the spread shows the noise.
   */
  pairedRatios: number[];
  medianPairedRatio: number;
}


export async function runWeirJob(job: string, n: number, options: RunOptions): Promise<Sample> {
  process.env.WEIR_BENCH_N = String(n); // workers copy process.env when they start
  const startWall = wallNow();
  const t0 = performance.now();
  const result = await run(new URL(job, JOBS), { logLevel: 'warn', ...options }).done;
  const wallMs = performance.now() - t0;
  const reports = (result.outputs.out ?? []) as CountReport[];
  const s = toSample(reports, startWall, wallMs);
  checkSample(`weir ${job}`, s, n);
  return s;
}

function summarize(name: string, samples: Sample[], n: number): SideResult {
  const medianWallMs = median(samples.map((s) => s.wallMs));
  const medianSteady = median(samples.map((s) => s.steadyMs));
  return {
    name,
    samples: samples.map((s) => ({ ...s, wallMs: round(s.wallMs, 1), firstRecordMs: round(s.firstRecordMs, 1), steadyMs: round(s.steadyMs, 1) })),
    medianWallMs: round(medianWallMs, 1),
    recordsPerSec: Math.round((n * 1000) / medianWallMs),
    medianFirstRecordMs: round(median(samples.map((s) => s.firstRecordMs)), 1),
    steadyRecordsPerSec: Math.round((n * 1000) / medianSteady),
  };
}

/** Warm-up pair (discarded, n/10 records), then `reps` alternating pairs. */
export async function sideBySide(
  n: number,
  reps: number,
  weir: (n: number) => Promise<Sample>,
  peer: (n: number) => Promise<Sample>,
  names: [string, string],
  log: (s: string) => void,
): Promise<ThroughputResult> {
  const warm = Math.max(1000, Math.floor(n / 10));
  await weir(warm);
  await peer(warm);
  const w: Sample[] = [];
  const p: Sample[] = [];
  for (let r = 0; r < reps; r++) {
    if (r % 2 === 0) {
      w.push(await weir(n));
      p.push(await peer(n));
    } else {
      p.push(await peer(n));
      w.push(await weir(n));
    }
    log(`  rep ${r + 1}/${reps}: weir ${w[r].wallMs.toFixed(0)} ms, peer ${p[r].wallMs.toFixed(0)} ms`);
  }
  const weirSide = summarize(names[0], w, n);
  const peerSide = summarize(names[1], p, n);
  return {
    records: n,
    repetitions: reps,
    weir: weirSide,
    peer: peerSide,
    ratio: round(weirSide.recordsPerSec / peerSide.recordsPerSec, 3),
    steadyRatio: round(weirSide.steadyRecordsPerSec / peerSide.steadyRecordsPerSec, 3),
    pairedRatios: w.map((ws, i) => round(p[i].wallMs / ws.wallMs, 3)).sort((a, b) => a - b),
    medianPairedRatio: round(median(w.map((ws, i) => p[i].wallMs / ws.wallMs)), 3),
  };
}

// ---- benchmark 1: one worker, chained ----

async function streamPipelinePeer(n: number): Promise<Sample> {
  const { reports, wallMs, startWall } = await runThreads(new URL('./peers/stream-pipeline.js', import.meta.url), [{ workerData: { n } }]);
  const s = toSample(reports, startWall, wallMs);
  checkSample('stream.pipeline peer', s, n);
  return s;
}

export function benchChain(n: number, reps: number, log: (s: string) => void): Promise<ThroughputResult> {
  return sideBySide(
    n,
    reps,
    (k) => runWeirJob('chain.ts', k, { workers: 1 }),
    streamPipelinePeer,
    ['weir: generator -> map -> count sink, workers: 1', 'node:stream pipeline (Readable.from -> Transform -> Writable) in a worker thread'],
    log,
  );
}

// ---- benchmark 2: two workers through keyBy ----

export const KEYED_BATCH_SIZE = 256; // weir's default batchSize
export const KEYED_CREDITS = 16; // weir's default credits
/** Records the peer generates between event-loop turns (so credit and batches from the other thread get handled). */
export const PEER_YIELD_EVERY = 256;
const MAX_PARALLELISM = 128; // weir's default maxParallelism

async function twoThreadPeer(n: number): Promise<Sample> {
  const { port1, port2 } = new MessageChannel();
  const common = { n, batchSize: KEYED_BATCH_SIZE, credits: KEYED_CREDITS, maxParallelism: MAX_PARALLELISM, yieldEvery: PEER_YIELD_EVERY };
  const { reports, wallMs, startWall } = await runThreads(new URL('./peers/keyed-worker.js', import.meta.url), [
    { workerData: { ...common, index: 0, port: port1 }, transferList: [port1] },
    { workerData: { ...common, index: 1, port: port2 }, transferList: [port2] },
  ]);
  const s = toSample(reports, startWall, wallMs);
  checkSample('2-thread msgpackr peer', s, n);
  return s;
}

export function benchKeyed(n: number, reps: number, log: (s: string) => void): Promise<ThroughputResult> {
  return sideBySide(
    n,
    reps,
    (k) => runWeirJob('keyed.ts', k, { workers: 2, batchSize: KEYED_BATCH_SIZE, credits: KEYED_CREDITS }),
    twoThreadPeer,
    [
      'weir: generator(p2) -> keyBy -> map(p2) -> count sink(p2), workers: 2',
      `2 hand-written worker_threads, msgpackr batches of ${KEYED_BATCH_SIZE} over a MessagePort (transferred), ${KEYED_CREDITS} credits`,
    ],
    log,
  );
}
