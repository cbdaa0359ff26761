/**
 * Benchmark 8: what observability costs. The chain and keyBy jobs of
 * benchmarks 1 and 2, run with metrics and the dashboard on (workers report
 * every second, the HTTP endpoint serves a Prometheus scrape every second and
 * one dashboard's live stream) against the same job with them off (no
 * metrics reports, no endpoint). Alternating repetitions, medians, as
 * throughput.ts. Target: on / off >= 0.98 (overhead <= 2 %).
 */
import type { RunOptions } from '../runtime/index.js';
import { JobTelemetry } from '../runtime/metrics/telemetry.js';
import { prometheusRegistry } from '../runtime/http/prometheus.js';
import { updateJson } from '../runtime/http/api.js';
import type { ActorPlan, ExecutionPlan } from '../runtime/plan/plan.js';
import { KEYED_BATCH_SIZE, KEYED_CREDITS, runWeirJob, sideBySide, type ThroughputResult } from './throughput.js';

export interface ObservabilityResult {
  chain: ThroughputResult;
  keyed: ThroughputResult;
  /** Scrapes and live updates the clients got in all, so a run that served nothing is visible. */
  scrapes: number;
  updates: number;
  /** Coordinator CPU per second of job time for one sample, one scrape and one live update of a 50-operator, 100-actor job (ms), and that as a share of one core. */
  costMsPerSecond50: number;
  coreShare50: number;
}

/** The coordinator's side of observability, timed in isolation (it does not depend on load the way throughput does). */
export async function costOf50Operators(): Promise<{ ms: number; share: number }> {
  const actors: ActorPlan[] = [];
  for (let o = 0; o < 50; o++) {
    for (let i = 0; i < 2; i++) {
      actors.push({ id: actors.length, operator: `op${o}`, kind: o === 0 ? 'source' : o === 49 ? 'sink' : 'map', instance: i, parallelism: 2, worker: i, region: 0, inputs: [], outputs: o < 49 ? [{ to: `op${o + 1}`, partitioning: 'forward', channels: [actors.length] }] : [] });
    }
  }
  const plan: ExecutionPlan = { job: 'fifty', fingerprint: 'f', workers: 2, maxParallelism: 128, regions: 1, channels: [], actors };
  const t = new JobTelemetry('fifty');
  t.planned(plan, 'fifty', undefined);
  t.started();
  const prom = prometheusRegistry(t);
  const rounds = 200;
  let n = 0;
  const step = async () => {
    n += 1000;
    for (const w of [0, 1]) t.report(w, actors.filter((a) => a.worker === w).map((a) => ({ actor: a.id, recordsIn: n, recordsOut: n, queued: 10, backpressuredMs: n / 100, busyMs: n / 10, finished: false, epoch: 0, credits: 8 })), { heapUsed: 1e7, elu: 0.5, loopDelayMs: { mean: 1, p99: 2, max: 3 } });
    t.sample(undefined);
    await prom.registry.metrics();
    JSON.stringify(updateJson(t));
  };
  for (let i = 0; i < 20; i++) await step(); // warm up
  const c0 = process.cpuUsage();
  for (let i = 0; i < rounds; i++) await step();
  const c = process.cpuUsage(c0);
  prom.close();
  // One round per second of job time (the default metrics interval).
  const ms = (c.user + c.system) / 1000 / rounds;
  return { ms, share: ms / 1000 };
}

let scrapes = 0;
let updates = 0;

/** A Prometheus scraper (1/s) and a dashboard's event stream, until the endpoint closes with the job. */
function clients(url: string): void {
  void (async () => {
    for (;;) {
      try {
        const r = await fetch(`${url}/metrics`);
        await r.text();
        scrapes++;
      } catch {
        return; // the job ended
      }
      await new Promise((res) => setTimeout(res, 1000));
    }
  })();
  void (async () => {
    try {
      const r = await fetch(`${url}/api/events`);
      const dec = new TextDecoder();
      for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) updates += (dec.decode(chunk).match(/^event: update$/gm) ?? []).length;
    } catch {
      // closed with the job
    }
  })();
}

const on = (o: RunOptions): RunOptions => ({ ...o, metricsIntervalMs: 1000, http: { port: 0, onListening: clients } });
const off = (o: RunOptions): RunOptions => ({ ...o, metricsIntervalMs: 0 });

export async function benchObservability(n: number, reps: number, log: (s: string) => void): Promise<ObservabilityResult> {
  scrapes = 0;
  updates = 0;
  const cost = await costOf50Operators();
  log(`  coordinator cost, 50 operators x 2: ${cost.ms.toFixed(2)} ms CPU per second of job time (${(cost.share * 100).toFixed(2)} % of a core)`);
  log('  chain, 1 worker:');
  const chain = await sideBySide(n, reps, (k) => runWeirJob('chain.ts', k, on({ workers: 1 })), (k) => runWeirJob('chain.ts', k, off({ workers: 1 })), ['metrics + dashboard on', 'off'], log);
  const keyedOpts: RunOptions = { workers: 2, batchSize: KEYED_BATCH_SIZE, credits: KEYED_CREDITS };
  log('  keyBy, 2 workers:');
  const keyed = await sideBySide(n, reps, (k) => runWeirJob('keyed.ts', k, on(keyedOpts)), (k) => runWeirJob('keyed.ts', k, off(keyedOpts)), ['metrics + dashboard on', 'off'], log);
  return { chain, keyed, scrapes, updates, costMsPerSecond50: cost.ms, coreShare50: cost.share };
}
