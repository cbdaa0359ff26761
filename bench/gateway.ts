/**
 * Benchmark `gateway`: the iot-gateway example (examples/iot-gateway.ts) as
 * a user runs it, `weir run --workers 2`, against a private mosquitto and the
 * shared Redis (its streams named per run, deleted after).
 *
 * - Start to first alert: spawn of `weir run` -> the first alert on MQTT
 *   `alerts/<device>`. From the spawn on, a reading of 45 °C (alarm) for one
 *   device goes out every 20 ms (QoS 0: readings before the source has
 *   subscribed are lost, as for a real sensor), so the figure is the job's
 *   start-up plus one reading's way through it, to within 20 ms.
 * - Idle RSS: VmRSS of the `weir run` process (main thread and both worker
 *   threads) IDLE_MS after the first alert, no readings meanwhile (target
 *   <= 90 MB, as for the generic idle job in bench/startup.ts).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { connect } from 'mqtt';
import { startMosquitto } from '../test/services/mosquitto.js';
import { endChild, median, memoryOf, ROOT, round, sleep, wallNow } from './lib/util.js';

export const GATEWAY_IDLE_MS = 3000;
const REDIS_URL = process.env.WEIR_BENCH_REDIS ?? 'redis://127.0.0.1:6379';

export interface GatewaySample {
  startToFirstAlertMs: number;
  idleRssMB: number;
  idleHwmMB: number;
}
export interface GatewayResult {
  samples: GatewaySample[];
  medianStartToFirstAlertMs: number;
  medianIdleRssMB: number;
}

async function once(rep: number, log: (s: string) => void): Promise<GatewaySample> {
  const broker = await startMosquitto();
  const id = `bench-gateway-${Date.now().toString(36)}-${rep}`;
  const state = mkdtempSync(path.join(tmpdir(), 'weir-bench-gateway-'));
  const env = { ...process.env, MQTT_URL: broker.url, REDIS_URL, SENSORS_PREFIX: `${id}/sensors`, ALERTS_PREFIX: `${id}/alerts`, ALERTS_STREAM: `${id}:alerts`, STATS_STREAM: `${id}:stats`, MQTT_CLIENT_ID: `${id}-src` };
  const sub = connect(broker.url, { clientId: `${id}-watch`, protocolVersion: 5 });
  const sensor = connect(broker.url, { clientId: `${id}-sensor`, protocolVersion: 5 });
  let firstAlertAt = 0;
  sub.on('message', () => (firstAlertAt ||= wallNow()));
  await Promise.all([sub, sensor].map((c) => new Promise<void>((r) => c.once('connect', () => r()))));
  await sub.subscribeAsync(`${id}/alerts/#`, { qos: 1 });
  const spawnedAt = wallNow();
  const job = spawn(process.execPath, [path.join(ROOT, 'dist/bundle/cli.js'), 'run', path.join(ROOT, 'examples/iot-gateway.ts'), '--workers', '2', '--state', `file:${state}`, '--job-id', id, '--no-status'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  job.stderr!.on('data', (d) => (stderr += d));
  let failed: Error | undefined;
  job.once('exit', (code) => (failed = new Error(`weir run exited with ${code}: ${stderr.slice(-2000)}`)));
  try {
    for (let i = 0; firstAlertAt === 0; i++) {
      if (failed) throw failed;
      if (i > 3000) throw new Error('gateway bench: no alert within 60 s');
      sensor.publish(`${id}/sensors/dev-0/temperature`, JSON.stringify({ device: 'dev-0', temperature: 45, ts: Date.now() }), { qos: 0 });
      await sleep(20);
    }
    const startToFirstAlertMs = round(firstAlertAt - spawnedAt);
    await sleep(GATEWAY_IDLE_MS);
    if (failed) throw failed;
    const mem = memoryOf(job.pid!);
    const s = { startToFirstAlertMs, idleRssMB: round(mem.rssMB, 1), idleHwmMB: round(mem.hwmMB, 1) };
    log(`  rep ${rep + 1}: start -> first alert ${s.startToFirstAlertMs} ms, idle RSS ${s.idleRssMB} MB (peak ${s.idleHwmMB} MB)`);
    return s;
  } finally {
    if (job.exitCode === null) await endChild(job.pid!, 10_000);
    sub.end(true);
    sensor.end(true);
    await broker.stop();
    const r = new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
    await r.del(`${id}:alerts`, `${id}:stats`).catch(() => {});
    const markers = await r.keys(`*${id}*`).catch(() => [] as string[]);
    if (markers.length) await r.del(...markers);
    r.disconnect();
    rmSync(state, { recursive: true, force: true });
  }
}

export async function benchGateway(reps: number, log: (s: string) => void): Promise<GatewayResult> {
  const samples: GatewaySample[] = [];
  for (let r = 0; r < reps; r++) samples.push(await once(r, log));
  return { samples, medianStartToFirstAlertMs: median(samples.map((s) => s.startToFirstAlertMs)), medianIdleRssMB: round(median(samples.map((s) => s.idleRssMB)), 1) };
}

export function gatewayRows(r: GatewayResult, pass: string): string[][] {
  const range = (xs: number[]) => `${Math.min(...xs)}..${Math.max(...xs)}`;
  return [
    ['12. iot-gateway, 2 workers, idle', `${r.medianIdleRssMB} MB RSS (${range(r.samples.map((s) => s.idleRssMB))})`, '(no peer; Node-RED RSS in row 9)', `${GATEWAY_IDLE_MS} ms after the first alert`, '<= 90 MB', pass],
    ['   start -> first alert', `${r.medianStartToFirstAlertMs} ms (${range(r.samples.map((s) => s.startToFirstAlertMs))})`, '', 'spawn of weir run -> alert on MQTT', '', ''],
  ];
}
