/**
 * Benchmark `mqtt`: publish -> Mosquitto -> relay -> Mosquitto -> counter,
 * the same flow on every side (weir with checkpoints on, a bare mqtt.js
 * relay, Node-RED 4.1).
 *
 * The harness must not be the bottleneck. A first version published live
 * from one QoS 1 connection while the relay ran, and every side, the bare
 * relay included, ended near the same ~10k readings/s: it measured the
 * publisher. Now each case:
 * 1. starts a private mosquitto (test/services/mosquitto.ts; no queue
 *    limit, max_inflight_messages 0 = no broker-side cap, so each client's
 *    own window decides);
 * 2. creates the side's persistent session (its client id, clean start
 *    off, subscribed at QoS 1) and disconnects it;
 * 3. publishes the whole backlog of readings into that session, untimed,
 *    from PUBLISHERS connections at once;
 * 4. subscribes the counter (QoS 1) to the outputs and spawns the side,
 *    which resumes its session: the broker drains the backlog into it as
 *    fast as it takes it.
 * Rate = readings / (last output - first output): the side's steady
 * throughput, its start-up left out (reported apart: spawn -> first output).
 * A `counter alone` case measures the harness's ceiling: the counter's own
 * session drained of as many messages, nothing in between.
 *
 * Cases also measure the in-flight window: weir's source acknowledges a
 * message only when the checkpoint covering it completed, so by the
 * protocol the broker lets at most its window of unacknowledged messages
 * out per checkpoint interval (README: "MQTT and Redis Streams").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { mqtt } from '../runtime/index.js';
import { startMosquitto } from '../test/services/mosquitto.js';
import { readFileSync } from 'node:fs';
import { endChild, memoryOf, ROOT, round, sleep, wallNow } from './lib/util.js';

/** User + system CPU ms of a process so far (all its threads; Linux /proc, 100 ticks/s). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}
import { nodeRedInstalled, NODE_RED_DIR, startNodeRed } from './peers/node-red/flow.js';

export interface MqttCase {
  name: string;
  protocol: 4 | 5;
  receiveMaximum: number;
  readings: number;
  seconds: number;
  readingsPerSec: number;
  /** Spawn -> first output (the backlog waits at the broker meanwhile). */
  startupMs: number;
  /** Checkpoints completed while the readings went through (weir only). */
  checkpoints: number;
  /**
   * CPU time (user + system, all threads) the side's process spent per
   * 1,000 readings between its first and last output: what a reading costs,
   * far less sensitive to other load on the machine than readings/s.
   */
  cpuMsPer1000?: number;
  /** The same for the broker (mosquitto is one thread): its share of the two cores. */
  brokerCpuMsPer1000?: number;
  /** RSS of the side's process (weir: main thread and workers) at the end. */
  rssMB: number;
  /** Readings/s of every repetition, in run order (the case shown is the median one). */
  ratesPerRep?: number[];
}
export interface MqttResult {
  cases: MqttCase[];
  /** Publisher connections that filled each backlog. */
  publishers: number;
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };
const PUBLISHERS = 4;
const SESSION_EXPIRY = 0xffffffff;

/** A side: its sessions (client id and subscription), their protocol, and how to start it. */
interface Side {
  sessions: (prefix: string) => { clientId: string; filter: string }[];
  protocol: 4 | 5;
  start: (port: number, url: string, prefix: string) => ChildProcess;
}

/**
 * `weir run` on 2 workers with every operator at `parallelism`: source
 * instance i connects as `<prefix>-src-<i>`; with 2 instances each
 * subscribes through the shared subscription `$share/<prefix>-share/...`,
 * so the broker splits the backlog between their sessions.
 */
