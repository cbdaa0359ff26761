/**
 * Cross-worker latency at a fixed rate: weir with bufferTimeout 0 and
 * checkpoints every second (memory backend) against two raw threads posting
 * each record alone over a MessagePort (bench/peers/port-latency.ts), run
 * alternately in the same session. Figures: p50 / p99 / p99.9 of the
 * latency, generation -> sink, of the records that crossed workers, after a
 * 1 s warm-up. Diagnostic: the same weir job without periodic checkpoints,
 * run alternately with the others, shows what the barriers and their
 * alignment add (the rest is the runtime's path and the machine).
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { run } from '../runtime/index.js';
import type { LatencyReport } from './jobs/latency-sink.js';
import { percentiles, type LatencyPercentiles } from './lib/percentiles.js';
import { JOBS, wallNow } from './lib/util.js';

export const LATENCY_RATE = 10_000;
const WARMUP_MS = 1000;
const CHECKPOINT_MS = 1000;

export interface LatencyResult {
  ratePerSec: number;
  seconds: number;
  runs: number;
  checkpointIntervalMs: number;
  weir: LatencyPercentiles & { checkpoints: number; sameWorker: LatencyPercentiles };
  /** Diagnostic: weir's crossing records with no periodic checkpoint (checkpointInterval 0). */
  weirNoCheckpoints: LatencyPercentiles;
  peer: LatencyPercentiles;
}

async function weirRun(n: number, checkpointInterval = CHECKPOINT_MS): Promise<{ crossed: number[]; local: number[]; checkpoints: number }> {
  process.env.WEIR_BENCH_N = String(n); // workers copy process.env when they start
  process.env.WEIR_BENCH_RATE = String(LATENCY_RATE);
  // run() compiles, plans and starts the workers first: the warm-up counts from a little later.
  process.env.WEIR_BENCH_WARMUP_UNTIL = String(wallNow() + WARMUP_MS + 300);
  const result = await run(new URL('latency.ts', JOBS), { workers: 2, bufferTimeout: 0, checkpointInterval, state: 'memory', logLevel: 'warn' }).done;
  const reports = (result.outputs.out ?? []) as LatencyReport[];
  const count = reports.reduce((s, r) => s + r.count, 0);
  if (count !== n) throw new Error(`latency: weir's sinks saw ${count} records, expected ${n}`);
  return { crossed: reports.flatMap((r) => r.crossedMs), local: reports.flatMap((r) => r.localMs), checkpoints: result.checkpoints.completed };
}

async function peerRun(n: number): Promise<number[]> {
  const { port1, port2 } = new MessageChannel();
  const warmupUntil = wallNow() + WARMUP_MS + 100;
  const common = { n, ratePerSec: LATENCY_RATE, warmupUntil };
  const file = new URL('./peers/port-latency.js', import.meta.url);
  const workers = [
    new Worker(file, { workerData: { ...common, index: 0, port: port1 }, transferList: [port1] }),
    new Worker(file, { workerData: { ...common, index: 1, port: port2 }, transferList: [port2] }),
  ];
  try {
    const reports = await Promise.all(workers.map((w) => new Promise<{ crossedMs: number[] }>((resolve, reject) => {
      w.once('message', resolve);
      w.once('error', reject);
    })));
    return reports.flatMap((r) => r.crossedMs);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export async function benchLatency(seconds: number, runs: number, log: (s: string) => void): Promise<LatencyResult> {
  const n = LATENCY_RATE * seconds;
  const weir: number[] = [];
  const local: number[] = [];
  const peer: number[] = [];
  const noCheckpoints: number[] = [];
  let checkpoints = 0;
  for (let r = 0; r < runs; r++) {
    const w = async () => {
      const x = await weirRun(n);
      weir.push(...x.crossed);
      local.push(...x.local);
      checkpoints += x.checkpoints;
    };
    const p = async () => void peer.push(...(await peerRun(n)));
    const off = async () => void noCheckpoints.push(...(await weirRun(n, 0)).crossed);
    for (const side of r % 2 === 0 ? [w, p, off] : [off, p, w]) await side();
  }
  const result: LatencyResult = {
    ratePerSec: LATENCY_RATE,
    seconds,
    runs,
    checkpointIntervalMs: CHECKPOINT_MS,
    weir: { ...percentiles(weir), checkpoints, sameWorker: percentiles(local) },
    weirNoCheckpoints: percentiles(noCheckpoints),
    peer: percentiles(peer),
  };
  if (result.weir.samples === 0 || result.peer.samples === 0) throw new Error(`latency: no crossing record measured (weir ${result.weir.samples}, peer ${result.peer.samples})`);
  const f = (p: LatencyPercentiles) => `p50 ${p.p50Ms} / p99 ${p.p99Ms} / p99.9 ${p.p999Ms} ms (${p.samples} records)`;
  log(`  weir: ${f(result.weir)}, ${checkpoints} checkpoints; same worker ${f(result.weir.sameWorker)}`);
  log(`  weir without periodic checkpoints (diagnostic): ${f(result.weirNoCheckpoints)}`);
  log(`  raw MessagePort: ${f(result.peer)}`);
  return result;
}
