/**
 * Benchmark `mqtt`: publish -> Mosquitto -> weir -> Mosquitto, checkpoints on.
 *
 * A private mosquitto (test/services/mosquitto.ts: Mosquitto's default
 * max_inflight_messages 20, no queue limit) carries readings published as
 * fast as one QoS 1 publisher goes (mqtt.publishSensors, 1000 in flight) to
 * bench/jobs/mqtt-threshold.ts (`weir run`, 2 workers, checkpoints every 1 s,
 * memory state), whose outputs (one per reading) a QoS 1 subscriber counts. A case's
 * rate is readings / (last output - first publish).
 *
 * Cases measure the in-flight window: the source acknowledges a message
 * only when the checkpoint covering it completed, so by the protocol the
 * broker lets at most its window of unacknowledged messages out per
 * checkpoint interval. Measured with Mosquitto 2.0.11: the window holds until
 * the first batch of PUBACKs, after which Mosquitto sends on past it (the job
 * logged 20 deliveries, 20 acks, then 180 more deliveries before the next
 * checkpoint), so with this broker even a small window costs only the first
 * checkpoint interval. A broker that keeps to it caps a source at
 * window / checkpoint interval:
 * - MQTT 5, Receive Maximum 10,000 (the source's default);
 * - MQTT 5, Receive Maximum 100;
 * - MQTT 3.1.1, Mosquitto's max_inflight_messages 20 (its default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { connect } from 'mqtt';
import { mqtt } from '../runtime/index.js';
import { startMosquitto } from '../test/services/mosquitto.js';
import { endChild, memoryOf, ROOT, round, sleep, wallNow } from './lib/util.js';
import { nodeRedInstalled, NODE_RED_DIR, startNodeRed } from './peers/node-red/flow.js';

export interface MqttCase {
  name: string;
  protocol: 4 | 5;
  receiveMaximum: number;
  readings: number;
  seconds: number;
  readingsPerSec: number;
  /** Spawn -> first output. */
  startupMs: number;
  /** Checkpoints completed while the readings went through. */
  checkpoints: number;
  /** RSS of the weir process (main thread and workers) at the end. */
  rssMB: number;
}
export interface MqttResult {
  cases: MqttCase[];
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

type Starter = (port: number, url: string, prefix: string) => ChildProcess;

const weirSide =
  (protocol: 4 | 5, receiveMaximum: number): Starter =>
  (_port, url, prefix) => {
    // `weir run` as a gateway runs it: its own process (and its own environment for the job's parameters).
    const env = { ...process.env, WEIR_BENCH_MQTT_URL: url, WEIR_BENCH_MQTT_PREFIX: prefix, WEIR_BENCH_MQTT_CLIENT: `${prefix}-src`, WEIR_BENCH_MQTT_PROTOCOL: String(protocol), WEIR_BENCH_MQTT_RECEIVE_MAX: String(receiveMaximum) };
    return spawn(process.execPath, [path.join(ROOT, 'dist/bundle/cli.js'), 'run', path.join(ROOT, 'bench/jobs/mqtt-threshold.ts'), '--workers', '2', '--checkpoint-interval', '1s', '--state', 'memory', '--no-status', '--log-level', 'info', '--job-id', prefix], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  };

async function oneCase(name: string, protocol: 4 | 5, receiveMaximum: number, readings: number, log: (s: string) => void, start: Starter = weirSide(protocol, receiveMaximum)): Promise<MqttCase> {
  const broker = await startMosquitto();
  const prefix = `bench-${Date.now().toString(36)}`;
  const sub = connect(broker.url, { clientId: `${prefix}-count`, protocolVersion: 5 });
  let outputs = 0;
  let lastAt = 0;
  sub.on('message', () => {
    outputs++;
    lastAt = wallNow();
  });
  await new Promise<void>((r) => sub.once('connect', () => r()));
  await sub.subscribeAsync(`${prefix}/out/#`, { qos: 1 });
  const spawnedAt = wallNow();
  const job = start(broker.port, broker.url, prefix);
  let stderr = '';
  job.stderr!.on('data', (d) => (stderr += d));
  const checkpoints = () => (stderr.match(/checkpoint \d+ committed/g) ?? []).length;
  let failed: unknown;
  job.once('exit', (code) => (failed = new Error(`weir run exited with ${code}: ${stderr.slice(-2000)}`)));
  let rssMB = 0;
  try {
    // Warm-up: the job is subscribed once a reading makes it through.
    const warm = connect(broker.url, { clientId: `${prefix}-warm` });
    await new Promise<void>((r) => warm.once('connect', () => r()));
    for (let i = 0; outputs === 0; i++) {
      if (failed) throw failed;
      // QoS 0 pings until one comes through: start-up = spawn -> first output (to within 50 ms).
      warm.publish(`${prefix}/sensors/dev-0/temperature`, JSON.stringify({ device: 'dev-0', temperature: 20, ts: Date.now() }), { qos: 0 });
      if (i > 1200) throw new Error(`mqtt bench ${name}: no output within 60 s`);
      await sleep(50);
    }
    const startupMs = round(lastAt - spawnedAt);
    warm.end(true);
    await sleep(1500);
    const base = outputs;
    const cp0 = checkpoints();
    const t0 = wallNow();
    await mqtt.publishSensors({ url: broker.url, devices: 100, rate: 1e7, count: readings, topicPrefix: `${prefix}/sensors`, seed: 1 }, silent);
    const until = wallNow() + 600_000;
    while (outputs - base < readings) {
      if (failed) throw failed;
      if (wallNow() > until) throw new Error(`mqtt bench ${name}: ${outputs - base} of ${readings} outputs after 600 s`);
      await sleep(50);
    }
    rssMB = memoryOf(job.pid!).rssMB;
    const seconds = (lastAt - t0) / 1000;
    const c: MqttCase = { name, protocol, receiveMaximum, readings, seconds: round(seconds, 2), readingsPerSec: round(readings / seconds), rssMB: round(rssMB), checkpoints: checkpoints() - cp0, startupMs };
    log(`  ${name}: ${readings} readings in ${c.seconds} s = ${c.readingsPerSec}/s, ${c.checkpoints} checkpoints (RSS after: ${c.rssMB} MB, start-up ${c.startupMs} ms)`);
    return c;
  } finally {
    if (job.exitCode === null) await endChild(job.pid!, 10_000);
    sub.end(true);
    await broker.stop();
  }
}

export async function benchMqtt(readings: number, log: (s: string) => void): Promise<MqttResult> {
  const cases: MqttCase[] = [];
  cases.push(await oneCase('MQTT 5, Receive Maximum 10000', 5, 10_000, readings, log));
  // The harness's floor: one publisher, one broker, one counter, and a bare mqtt.js relay in between.
  cases.push(await oneCase('bare mqtt.js relay (no checkpoints)', 5, 0, readings, log, (_port, url, prefix) => spawn(process.execPath, [path.join(ROOT, 'bench/peers/mqtt-relay.mjs'), url, prefix], { stdio: ['ignore', 'ignore', 'pipe'] })));
  if (nodeRedInstalled()) {
    cases.push(await oneCase('Node-RED 4.1 (same flow)', 4, 0, readings, log, (port, _url, prefix) => startNodeRed(port, prefix)));
    const [w, , n] = cases;
    log(`  weir / Node-RED: ${(w.readingsPerSec / n.readingsPerSec).toFixed(2)}x readings/s (target >= 2x)`);
  } else {
    log(`  Node-RED peer skipped: not installed (cd ${NODE_RED_DIR} && npm install)`);
  }
  cases.push(await oneCase('MQTT 5, Receive Maximum 100', 5, 100, Math.min(readings, 1000), log));
  cases.push(await oneCase('MQTT 3.1.1, max_inflight_messages 20', 4, 20, Math.min(readings, 200), log));
  return { cases };
}

export function mqttRows(r: MqttResult): string[][] {
  const nr = r.cases.find((c) => c.name.startsWith('Node-RED'));
  const rows = r.cases.map((c, i) => [i === 0 ? '9. MQTT -> threshold -> MQTT' : '', `${c.readingsPerSec.toLocaleString('en')} readings/s`, c.name, `${c.readings} readings, ${c.seconds} s, RSS ${c.rssMB} MB, start ${c.startupMs} ms`, '', '']);
  if (nr) rows.push(['   weir / Node-RED', '', '', `${(r.cases[0].readingsPerSec / nr.readingsPerSec).toFixed(2)}x`, '>= 2x', r.cases[0].readingsPerSec >= 2 * nr.readingsPerSec ? 'PASS' : 'FAIL']);
  return rows;
}
