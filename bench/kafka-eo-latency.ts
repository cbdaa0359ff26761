/**
 * Benchmark `kafka-eo-latency` (issue 14): weir's exactly-once end-to-end
 * latency Kafka -> map -> Kafka with 100 ms checkpoints, and what the short
 * interval costs in throughput. Runs alone in about a minute
 * (`node dist/bench/run.js --only kafka-eo-latency`).
 *
 * Same job, topics, probe and measurement as bench/kafka.ts, weir only:
 * - throughput: `records` input records, one run with 1 s checkpoints and
 *   one with 100 ms, alternating order over `reps`; the ratio of their
 *   median rates is the cost of the short interval (target >= 0.9x);
 * - latency at LATENCY_RATE rec/s with 100 ms checkpoints (target p99 <
 *   250 ms), and with 1 s checkpoints in the same run for reference.
 * A latency run that lost or duplicated a measured record is an error.
 */
import {
  createTopics,
  committedEnd,
  errText,
  KAFKA_PARTITIONS,
  LATENCY_RATE,
  latencyRun,
  newKafka,
  produceInput,
  throughputRun,
  uniq,
  weirStarter,
  type KafkaSample,
  type Log,
  type SideDef,
} from './kafka.js';
import type { LatencyReport } from './lib/kafka-latency-probe.js';
import { median, round } from './lib/util.js';

export const EO_FAST_CHECKPOINT_MS = 100;
export const EO_SLOW_CHECKPOINT_MS = 1000;

export interface EoLatencyResult {
  records: number;
  repetitions: number;
  partitions: number;
  ratePerSec: number;
  warmupMs: number;
  measureMs: number;
  /** ratio: of the median rates, each from the job's start until every record is committed. */
  throughput: { fast: KafkaSample[]; slow: KafkaSample[]; fastRecordsPerSec: number; slowRecordsPerSec: number; ratio: number };
  latency: { fast?: LatencyReport; slow?: LatencyReport };
  errors: string[];
}

const side = (ms: number): SideDef => ({ id: 'weir', name: `weir exactly-once, checkpoints ${ms} ms`, start: weirStarter(true, ms) });

export async function benchKafkaEoLatency(records: number, reps: number, measureMs: number, log: Log): Promise<EoLatencyResult> {
  const kafka = newKafka('bench-kafka-eo-latency');
  const admin = kafka.admin();
  await admin.connect();
  const created: string[] = [];
  const errors: string[] = [];
  const fast = side(EO_FAST_CHECKPOINT_MS);
  const slow = side(EO_SLOW_CHECKPOINT_MS);
  try {
    const inTopic = `bench-kafka-eo-latency-in-${uniq()}`;
    await createTopics(admin, [inTopic]);
    created.push(inTopic);
    await produceInput(kafka, inTopic, records);
    const inEnd = await committedEnd(admin, inTopic);
    if (inEnd !== records) throw new Error(`input topic holds ${inEnd} records, expected ${records}`);

    const samples = { fast: [] as KafkaSample[], slow: [] as KafkaSample[] };
    for (let r = 0; r < reps; r++) {
      const order = r % 2 === 0 ? (['fast', 'slow'] as const) : (['slow', 'fast'] as const);
      for (const k of order) {
        const s = await throughputRun(kafka, admin, k === 'fast' ? fast : slow, inTopic, records, created);
        samples[k].push(s);
        log(`  throughput ${k === 'fast' ? EO_FAST_CHECKPOINT_MS : EO_SLOW_CHECKPOINT_MS} ms checkpoints: ${(s.wallMs / 1000).toFixed(1)} s, first output at ${(s.firstOutputMs / 1000).toFixed(1)} s (${s.checkpoints ?? '?'} checkpoints)`);
      }
    }
    const rate = (xs: KafkaSample[]): number => Math.round((records * 1000) / median(xs.map((s) => s.wallMs)));
    const fastRate = rate(samples.fast);
    const slowRate = rate(samples.slow);

    const latency: EoLatencyResult['latency'] = {};
    const warmupMs = 2000;
    for (const [k, def] of [['fast', fast], ['slow', slow]] as const) {
      try {
        const rep = await latencyRun(admin, def, warmupMs, measureMs, created);
        latency[k] = rep;
        log(`  latency ${def.name}: p50 ${rep.p50Ms.toFixed(0)} / p90 ${rep.p90Ms.toFixed(0)} / p99 ${rep.p99Ms.toFixed(0)} / max ${rep.maxMs.toFixed(0)} ms (${rep.seen}/${rep.measured} records, ${rep.achievedRatePerSec} rec/s)`);
        if (rep.seen !== rep.measured || rep.duplicates > 0) errors.push(`latency ${def.name}: saw ${rep.seen} of ${rep.measured} measured records, ${rep.duplicates} duplicates`);
      } catch (e) {
        errors.push(`latency ${def.name}: ${errText(e)}`);
        log(`  latency ${def.name} FAILED: ${errText(e)}`);
      }
    }
    return {
      records,
      repetitions: reps,
      partitions: KAFKA_PARTITIONS,
      ratePerSec: LATENCY_RATE,
      warmupMs,
      measureMs,
      throughput: { ...samples, fastRecordsPerSec: fastRate, slowRecordsPerSec: slowRate, ratio: round(fastRate / slowRate, 3) },
      latency,
      errors,
    };
  } finally {
    await admin.deleteTopics({ topics: created, timeout: 30_000 }).catch((e) => log(`  note: deleting topics failed: ${errText(e)}`));
    await admin.disconnect().catch(() => {});
  }
}

/** Table rows: [benchmark, weir, peer, ratio / figure, target, result]. */
export function eoLatencyRows(r: EoLatencyResult, pass: (metric: string) => string): string[][] {
  const p = (x: LatencyReport | undefined): string => (x ? `p50 ${x.p50Ms.toFixed(0)} / p99 ${x.p99Ms.toFixed(0)} ms` : 'FAILED');
  const k = (x: number): string => `${(x / 1000).toFixed(1)}k rec/s`;
  return [
    [`   EO latency @ ${r.ratePerSec / 1000}k rec/s, ckpt 100 ms`, p(r.latency.fast), `${p(r.latency.slow)} (ckpt 1 s)`, `p99 ${r.latency.fast ? r.latency.fast.p99Ms.toFixed(0) : 'n/a'} ms`, '< 250 ms', pass(EO_LATENCY_METRIC)],
    ['   EO throughput ckpt 100 ms / 1 s', k(r.throughput.fastRecordsPerSec), k(r.throughput.slowRecordsPerSec), `${r.throughput.ratio.toFixed(3)}x`, '>= 0.9x', pass(EO_THROUGHPUT_METRIC)],
  ];
}

export const EO_LATENCY_METRIC = 'exactly-once p99 latency at 5k rec/s, 100 ms checkpoints';
export const EO_THROUGHPUT_METRIC = 'exactly-once throughput ratio 100 ms / 1 s checkpoints';
