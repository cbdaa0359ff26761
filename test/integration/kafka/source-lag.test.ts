/**
 * Kafka source lag on a real broker (127.0.0.1:9092): 6,000 records wait in a
 * 2-partition topic; a sink that takes 1,000 records/s reads them, so the
 * source lags. /metrics shows weir_source_lag_records per partition, and the
 * lag falls as the job catches up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { BROKERS, cleanupKafka, createTopic, fixture, produce, sleep, track, unique } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const COUNT = 6000;

function lagSeries(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^weir_source_lag_records\{([^}]*)\} (\S+)$/gm)) out.set(/partition="(\d+)"/.exec(m[1])![1], Number(m[2]));
  return out;
}

describe('Kafka source lag', () => {
  beforeAll(startKafka, 90_000);
  afterAll(async () => {
    delete process.env.WEIR_KAFKA_BP;
    await cleanupKafka();
  });

  it('is exported per partition and falls as the job catches up', { timeout: 120_000 }, async () => {
    const topic = await createTopic(unique('lag'), 2);
    const group = unique('lag-group');
    track({ group, groupPrefix: `${group}.weir-` });
    await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ value: `m-${i}-x`, partition: i % 2 })));
    process.env.WEIR_KAFKA_BP = JSON.stringify({ brokers: BROKERS, topic, group, recordsPerSec: 1000, bufferRecords: 500 });
    let onListening!: (u: string) => void;
    const ready = new Promise<string>((r) => (onListening = r));
    const handle = run(fixture('kafka-slow-sink.ts'), { workers: 1, state: 'memory', metricsIntervalMs: 250, batchSize: 64, credits: 2, http: { port: 0, onListening } });
    try {
      const url = await ready;
      const seen: Map<string, number>[] = [];
      for (let i = 0; i < 200; i++) {
        const lag = lagSeries(await (await fetch(`${url}/metrics`)).text());
        if (lag.size === 2) seen.push(lag);
        const total = (l: Map<string, number>) => [...l.values()].reduce((a, b) => a + b, 0);
        if (seen.length >= 2 && total(seen[0]) > 0 && total(lag) < total(seen[0]) / 2) break;
        await sleep(250);
      }
      expect(seen.length).toBeGreaterThanOrEqual(2);
      const total = (l: Map<string, number>) => [...l.values()].reduce((a, b) => a + b, 0);
      const first = total(seen[0]);
      const last = total(seen.at(-1)!);
      expect(first).toBeGreaterThan(0);
      expect(first).toBeLessThanOrEqual(COUNT);
      expect(last).toBeLessThan(first);
      // The same figure is in the model that handle.metrics() returns.
      const src = handle.metrics()!.operators.find((o) => o.operator === 'in')!;
      expect(Object.keys(src.instances[0].lag ?? {}).sort()).toEqual(['0', '1']);
    } finally {
      await handle.stop().catch(() => {});
    }
  });
});
