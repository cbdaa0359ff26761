/**
 * Outages in the middle of a running job (test/fixtures/mqtt-keyed-count.ts):
 * - the MQTT broker (a private mosquitto with persistence) restarts while a
 *   publisher sends QoS 1 readings: the source reconnects with backoff to
 *   its persistent session and the job goes on; every reading is counted
 *   exactly once, and every alert reaches the MQTT sink's topic at least once;
 * - the Redis server holding the output stream (a private, append-only
 *   redis-server) is killed and comes back 3 s later: the sink's commits wait
 *   and go on; the stream holds each count exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from 'mqtt';
import { Redis } from 'ioredis';
import { mqtt } from 'weir';
import { startMosquitto, type PrivateMosquitto } from '../../services/mosquitto.js';
import { startPrivateRedis, type PrivateRedis } from '../../services/private-redis.js';
import { cleanupRedis, expectedCounts, fixture, multisetDiff, redisClient, sleep, streamValues, tmp, trackKey, unique, waitFor, weir } from './helpers.js';

const JOB = fixture('mqtt-keyed-count.ts');
const silent = { debug() {}, info() {}, warn() {}, error() {} };
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => {});
  await cleanupRedis();
});

function expected(readings: number, devices: number): string[] {
  const per = new Map<string, number>();
  for (let i = 0; i < readings; i++) per.set(`dev-${i % devices}`, (per.get(`dev-${i % devices}`) ?? 0) + 1);
  return expectedCounts(per);
}

describe('outages', () => {
  it('goes on after a broker restart: every reading counted once, every alert published', { timeout: 180_000 }, async () => {
    const broker: PrivateMosquitto = await startMosquitto();
    cleanups.push(() => broker.stop());
    const readings = 2000;
    const devices = 5;
    const stream = unique('restart-out');
    trackKey(stream);
    const topicPrefix = unique('s');
    const alertPrefix = unique('alerts');
    const threshold = 21;
    // A persistent-session reader of the alerts, so it misses nothing across the restart.
    const alerts: string[] = [];
    const watcher = connect(broker.url, { clientId: unique('watch'), clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 200 });
    cleanups.push(async () => void watcher.end(true));
    watcher.on('message', (_t, p) => alerts.push(p.toString()));
    await new Promise<void>((r) => watcher.once('connect', () => r()));
    await watcher.subscribeAsync(`${alertPrefix}/#`, { qos: 1 });

    const env = { WEIR_MQTT_EO: JSON.stringify({ url: broker.url, topics: `${topicPrefix}/+/temperature`, clientId: unique('src-r'), redisUrl: 'redis://127.0.0.1:6379', stream, alertPrefix, threshold }) };
    const w = weir(['run', JOB, '--job-id', unique('restart-job'), '--state', `file:${tmp('weir-mqtt-restart-')}`, '--checkpoint-interval', '200ms', '--workers', '2', '--log-level', 'info', '--no-status'], env);
    cleanups.push(async () => void w.proc.kill('SIGKILL'));
    await waitFor(() => /checkpoint \d+ committed/.test(w.stderr()), () => `the first checkpoint; ${w.stderr().slice(-2000)}`);
    const sent: string[] = [];
    const publishing = mqtt.publishSensors({ url: broker.url, devices, rate: 200, count: readings, topicPrefix, seed: 3 }, silent);
    let have = 0;
    await waitFor(async () => (have = Number(await redisClient().xlen(stream))) >= readings * 0.3, () => `30% of the output, have ${have}; ${w.stderr().slice(-2000)}`, 120_000);
    await broker.restart(2000);
    expect(await publishing).toBe(readings);
    await waitFor(async () => (have = Number(await redisClient().xlen(stream))) >= readings, () => `all ${readings} lines, have ${have}; ${w.stderr().slice(-3000)}`, 120_000);
    await sleep(1000);
    w.proc.kill('SIGTERM');
    expect(await w.exited, w.stderr().slice(-3000)).toBe(0);

    const diff = multisetDiff(await streamValues(stream), expected(readings, devices));
    expect({ extra: diff.extra.slice(0, 20), missing: diff.missing.slice(0, 20) }).toEqual({ extra: [], missing: [] });
    // The source saw the broker go and come back.
    expect(w.stderr()).toMatch(/mqtt\.source 'in' instance 0: lost the MQTT broker/);
    expect(w.stderr()).toMatch(/mqtt\.source 'in' instance 0: connected to .* again/);
    // At-least-once alerts: "device,count" of every reading above the threshold (the publisher's readings are seeded).
    const { readingAt } = await import('../../../connectors/mqtt/sensors.js');
    const { mulberry32 } = await import('../../../actors/seeded-random.js');
    const random = mulberry32(3);
    const walk = new Float64Array(devices).fill(20);
    const hot = new Set<string>();
    const seen = new Map<string, number>();
    for (let i = 0; i < readings; i++) {
      const r = readingAt(i, devices, walk, random);
      seen.set(r.device, (seen.get(r.device) ?? 0) + 1);
      if (r.temperature > threshold) hot.add(`${r.device},${seen.get(r.device)}`);
    }
    expect(hot.size).toBeGreaterThan(0);
    await waitFor(() => new Set(alerts).size >= hot.size, () => `${hot.size} distinct alerts, have ${new Set(alerts).size}; missing ${[...hot].filter((a) => !alerts.includes(a)).slice(0, 10)}`, 30_000);
    expect([...new Set(alerts)].sort()).toEqual([...hot].sort());
  });

  it('goes on after Redis was down for 3 s: each count written once', { timeout: 180_000 }, async () => {
    const red: PrivateRedis = await startPrivateRedis({ durable: true });
    cleanups.push(() => red.stop());
    const readings = 1500;
    const devices = 4;
    const stream = unique('redis-down-out');
    const topicPrefix = unique('s2');
    const env = { WEIR_MQTT_EO: JSON.stringify({ url: 'mqtt://127.0.0.1:1883', topics: `${topicPrefix}/+/temperature`, clientId: unique('src-d'), redisUrl: red.url, stream }) };
    const w = weir(['run', JOB, '--job-id', unique('redis-down-job'), '--state', `file:${tmp('weir-mqtt-rdown-')}`, '--checkpoint-interval', '200ms', '--workers', '1', '--log-level', 'info', '--no-status'], env);
    cleanups.push(async () => void w.proc.kill('SIGKILL'));
    await waitFor(() => /checkpoint \d+ committed/.test(w.stderr()), () => `the first checkpoint; ${w.stderr().slice(-2000)}`);
    const r = new Redis(red.url, { maxRetriesPerRequest: null, retryStrategy: () => 100 });
    r.on('error', () => {}); // down on purpose for a while
    cleanups.push(async () => r.disconnect());
    const publishing = mqtt.publishSensors({ url: 'mqtt://127.0.0.1:1883', devices, rate: 200, count: readings, topicPrefix, seed: 5 }, silent);
    let have = 0;
    await waitFor(async () => (have = Number(await r.xlen(stream))) >= readings * 0.3, () => `30% of the output, have ${have}; ${w.stderr().slice(-2000)}`, 120_000);
    await red.kill();
    await sleep(3000);
    await red.start();
    expect(await publishing).toBe(readings);
    await waitFor(async () => (have = Number(await r.xlen(stream))) >= readings, () => `all ${readings} lines, have ${have}; ${w.stderr().slice(-3000)}`, 120_000);
    await sleep(1000);
    w.proc.kill('SIGTERM');
    expect(await w.exited, w.stderr().slice(-3000)).toBe(0);
    const diff = multisetDiff(await streamValues(stream, r), expected(readings, devices));
    expect({ extra: diff.extra.slice(0, 20), missing: diff.missing.slice(0, 20) }).toEqual({ extra: [], missing: [] });
    expect(w.stderr()).toMatch(/redis\.streamSink 'out' instance 0: lost Redis/);
  });
});
