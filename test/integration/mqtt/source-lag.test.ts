/**
 * Source lag metrics on the shared Redis (127.0.0.1:6379) and Mosquitto
 * (127.0.0.1:1883), scraped from a running job's /metrics: a Redis stream
 * holds 3,000 entries for a consumer group and 3,000 QoS 1 MQTT messages are
 * published while the job runs; both sources feed sinks that take 500
 * records/s, so both fall behind and then catch up.
 * - Redis Streams: weir_source_lag_records{partition=<stream>} is the group's
 *   lag as Redis counts it (XINFO GROUPS), and falls; unacked entries show
 *   between reading and the checkpoint's XACK.
 * - MQTT: messages received but not emitted (lag), received but not PUBACKed
 *   (unacked, within the in-flight window) and the oldest one's wait rise
 *   while the sink is slow, and return to 0 once all is acknowledged.
 */
import { connect } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { cleanupRedis, fixture, redisClient, REDIS_URL, SHARED_MQTT, sleep, trackKey, unique, waitFor } from './helpers.js';

const COUNT = 3000;

type Series = { name: string; labels: Record<string, string>; value: number };
function parse(text: string): Series[] {
  const out: Series[] = [];
  for (const m of text.matchAll(/^(weir_source_\w+)\{([^}]*)\} (\S+)$/gm)) {
    out.push({ name: m[1], labels: Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]])), value: Number(m[3]) });
  }
  return out;
}
const one = (s: Series[], name: string, operator: string) => s.find((x) => x.name === name && x.labels.operator === operator)?.value;

describe('source lag metrics (real Redis and Mosquitto)', () => {
  afterAll(cleanupRedis);

  it('Redis group lag falls as the job catches up; MQTT lag, unacked and receive delay rise under a slow sink and return to 0', { timeout: 120_000 }, async () => {
    const stream = unique('lag-stream');
    const group = unique('lag-group');
    const topic = `${unique('lag')}/readings`;
    const clientId = unique('lag-src');
    trackKey(stream);
    const r = redisClient();
    for (let i = 0; i < COUNT; i += 500) {
      const p = r.pipeline();
      for (let k = i; k < i + 500; k++) p.xadd(stream, '*', 'data', JSON.stringify({ n: k }));
      await p.exec();
    }
    process.env.WEIR_SOURCE_LAG = JSON.stringify({ mqttUrl: SHARED_MQTT, topic, clientId, redisUrl: REDIS_URL, stream, group, recordsPerSec: 500 });
    let onListening!: (u: string) => void;
    const ready = new Promise<string>((res) => (onListening = res));
    const handle = run(fixture('source-lag.ts'), { workers: 1, state: 'memory', metricsIntervalMs: 200, checkpointInterval: 300, batchSize: 64, credits: 2, http: { port: 0, onListening } });
    const pub = connect(SHARED_MQTT, { clientId: unique('lag-pub'), protocolVersion: 5 });
    try {
      const url = await ready;
      const scrape = async () => parse(await (await fetch(`${url}/metrics`)).text());
      // The source's session is subscribed once its instance reports (the job runs).
      await waitFor(async () => one(await scrape(), 'weir_source_unacked_records', 'mqtt-in') !== undefined, 'the MQTT source to report', 30_000);
      await new Promise<void>((res) => (pub.connected ? res() : pub.once('connect', () => res())));
      for (let i = 0; i < COUNT; i++) pub.publish(topic, JSON.stringify({ n: i }), { qos: 1 });

      const redisLag: number[] = [];
      const mqtt = { lag: 0, unacked: 0, delay: 0 };
      let redisUnacked = 0;
      await waitFor(
        async () => {
          const s = await scrape();
          const rl = s.find((x) => x.name === 'weir_source_lag_records' && x.labels.operator === 'redis-in' && x.labels.partition === stream)?.value;
          if (rl !== undefined) redisLag.push(rl);
          redisUnacked = Math.max(redisUnacked, one(s, 'weir_source_unacked_records', 'redis-in') ?? 0);
          mqtt.lag = Math.max(mqtt.lag, s.find((x) => x.name === 'weir_source_lag_records' && x.labels.operator === 'mqtt-in' && x.labels.partition === `${clientId}-0`)?.value ?? 0);
          mqtt.unacked = Math.max(mqtt.unacked, one(s, 'weir_source_unacked_records', 'mqtt-in') ?? 0);
          mqtt.delay = Math.max(mqtt.delay, one(s, 'weir_source_receive_delay_seconds', 'mqtt-in') ?? 0);
          return redisLag.length >= 2 && redisLag.at(-1) === 0;
        },
        () => `the Redis group lag to reach 0 (seen ${JSON.stringify(redisLag.slice(-5))})`,
        90_000,
        200,
      );
      console.log('source lag seen', { redisLag: [redisLag[0], Math.max(...redisLag), redisLag.at(-1)], redisUnacked, mqtt });
      // Redis: the first readings see most of the backlog undelivered; then it falls to 0.
      expect(Math.max(...redisLag)).toBeGreaterThan(COUNT / 2);
      expect(Math.max(...redisLag)).toBeLessThanOrEqual(COUNT);
      expect(redisUnacked).toBeGreaterThan(0);
      // MQTT: the sink is slower than the publisher, so messages wait in the source.
      expect(mqtt.lag).toBeGreaterThan(0);
      expect(mqtt.unacked).toBeGreaterThan(0);
      expect(mqtt.unacked).toBeLessThanOrEqual(10_000); // the default Receive Maximum
      expect(mqtt.delay).toBeGreaterThan(0);
      // Once everything is emitted and a checkpoint acknowledged it, all three are 0 again.
      await waitFor(
        async () => {
          const s = await scrape();
          return one(s, 'weir_source_unacked_records', 'mqtt-in') === 0 && one(s, 'weir_source_receive_delay_seconds', 'mqtt-in') === 0 && one(s, 'weir_source_unacked_records', 'redis-in') === 0;
        },
        'MQTT and Redis unacked to return to 0',
        60_000,
        200,
      );
      // The model handle.metrics() returns carries the same figures.
      const m = handle.metrics()!;
      const inst = (op: string) => m.operators.find((o) => o.operator === op)!.instances[0];
      expect(inst('mqtt-in').lag).toEqual({ [`${clientId}-0`]: 0 });
      expect(inst('redis-in').lag).toEqual({ [stream]: 0 });
      // Redis agrees: nothing undelivered, nothing pending.
      const info = (await r.call('XINFO', 'GROUPS', stream)) as unknown[][];
      const g = Object.fromEntries(Array.from({ length: info[0].length / 2 }, (_, i) => [String(info[0][2 * i]), info[0][2 * i + 1]]));
      expect([g.lag, g.pending]).toEqual([0, 0]);
    } finally {
      pub.end(true);
      await handle.stop().catch(() => {});
      // Drop the source's persistent session at the broker.
      const c = connect(SHARED_MQTT, { clientId: `${clientId}-0`, clean: true, protocolVersion: 5 });
      await new Promise<void>((res) => c.once('connect', () => res()));
      await c.endAsync();
      await sleep(10);
    }
  });
});
