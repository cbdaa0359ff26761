/**
 * Simulated runs per second (weir/testing): a 5-operator keyed topology
 * (source -> map -> keyBy/reduce -> map -> sink) over 1,000 records, with
 * and without a fault schedule, on 2 simulated workers. No peer exists for
 * deterministic stream simulation; the figure is reported as is.
 */
import { collect, generator, topology } from '../runtime/index.js';
import { runInline, type Fault } from '../runtime/testing/index.js';
import { median, round } from './lib/util.js';

export interface SimulationResult {
  records: number;
  cleanRunsPerSec: number;
  faultyRunsPerSec: number;
  eventsPerRun: number;
  /** Every run committed exactly the expected output. */
  correct: boolean;
}

const keyed = topology('bench-sim', (t) =>
  t
    .source('in', generator({ count: 0 }), { parallelism: 2 })
    .map((w: string): [string, number] => [w, 1])
    .keyBy(([w]) => w)
    .reduce(([w, a], [, b]) => [w, a + b], { name: 'count' })
    .map(([w, c]) => `${w},${c}`)
    .sink('out', collect()),
);

export async function benchSimulation(runs = 60, records = 1000): Promise<SimulationResult> {
  const words = Array.from({ length: records }, (_, i) => `w${i % 31}`);
  const options = { inputs: { in: words }, workers: 2, parallelism: 2, checkpointInterval: 10, batchSize: 32 };
  const faults: Fault[] = [{ kind: 'actor-throws', operator: 'count', instance: 0, afterRecords: 200 }, { kind: 'channel-delay', maxMs: 3 }];
  let correct = true;
  let events = 0;
  const rate = async (withFaults: boolean) => {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      const r = await runInline(keyed, { ...options, seed: i + 1, faults: withFaults ? faults : [] });
      times.push(performance.now() - t0);
      events += r.events;
      if (r.error || r.outputs.out.length !== records || new Set(r.outputs.out).size !== records) correct = false;
    }
    return 1000 / median(times);
  };
  await rate(false); // warm-up
  events = 0;
  const clean = await rate(false);
  const faulty = await rate(true);
  return { records, cleanRunsPerSec: round(clean, 1), faultyRunsPerSec: round(faulty, 1), eventsPerRun: Math.round(events / (2 * runs)), correct };
}
