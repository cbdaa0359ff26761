/**
 * Runs examples/iot-gateway.ts for real: `weir run` (the built CLI) against
 * the shared Mosquitto and Redis, with a topic prefix, stream names and a job
 * id of its own. A deterministic set of readings crosses the warning and
 * alarm thresholds (and back, with hysteresis), plus a payload that is not
 * JSON and one that is JSON but not a reading. Checks, after a drain by
 * SIGTERM: the alerts stream holds every expected transition exactly once
 * (silent ones included, SILENT_AFTER_MS shortened), an MQTT subscriber on
 * alerts/# got them, the stats stream holds the per-minute averages of the
 * minutes the watermark closed (and none of the open one), and both bad
 * payloads are in the dead letters, the first naming its topic.
 * A second test kills weir run (SIGKILL) mid-run, publishes the rest while it
 * is down and restarts it: the alerts stream is still exactly-once.
 * Waits poll for content with generous bounds; nothing asserts on timing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import mqttjs from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanupRedis, kill9, ROOT, streamValues, tmp, trackKey, unique, waitFor, weir, type Weir } from '../test/integration/mqtt/helpers.js';
import { ALARM, HYSTERESIS, WARNING, type Alert, type MinuteStat } from './iot-gateway.js';

const MQTT_URL = 'mqtt://127.0.0.1:1883';
const T0 = Date.UTC(2026, 0, 1, 0, 0, 0); // minute-aligned event time
// Long enough that no stall on a loaded machine separates two readings of one device by as much (they are published within a second).
const SILENT_AFTER_MS = 20_000;

type Level = Alert['to'];
interface Sent {
  device: string;
  temperature: number;
  ts: number;
}

/** Per device, the temperatures it reports, 15 s of event time apart from T0: minute 0 holds the first four, minute 1 the next four. */
const SCRIPT: Record<string, number[]> = {
  'dev-a': [20, 31, 32, 41, 38, 36, 26], // warning, alarm, held at 38 (hysteresis), warning at 36, normal at 26
  'dev-b': [25, 29, 28, 30, 27.5, 26.9], // warning at 30, held at 27.5, normal at 26.9
  'dev-c': [45, 10], // straight to alarm, straight back
};
/** One reading at 170 s moves the watermark (outOfOrderness 5 s) past the end of minute 1; minute 2 stays open. */
const CLOCK: Sent = { device: 'dev-clock', temperature: 20, ts: T0 + 170_000 };

/** The reference statechart, written out plainly: the transitions a device's readings cause. */
function expectedAlerts(device: string, temps: number[], ts: (i: number) => number): Alert[] {
  let s: Level = 'normal';
  const out: Alert[] = [];
  temps.forEach((t, i) => {
    let next: Level = s;
    if (s === 'normal') next = t >= ALARM ? 'alarm' : t >= WARNING ? 'warning' : 'normal';
    else if (s === 'warning') next = t >= ALARM ? 'alarm' : t < WARNING - HYSTERESIS ? 'normal' : 'warning';
    else if (s === 'alarm') next = t < WARNING - HYSTERESIS ? 'normal' : t < ALARM - HYSTERESIS ? 'warning' : 'alarm';
    if (next !== s) out.push({ device, from: s, to: next, temperature: t, ts: ts(i) });
    s = next;
  });
  out.push({ device, from: s, to: 'silent', temperature: null, ts: null });
  return out;
}

/**
 * One gateway run's own names (MQTT topic prefixes, Redis streams cleaned up
 * at the end, job id, state dir) and `start`: weir run of the example,
 * resolved once a checkpoint committed (checkpoints commit once the source
 * subscribed: its session exists at the broker). Each start of the same
 * gateway resumes the same job.
 */
