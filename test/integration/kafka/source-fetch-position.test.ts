// Regression test: this reproduced a bug (see the description below), now fixed.
/**
 * BUG REPRO (fails while the bug is present; run with
 *   npx vitest run --config test/integration/kafka/vitest.bugs.config.ts):
 *
 * kafka.source never reads past the first fetch response of a partition:
 * with 60k records of ~110 bytes on one partition it emits exactly the first
 * record batch (5000 records here) and then nothing, forever, while the
 * consumer re-fetches that same batch in a loop.
 *
 * Cause (connectors/kafka/source.ts, `consumer.run({ eachBatchAutoResolve:
 * false, eachBatch })`): kafkajs fetches each partition from its *resolved*
 * offset (consumerGroup.fetch -> offsetManager.nextOffset). The GROUP_JOIN
 * seek sets it once; with eachBatchAutoResolve: false and no
 * `resolveOffset()` call in eachBatch it never moves again, so every fetch
 * returns the same first ~1 MB (maxBytesPerPartition) from the seek offset,
 * and the source's `if (off < fetched) continue` silently drops the
 * re-deliveries. Small topics (< 1 MB per partition past the start position)
 * hide it: the whole partition fits in every (repeated) fetch, which also
 * means the source re-reads the partition on every poll (O(n^2) traffic).
 * backpressure.test.ts (200k records) stops at ~52k records because of it.
 *
 * Fix: in eachBatch, after queueing (or skipping) each message call
 * `resolveOffset(m.offset)` (taken from the EachBatchPayload); kafkajs'
 * resolveOffset also steps over a trailing transaction control record when
 * the batch's last message is resolved. autoCommit stays false, so this only
 * moves kafkajs' fetch position; weir's positions (`next`) are unchanged.
 * Verified: with that one change (a patched copy of source.ts),
 * backpressure.test.ts passes (200k records, no loss, no duplicate).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { BROKERS, cleanupKafka, createTopic, fixture, produce, track, unique, waitFor } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

describe('BUG: kafka.source stops after the first fetch of a partition', () => {
  beforeAll(startKafka, 90_000);
  afterAll(async () => {
    delete process.env.WEIR_KAFKA_BP;
    await cleanupKafka();
  });

  it('reads all 60k records (~7 MB) of a partition', async () => {
    const COUNT = 60_000;
    const topic = await createTopic(unique('fetchpos'), 1);
    const group = unique('fetchpos-group');
    track({ group });
    await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ value: `m-${i}-${'x'.repeat(100)}` })));
    process.env.WEIR_KAFKA_BP = JSON.stringify({ brokers: BROKERS, topic, group, recordsPerSec: 10_000_000 });
    const h = run(fixture('kafka-slow-sink.ts'), { workers: 1, state: 'memory', metricsIntervalMs: 200, logLevel: 'silent' });
    const sinkIn = () => h.metrics()?.operators.find((o) => o.operator === 'out')?.recordsIn ?? 0;
    try {
      // Actual (bug): stuck at 5000 (the first record batch).
      await waitFor(() => sinkIn() >= COUNT, () => `the sink to take ${COUNT} records (took ${sinkIn()})`, 20_000, 100);
    } finally {
      const r = await h.stop();
      const ids = r.outputs.out as number[];
      expect(new Set(ids).size).toBe(ids.length);
    }
    const r = await h.done;
    expect((r.outputs.out as number[]).length).toBe(COUNT);
  }, 60_000);
});
