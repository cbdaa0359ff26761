/**
 * Kafka record timestamps as event time, per partition, on a real broker
 * (127.0.0.1:9092): one source instance reads a 2-partition topic whose
 * partition 0 runs 1,000 s of event time ahead of partition 1. As Flink's
 * KafkaSource, the instance's watermark is the minimum over its partitions,
 * each counted from the start (so partition 0's first fetch cannot make
 * partition 1's first record late), and no record of the partition behind
 * is late (one watermark over all partitions made every later record of
 * partition 1 late); a partition idle for idleTimeout stops holding the
 * watermark back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import type { Seen } from '../../fixtures/kafka-partition-watermarks.js';
import { BROKERS, cleanupKafka, createTopic, fixture, groupMembers, kafkaClient, sleep, track, unique, waitFor } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const BASE = 1_767_225_600_000;
const AHEAD = 1_000_000;
const ROUNDS = 6;
/** Between rounds: more than the 200 ms watermark interval, so watermarks go out between them. */
const GAP_MS = 400;
/** Far above GAP_MS (and a produce's delay on a loaded machine), so partition 1 turns idle only once it stops. */
const IDLE_MS = 3000;

async function scenario(name: string, idleTimeout: number | undefined, p0Only: number): Promise<Seen[]> {
  const topic = await createTopic(unique(`time-pwm-${name}`), 2);
  const groupId = unique(`time-pwm-${name}-group`);
  track({ group: groupId, groupPrefix: `${groupId}.weir-` });
  process.env.WEIR_KPW = JSON.stringify({ brokers: BROKERS, topic, groupId, idleTimeout });
  const handle = run(fixture('kafka-partition-watermarks.ts'), { workers: 1, state: 'memory', checkpointInterval: 500, logLevel: 'warn' });
  const producer = kafkaClient().producer();
  await producer.connect();
  try {
    // Produce only once the source consumes, so records arrive over time, not in one fetch.
    await waitFor(async () => (await groupMembers({ prefix: `${groupId}.weir-` })).members.length > 0, 'the source to join its group', 60_000, 200);
    for (let k = 0; k < ROUNDS + p0Only; k++) {
      const msgs = [{ value: `p0-${k}`, partition: 0, timestamp: String(BASE + AHEAD + k * 1000) }];
      if (k < ROUNDS) msgs.push({ value: `p1-${k}`, partition: 1, timestamp: String(BASE + k * 1000) });
      await producer.send({ topic, acks: -1, messages: msgs });
      await sleep(GAP_MS);
    }
    await sleep(1500);
  } finally {
    delete process.env.WEIR_KPW;
    await producer.disconnect();
  }
  const r = await handle.stop();
  return (r.outputs.out ?? []) as Seen[];
}

describe('Kafka source: watermarks per partition', () => {
  beforeAll(startKafka, 90_000);
  afterAll(cleanupKafka);

  it('the instance watermark is the minimum over its partitions: the partition behind is never late', { timeout: 120_000 }, async () => {
    const seen = await scenario('min', undefined, 0);
    expect(seen.filter((s) => s.p === 0).length).toBe(ROUNDS);
    expect(seen.filter((s) => s.p === 1).length).toBe(ROUNDS);
    for (const s of seen) expect(s.t, `partition ${s.p} record at ${s.t - BASE} behind the watermark ${s.wm - BASE}`).toBeGreaterThan(s.wm);
    // The watermark advanced with partition 1 (the slower), never to partition 0's event time.
    const wms = seen.map((s) => s.wm);
    expect(Math.max(...wms)).toBeGreaterThanOrEqual(BASE);
    expect(Math.max(...wms)).toBeLessThan(BASE + AHEAD);
  });

  it('a partition idle for idleTimeout stops holding the watermark back', { timeout: 120_000 }, async () => {
    const p0Only = Math.ceil((IDLE_MS + 2000) / GAP_MS);
    const seen = await scenario('idle', IDLE_MS, p0Only);
    const p0 = seen.filter((s) => s.p === 0);
    expect(p0.length).toBe(ROUNDS + p0Only);
    expect(seen.filter((s) => s.p === 1).length).toBe(ROUNDS);
    for (const s of seen) expect(s.t).toBeGreaterThan(s.wm);
    // While partition 1 had records it held the watermark; idle, it no longer does: partition 0 drives it.
    expect(p0[ROUNDS - 1].wm).toBeLessThan(BASE + AHEAD);
    expect(p0.at(-1)!.wm).toBeGreaterThanOrEqual(BASE + AHEAD);
  });
});