function gateway(tag: string, silentAfterMs: number) {
  const sensors = unique(`sensors${tag}`);
  const alertsPrefix = unique(`alerts${tag}`);
  const alertsStream = unique(`alerts${tag}`);
  const statsStream = unique(`stats${tag}`);
  trackKey(alertsStream);
  trackKey(statsStream);
  const jobId = unique(`gateway${tag}`);
  const state = tmp(`weir-gateway${tag}-`);
  const env = {
    MQTT_URL,
    REDIS_URL: 'redis://127.0.0.1:6379',
    SENSORS_PREFIX: sensors,
    ALERTS_PREFIX: alertsPrefix,
    ALERTS_STREAM: alertsStream,
    STATS_STREAM: statsStream,
    SILENT_AFTER_MS: String(silentAfterMs),
    MQTT_CLIENT_ID: unique(`gw${tag}`),
  };
  const args = ['run', path.join(ROOT, 'examples/iot-gateway.ts'), '--job-id', jobId, '--state', `file:${state}`, '--checkpoint-interval', '300ms', '--workers', '2', '--log-level', 'info', '--no-status'];
  const start = async (): Promise<Weir> => {
    const w = weir(args, env);
    try {
      await waitFor(() => /checkpoint \d+ committed/.test(w.stderr()), () => `a checkpoint; stderr: ${w.stderr().slice(-2000)}`, 90_000);
    } catch (err) {
      w.proc.kill('SIGKILL');
      throw err;
    }
    return w;
  };
  return { sensors, alertsPrefix, alertsStream, statsStream, jobId, state, start };
}

const key = (a: unknown) => JSON.stringify(a);

/** SIGTERM: weir run drains and exits 0. */
async function drain(w: Weir): Promise<void> {
  w.proc.kill('SIGTERM');
  const code = await w.exited;
  expect(code, w.stderr().slice(-3000)).toBe(0);
}

/** The alerts stream holds every expected alert exactly once, in order per device. */
function expectExactlyOnce(inStream: Alert[], want: Alert[]): void {
  expect(inStream.map(key).sort()).toEqual(want.map(key).sort());
  for (const device of new Set(want.map((a) => a.device))) {
    expect(inStream.filter((a) => a.device === device), device).toEqual(want.filter((a) => a.device === device));
  }
}

afterAll(async () => {
  await cleanupRedis();
});