const weirSide = (protocol: 4 | 5, receiveMaximum: number, parallelism = 1): Side => ({
  sessions: (prefix) =>
    Array.from({ length: parallelism }, (_, i) => ({ clientId: `${prefix}-src-${i}`, filter: `${parallelism > 1 ? `$share/${prefix}-share/` : ''}${prefix}/sensors/+/temperature` })),
  protocol,
  start: (_port, url, prefix) => {
    // `weir run` as a gateway runs it: its own process (and its own environment for the job's parameters).
    const env = { ...process.env, WEIR_BENCH_MQTT_URL: url, WEIR_BENCH_MQTT_PREFIX: prefix, WEIR_BENCH_MQTT_CLIENT: `${prefix}-src`, WEIR_BENCH_MQTT_SHARE: `${prefix}-share`, WEIR_BENCH_MQTT_PROTOCOL: String(protocol), WEIR_BENCH_MQTT_RECEIVE_MAX: String(receiveMaximum) };
    const args = ['run', path.join(ROOT, 'bench/jobs/mqtt-threshold.ts'), '--workers', '2', '--parallelism', String(parallelism), '--checkpoint-interval', '1s', '--state', 'memory', '--no-status', '--log-level', 'info', '--job-id', prefix];
    return spawn(process.execPath, [path.join(ROOT, 'dist/bundle/cli.js'), ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  },
});
const relaySide: Side = {
  sessions: (prefix) => [{ clientId: `${prefix}-relay`, filter: `${prefix}/sensors/+/temperature` }],
  protocol: 5,
  start: (_port, url, prefix) => spawn(process.execPath, [path.join(ROOT, 'bench/peers/mqtt-relay.mjs'), url, prefix], { stdio: ['ignore', 'ignore', 'pipe'] }),
};
const nodeRedSide: Side = { sessions: (prefix) => [{ clientId: `${prefix}-nodered`, filter: `${prefix}/sensors/+/temperature` }], protocol: 5, start: (port, _url, prefix) => startNodeRed(port, prefix) };

async function connected(url: string, opts: Parameters<typeof connect>[1]): Promise<MqttClient> {
  const c = connect(url, { reconnectPeriod: 0, ...opts });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

/** The persistent session `clientId` subscribed to `filter` (QoS 1), left offline so the broker queues for it. */
async function createSession(url: string, clientId: string, protocol: 4 | 5, filter: string): Promise<void> {
  const c = await connected(url, { clientId, clean: false, protocolVersion: protocol, properties: protocol === 5 ? { sessionExpiryInterval: SESSION_EXPIRY } : undefined });
  await c.subscribeAsync(filter, { qos: 1 });
  await c.endAsync();
}

/** `readings` seeded readings to `${topicPrefix}/<device>/temperature`, from PUBLISHERS connections at once (QoS 1, all PUBACKed). */
async function publishBacklog(url: string, topicPrefix: string, readings: number): Promise<void> {
  const share = Math.ceil(readings / PUBLISHERS);
  const sent = await Promise.all(
    Array.from({ length: PUBLISHERS }, (_, k) => mqtt.publishSensors({ url, devices: 100, rate: 1e7, count: Math.min(share, readings - k * share), topicPrefix, seed: k + 1, prefix: `dev-${k}-` }, silent)),
  );
  const total = sent.reduce((a, b) => a + b, 0);
  if (total !== readings) throw new Error(`mqtt bench: published ${total} of ${readings} readings`);
}

async function oneCase(name: string, side: Side, receiveMaximum: number, readings: number, log: (s: string) => void, maxInflight = 0): Promise<MqttCase> {
  const broker = await startMosquitto({ maxInflight });
  const prefix = `bench-${Date.now().toString(36)}`;
  for (const { clientId, filter } of side.sessions(prefix)) await createSession(broker.url, clientId, side.protocol, filter);
  await publishBacklog(broker.url, `${prefix}/sensors`, readings);
  const counter = await connected(broker.url, { clientId: `${prefix}-count`, protocolVersion: 5 });
  let outputs = 0;
  let firstAt = 0;
  let lastAt = 0;
  let cpuAtFirst = 0;
  let brokerCpuAtFirst = 0;
  let pid = 0;
  counter.on('message', () => {
    outputs++;
    lastAt = wallNow();
    if (firstAt === 0) {
      firstAt = lastAt;
      cpuAtFirst = cpuMsOf(pid);
      brokerCpuAtFirst = cpuMsOf(broker.pid!);
    }
  });
  await counter.subscribeAsync(`${prefix}/out/#`, { qos: 1 });
  const spawnedAt = wallNow();
  const job = side.start(broker.port, broker.url, prefix);
  pid = job.pid!;
  let stderr = '';
  job.stderr!.on('data', (d) => (stderr += d));
  const checkpoints = () => (stderr.match(/checkpoint \d+ committed/g) ?? []).length;
  let failed: unknown;
  job.once('exit', (code) => (failed = new Error(`${name} exited with ${code}: ${stderr.slice(-2000)}`)));
  try {
    const until = wallNow() + 600_000;
    while (outputs < readings) {
      if (failed) throw failed;
      if (wallNow() > until) throw new Error(`mqtt bench ${name}: ${outputs} of ${readings} outputs after 600 s`);
      await sleep(20);
    }
    const cpuMs = cpuMsOf(pid) - cpuAtFirst;
    const brokerCpuMs = cpuMsOf(broker.pid!) - brokerCpuAtFirst;
    const rssMB = memoryOf(job.pid!).rssMB;
    const seconds = (lastAt - firstAt) / 1000;
    const c: MqttCase = { name, protocol: side.protocol, receiveMaximum, readings, seconds: round(seconds, 2), readingsPerSec: round(readings / seconds), rssMB: round(rssMB), checkpoints: checkpoints(), startupMs: round(firstAt - spawnedAt), cpuMsPer1000: round((cpuMs * 1000) / readings, 1), brokerCpuMsPer1000: round((brokerCpuMs * 1000) / readings, 1) };
    log(`  ${name}: ${readings} readings in ${c.seconds} s = ${c.readingsPerSec}/s${c.checkpoints ? `, ${c.checkpoints} checkpoints` : ''} (CPU ${c.cpuMsPer1000} ms per 1000 readings, broker ${c.brokerCpuMsPer1000}, RSS after: ${c.rssMB} MB, spawn -> first output ${c.startupMs} ms)`);
    return c;
  } finally {
    if (job.exitCode === null) await endChild(job.pid!, 10_000);
    counter.end(true);
    await broker.stop();
  }
}

/** The harness's ceiling: the counter drains a backlog of `n` outputs from its own session, nothing in between. */
async function counterAlone(n: number, log: (s: string) => void): Promise<MqttCase> {
  const broker = await startMosquitto({ maxInflight: 0 });
  const prefix = `bench-${Date.now().toString(36)}`;
  try {
    await createSession(broker.url, `${prefix}-count`, 5, `${prefix}/out/#`);
    await publishBacklog(broker.url, `${prefix}/out`, n);
    let outputs = 0;
    let firstAt = 0;
    let lastAt = 0;
    const counter = connect(broker.url, { clientId: `${prefix}-count`, clean: false, protocolVersion: 5, properties: { sessionExpiryInterval: SESSION_EXPIRY }, reconnectPeriod: 0 });
    counter.on('message', () => {
      outputs++;
      lastAt = wallNow();
      firstAt ||= lastAt;
    });
    const until = wallNow() + 300_000;
    while (outputs < n) {
      if (wallNow() > until) throw new Error(`mqtt bench counter alone: ${outputs} of ${n} after 300 s`);
      await sleep(20);
    }
    counter.end(true);
    const seconds = (lastAt - firstAt) / 1000;
    const c: MqttCase = { name: 'counter alone (harness ceiling)', protocol: 5, receiveMaximum: 0, readings: n, seconds: round(seconds, 2), readingsPerSec: round(n / seconds), rssMB: 0, checkpoints: 0, startupMs: 0 };
    log(`  ${c.name}: ${n} messages in ${c.seconds} s = ${c.readingsPerSec}/s`);
    return c;
  } finally {
    await broker.stop();
  }
}

/** The repetition with the median rate, carrying every repetition's rate. */
function medianCase(runs: MqttCase[]): MqttCase {
  const sorted = [...runs].sort((a, b) => a.readingsPerSec - b.readingsPerSec);
  const cpu = runs.flatMap((r) => (r.cpuMsPer1000 === undefined ? [] : [r.cpuMsPer1000])).sort((a, b) => a - b);
  const c: MqttCase = { ...sorted[(sorted.length - 1) >> 1], ratesPerRep: runs.map((r) => r.readingsPerSec) };
  if (cpu.length > 0) c.cpuMsPer1000 = cpu[(cpu.length - 1) >> 1];
  const broker = runs.flatMap((r) => (r.brokerCpuMsPer1000 === undefined ? [] : [r.brokerCpuMsPer1000])).sort((a, b) => a - b);
  if (broker.length > 0) c.brokerCpuMsPer1000 = broker[(broker.length - 1) >> 1];
  return c;
}

export async function benchMqtt(readings: number, reps: number, log: (s: string) => void): Promise<MqttResult> {
  const sides: [string, Side, number][] = [
    ['weir, MQTT 5, Receive Maximum 10000', weirSide(5, 10_000), 10_000],
    // Both cores: two source instances (a shared subscription), two threshold instances, two sinks.
    ['weir, parallelism 2 (shared subscription)', weirSide(5, 10_000, 2), 10_000],
    // The floor of a relay: the same flow hand-written on mqtt.js, no checkpoints.
    ['bare mqtt.js relay (no checkpoints)', relaySide, 0],
  ];
  if (nodeRedInstalled()) sides.push(['Node-RED 4.1 (same flow)', nodeRedSide, 0]);
  else log(`  Node-RED peer skipped: not installed (cd ${NODE_RED_DIR} && npm install)`);
  // Sides interleaved per repetition, so a change of machine load hits them alike.
  const runs: MqttCase[][] = sides.map(() => []);
  const ceiling: MqttCase[] = [];
  for (let r = 0; r < reps; r++) {
    log(`  repetition ${r + 1}/${reps}`);
    for (let k = 0; k < sides.length; k++) runs[k].push(await oneCase(sides[k][0], sides[k][1], sides[k][2], readings, log));
    ceiling.push(await counterAlone(readings, log));
  }
  const cases = runs.map(medianCase);
  cases.push(medianCase(ceiling));
  const nr = sides.findIndex((x) => x[1] === nodeRedSide);
  if (nr >= 0) {
    for (const w of [0, 1]) {
      const pairs = runs[w].map((x, i) => (x.readingsPerSec / runs[nr][i].readingsPerSec).toFixed(2)).join(', ');
      log(`  ${sides[w][0]} / Node-RED: ${(cases[w].readingsPerSec / cases[nr].readingsPerSec).toFixed(2)}x readings/s, medians (per repetition: ${pairs}; target >= 2x)`);
      log(`    CPU per reading: Node-RED / ${sides[w][0]} = ${((cases[nr].cpuMsPer1000 ?? 0) / (cases[w].cpuMsPer1000 ?? 1)).toFixed(2)}x (medians: ${cases[nr].cpuMsPer1000} vs ${cases[w].cpuMsPer1000} ms per 1000 readings)`);
    }
  }
  cases.push(await oneCase('weir, MQTT 5, Receive Maximum 100', weirSide(5, 100), 100, Math.min(readings, 1000), log));
  cases.push(await oneCase('weir, MQTT 3.1.1, max_inflight_messages 20', weirSide(4, 20), 20, Math.min(readings, 200), log, 20));
  return { cases, publishers: PUBLISHERS };
}

export function mqttRows(r: MqttResult): string[][] {
  const nr = r.cases.find((c) => c.name.startsWith('Node-RED'));
  const rows = r.cases.map((c, i) => [
    i === 0 ? '9. MQTT -> threshold -> MQTT' : '',
    `${c.readingsPerSec.toLocaleString('en')} readings/s`,
    c.name,
    c.rssMB ? `${c.readings} readings, ${c.seconds} s, CPU ${c.cpuMsPer1000} ms/1000 (broker ${c.brokerCpuMsPer1000}), RSS ${c.rssMB} MB, start ${c.startupMs} ms${c.ratesPerRep && c.ratesPerRep.length > 1 ? `; reps ${c.ratesPerRep.join(', ')}/s` : ''}` : `${c.readings} messages${c.ratesPerRep && c.ratesPerRep.length > 1 ? `; reps ${c.ratesPerRep.join(', ')}/s` : ''}`,
    '',
    '',
  ]);
  const p2 = r.cases.find((c) => c.name.startsWith('weir, parallelism 2'));
  if (nr) rows.push(['   weir (parallelism 1) / Node-RED', '', '', `${(r.cases[0].readingsPerSec / nr.readingsPerSec).toFixed(2)}x`, '(diag.)', '']);
  if (nr && p2) rows.push(['   weir (parallelism 2) / Node-RED', '', '', `${(p2.readingsPerSec / nr.readingsPerSec).toFixed(2)}x`, '>= 2x', p2.readingsPerSec >= 2 * nr.readingsPerSec ? 'PASS' : 'FAIL']);
  return rows;
}
