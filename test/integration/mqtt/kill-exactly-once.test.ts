/**
 * MQTT (QoS 1) -> keyed count -> Redis stream (exactly-once), on a private
 * Mosquitto (persistence, no queue limit) and the shared Redis: the whole
 * `weir run` process is killed with SIGKILL twice while a publisher sends
 * readings, and run again with the same --job-id and --state file:DIR. The
 * stream must then hold exactly the fault-free output: "device,c" for
 * c = 1..n_device once each, in increasing order per device. A reading lost
 * (acked before its checkpoint, not redelivered) leaves a count out; one
 * counted twice (a redelivery the restored state had seen) shifts the counts
 * of its device; a sink commit replayed after the kill repeats entries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mqtt } from 'weir';
import { startMosquitto, type PrivateMosquitto } from '../../services/mosquitto.js';
import { cleanupRedis, expectedCounts, fixture, kill9, multisetDiff, redisClient, sleep, streamValues, tmp, trackKey, unique, waitFor, weir, type Weir } from './helpers.js';

const JOB = fixture('mqtt-keyed-count.ts');
const silent = { debug() {}, info() {}, warn() {}, error() {} };

let broker: PrivateMosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker?.stop();
  await cleanupRedis();
});

describe('mqtt.source -> redis.streamSink across kill -9 of weir run', () => {
  it('counts every reading exactly once and writes each count once, after two kills', { timeout: 240_000 }, async () => {
    const readings = 3000;
    const devices = 7;
    const stream = unique('kill-out');
    trackKey(stream);
    const jobId = unique('kill-job');
    const state = tmp('weir-mqtt-kill-');
    const topicPrefix = unique('sensors');
    const env = { WEIR_MQTT_EO: JSON.stringify({ url: broker.url, topics: `${topicPrefix}/+/temperature`, clientId: unique('src'), redisUrl: 'redis://127.0.0.1:6379', stream }) };
    const args = ['run', JOB, '--job-id', jobId, '--state', `file:${state}`, '--checkpoint-interval', '200ms', '--workers', '2', '--log-level', 'info', '--no-status'];
    const start = async (): Promise<Weir> => {
      const w = weir(args, env);
      // Checkpoints commit once every source subscribed (its session exists at the broker).
      await waitFor(() => /checkpoint \d+ committed/.test(w.stderr()), () => `the job's first checkpoint; stderr: ${w.stderr().slice(-2000)}`, 60_000);
      return w;
    };
    const lines = async () => Number(await redisClient().xlen(stream));

    let w = await start();
    const published = mqtt.publishSensors({ url: broker.url, devices, rate: 250, count: readings, topicPrefix, seed: 7 }, silent);
    const runs: string[] = [];
    for (const share of [0.25, 0.6]) {
      await waitFor(async () => (await lines()) >= readings * share, () => `${share * 100}% of the output; have ${runs.length} kill(s); stderr: ${w.stderr().slice(-2000)}`, 120_000);
      await kill9(w);
      runs.push(w.stderr());
      w = await start();
    }
    expect(await published).toBe(readings);
    let have = 0;
    await waitFor(async () => (have = await lines()) >= readings, () => `all ${readings} lines; have ${have}; stderr: ${w.stderr().slice(-3000)}`, 120_000);
    // Quiet: anything counted twice would still be arriving.
    await sleep(1500);
    w.proc.kill('SIGTERM');
    const code = await w.exited;

    const got = await streamValues(stream);
    const per = new Map<string, number>();
    for (let i = 0; i < readings; i++) per.set(`dev-${i % devices}`, (per.get(`dev-${i % devices}`) ?? 0) + 1);
    const want = expectedCounts(per);
    const diff = multisetDiff(got, want);
    expect({ extra: diff.extra.slice(0, 20), missing: diff.missing.slice(0, 20), lines: got.length }).toEqual({ extra: [], missing: [], lines: readings });
    // Per device the counts appear in order 1, 2, 3, ...
    const last = new Map<string, number>();
    for (const v of got) {
      const [d, c] = v.split(',');
      expect(Number(c), `${d} out of order`).toBe((last.get(d) ?? 0) + 1);
      last.set(d, Number(c));
    }
    expect(runs.length).toBe(2);
    expect(code, w.stderr().slice(-3000)).toBe(0);
  });
});