describe('examples/iot-gateway.ts through weir run', () => {
  it('alerts once each to Redis and MQTT, closed minutes to stats, bad payloads to dead letters', { timeout: 240_000 }, async () => {
    const { sensors, alertsPrefix, alertsStream, statsStream, jobId, state, start } = gateway('', SILENT_AFTER_MS);

    // The subscriber is there before any alert can be published.
    const got: Alert[] = [];
    const sub = await mqttjs.connectAsync(MQTT_URL, { clientId: unique('sub'), clean: true });
    sub.on('message', (_topic, payload) => got.push(JSON.parse(payload.toString()) as Alert));
    await sub.subscribeAsync(`${alertsPrefix}/#`, { qos: 1 });
    const topics = new Map<string, string>();
    sub.on('message', (topic, payload) => topics.set(JSON.stringify(JSON.parse(payload.toString())), topic));

    const w = await start();
    const pub = await mqttjs.connectAsync(MQTT_URL, { clientId: unique('pub'), clean: true });
    try {
      const sent: Sent[] = [];
      const send = async (device: string, payload: string) => {
        await pub.publishAsync(`${sensors}/${device}/temperature`, payload, { qos: 1 });
      };
      // Interleaved over devices, in order per device (one publisher, one source instance: MQTT keeps the order).
      const longest = Math.max(...Object.values(SCRIPT).map((s) => s.length));
      for (let i = 0; i < longest; i++) {
        for (const [device, temps] of Object.entries(SCRIPT)) {
          if (i >= temps.length) continue;
          const r = { device, temperature: temps[i], ts: T0 + i * 15_000 };
          sent.push(r);
          await send(device, JSON.stringify(r));
        }
        if (i === 2) {
          await send('dev-bad', '{"device": "dev-bad", "temperature": 2'); // not JSON
          await send('dev-odd', JSON.stringify({ device: 'dev-odd', temperature: 'hot', ts: T0 })); // JSON, not a reading
        }
      }
      sent.push(CLOCK);
      await send(CLOCK.device, JSON.stringify(CLOCK));

      const want: Alert[] = [
        ...Object.entries(SCRIPT).flatMap(([d, temps]) => expectedAlerts(d, temps, (i) => T0 + i * 15_000)),
        ...expectedAlerts(CLOCK.device, [CLOCK.temperature], () => CLOCK.ts),
      ];
      // Per device and closed minute (0 and 1), the average of its readings.
      const wantStats: MinuteStat[] = [];
      for (const device of Object.keys(SCRIPT)) {
        for (const minute of [0, 1]) {
          const xs = sent.filter((r) => r.device === device && Math.floor((r.ts - T0) / 60_000) === minute);
          if (xs.length === 0) continue;
          const avg = xs.reduce((a, r) => a + r.temperature, 0) / xs.length;
          wantStats.push({ device, minute: new Date(T0 + minute * 60_000).toISOString(), avg: Math.round(avg * 100) / 100, readings: xs.length });
        }
      }

      const alerts = async () => (await streamValues(alertsStream)).map((v) => JSON.parse(v) as Alert);
      const stats = async () => (await streamValues(statsStream)).map((v) => JSON.parse(v) as MinuteStat);
      let have: unknown[] = [];
      // Silent alerts come SILENT_AFTER_MS (processing time) after each device's last reading.
      await waitFor(async () => (have = await alerts()).length >= want.length, () => `${want.length} alerts; have ${JSON.stringify(have)}; stderr: ${w.stderr().slice(-2000)}`, 120_000);
      await waitFor(async () => (have = await stats()).length >= wantStats.length, () => `${wantStats.length} stats; have ${JSON.stringify(have)}`, 120_000);
      await waitFor(() => new Set(got.map((a) => JSON.stringify(a))).size >= want.length, () => `${want.length} alerts over MQTT; have ${JSON.stringify(got)}`, 60_000);

      await drain(w);
      expectExactlyOnce(await alerts(), want);
      // MQTT is at-least-once: every alert arrived, on its device's topic, and nothing else did.
      expect([...new Set(got.map(key))].sort()).toEqual(want.map(key).sort());
      for (const a of want) expect(topics.get(key(a))).toBe(`${alertsPrefix}/${a.device}`);

      // Minutes 0 and 1 closed by the watermark, once each; minute 2 (only dev-clock's reading) is still open.
      const s = await stats();
      expect(s.map(key).sort()).toEqual(wantStats.map(key).sort());

      const letters = readFileSync(path.join(state, jobId, 'dead-letters.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { operator: string; record: unknown; error: { message: string } });
      expect(letters.map((l) => l.operator).sort()).toEqual(['parse', 'sensors']);
      const notJson = letters.find((l) => l.operator === 'sensors')!;
      expect(notJson.error.message).toContain(`${sensors}/dev-bad/temperature`);
      expect(notJson.record).toEqual({ topic: `${sensors}/dev-bad/temperature`, payload: '{"device": "dev-bad", "temperature": 2' });
      const notReading = letters.find((l) => l.operator === 'parse')!;
      expect(notReading.error.message).toContain('not a reading');
      expect(notReading.record).toEqual({ device: 'dev-odd', temperature: 'hot', ts: T0 });
    } finally {
      if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
      await pub.endAsync();
      await sub.endAsync();
    }
  });

  it('writes every alert exactly once across kill -9 of weir run, with readings published while it is down', { timeout: 240_000 }, async () => {
    // No silence here: how long a restart takes is load, not behaviour.
    const { sensors, alertsStream, start } = gateway('-k', 3_600_000);
    const readings: Sent[] = [];
    for (let i = 0; i < 7; i++) for (const [device, temps] of Object.entries(SCRIPT)) if (i < temps.length) readings.push({ device, temperature: temps[i], ts: T0 + i * 15_000 });
    const want = Object.entries(SCRIPT).flatMap(([d, temps]) => expectedAlerts(d, temps, (i) => T0 + i * 15_000).filter((a) => a.to !== 'silent'));
    const alerts = async () => (await streamValues(alertsStream)).map((v) => JSON.parse(v) as Alert);

    const pub = await mqttjs.connectAsync(MQTT_URL, { clientId: unique('pub-k'), clean: true });
    const publish = async (rs: Sent[]) => {
      for (const r of rs) await pub.publishAsync(`${sensors}/${r.device}/temperature`, JSON.stringify(r), { qos: 1 });
    };
    let w = await start();
    try {
      const half = Math.floor(readings.length / 2);
      await publish(readings.slice(0, half));
      let have: Alert[] = [];
      await waitFor(async () => (have = await alerts()).length >= 2, () => `the first alerts; have ${JSON.stringify(have)}; stderr: ${w.stderr().slice(-2000)}`, 120_000);
      await kill9(w);
      // Kept by the broker in the source's persistent session until the job is back.
      await publish(readings.slice(half));
      w = await start();
      await waitFor(async () => (have = await alerts()).length >= want.length, () => `${want.length} alerts; have ${JSON.stringify(have)}; stderr: ${w.stderr().slice(-2000)}`, 120_000);
      await drain(w);
      expectExactlyOnce(await alerts(), want);
    } finally {
      if (w.proc.exitCode === null) w.proc.kill('SIGKILL');
      await pub.endAsync();
    }
  });
});
