/**
 * Benchmark 8: what observability costs. The chain and keyBy jobs of
 * benchmarks 1 and 2, run with metrics and the dashboard on (workers report
 * every second, the HTTP endpoint serves a Prometheus scrape every second and
 * one dashboard's live stream) against the same job with them off (no
 * metrics reports, no endpoint). Alternating repetitions, medians, as
 * throughput.ts. Target: on / off >= 0.98 (overhead <= 2 %).
 */
import type { RunOptions } from '../runtime/index.js';
import { KEYED_BATCH_SIZE, KEYED_CREDITS, runWeirJob, sideBySide, type ThroughputResult } from './throughput.js';

export interface ObservabilityResult {
  chain: ThroughputResult;
  keyed: ThroughputResult;
  /** Scrapes and live updates the clients got in all, so a run that served nothing is visible. */
  scrapes: number;
  updates: number;
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
  log('  chain, 1 worker:');
  const chain = await sideBySide(n, reps, (k) => runWeirJob('chain.ts', k, on({ workers: 1 })), (k) => runWeirJob('chain.ts', k, off({ workers: 1 })), ['metrics + dashboard on', 'off'], log);
  const keyedOpts: RunOptions = { workers: 2, batchSize: KEYED_BATCH_SIZE, credits: KEYED_CREDITS };
  log('  keyBy, 2 workers:');
  const keyed = await sideBySide(n, reps, (k) => runWeirJob('keyed.ts', k, on(keyedOpts)), (k) => runWeirJob('keyed.ts', k, off(keyedOpts)), ['metrics + dashboard on', 'off'], log);
  return { chain, keyed, scrapes, updates };
}
