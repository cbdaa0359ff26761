/**
 * Regression: a fresh run (nothing to resume) with the same job id as an
 * earlier one starts its checkpoint ids at 1 again. The exactly-once sink's
 * epoch markers must not mistake its epochs for the earlier run's (they did:
 * its output was silently dropped). Markers now belong to a lineage that
 * starts with each fresh run.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { BROKERS, cleanupKafka, createTopic, fixture, produce, reader, unique } from './helpers.js';

describe('exactly-once Kafka sink across fresh runs of one job id', () => {
  afterAll(cleanupKafka);

  it('commits the second run\'s records too', async () => {
    const input = await createTopic(unique('rerun-in'), 2);
    const output = await createTopic(unique('rerun-out'), 2);
    process.env.WEIR_KAFKA_MAP = JSON.stringify({ brokers: BROKERS, input, output, groupId: unique('rerun-group') });
    const out = await reader(output);
    const options = { workers: 2, state: 'memory', jobId: 'rerun-same-id', checkpointInterval: 100, logLevel: 'silent' } as const;

    await produce(input, Array.from({ length: 200 }, (_, i) => ({ value: `a${i}` })));
    const first = run(fixture('kafka-map-eo.ts'), options);
    await out.atLeast(200, 30_000);
    await first.stop();

    await produce(input, Array.from({ length: 200 }, (_, i) => ({ value: `b${i}` })));
    const second = run(fixture('kafka-map-eo.ts'), options);
    await out.atLeast(400, 30_000, () => `output so far: ${out.values.length}`);
    await second.stop();
    await out.quiet(1500);

    const expected = [...Array.from({ length: 200 }, (_, i) => `Processed: a${i}`), ...Array.from({ length: 200 }, (_, i) => `Processed: b${i}`)].sort();
    expect([...out.values].sort()).toEqual(expected);
  }, 90_000);
});
