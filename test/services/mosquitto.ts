/**
 * A private `mosquitto` for MQTT tests that need broker settings of their own
 * or restart the broker: its own port (18830 + random), its own config and
 * persistence directory, started and stopped by the test. The shared broker
 * on 1883 is never touched.
 *
 * Defaults: persistence on (a graceful restart keeps sessions and queued
 * messages), max_queued_messages 0 (no limit: a consumer that is down loses
 * nothing), MQTT 3.1.1 in-flight window 20 (Mosquitto's default).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const MOSQUITTO = process.env.WEIR_MOSQUITTO ?? '/usr/sbin/mosquitto';

export interface MosquittoOptions {
  /** max_inflight_messages (MQTT 3.1.1 clients; default 20). */
  maxInflight?: number;
  /** max_queued_messages (default 0: no limit). */
  maxQueued?: number;
}

export interface PrivateMosquitto {
  readonly port: number;
  readonly url: string;
  /** Pid of the running broker process (undefined while it is down), e.g. to read its CPU time. */
  readonly pid: number | undefined;
  /** SIGTERM (Mosquitto saves its persistence file) and start again on the same port. */
  restart(downMs?: number): Promise<void>;
  /** SIGTERM and wait for the exit (the broker is down until start()). */
  shutdown(): Promise<void>;
  start(): Promise<void>;
  /** Stop for good and remove its directory. */
  stop(): Promise<void>;
}

export async function startMosquitto(o: MosquittoOptions = {}): Promise<PrivateMosquitto> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-mosquitto-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 18830 + Math.floor(Math.random() * 2000);
    if (!(await portFree(port))) continue;
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        'user root', // run as the test's user (as root, mosquitto would switch to a user that cannot write the directory)
        'persistence true',
        `persistence_location ${dir}/`,
        `max_inflight_messages ${o.maxInflight ?? 20}`,
        `max_queued_messages ${o.maxQueued ?? 0}`,
        'log_dest none',
        '',
      ].join('\n'),
    );
    let proc: ChildProcess | undefined;
    try {
      proc = await launch(conf, port);
    } catch (e) {
      lastError = e;
      continue;
    }
    const onExit = () => proc?.kill('SIGKILL');
    process.once('exit', onExit);
    const shutdown = async () => {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGTERM');
      await exited;
    };
    const start = async () => {
      if (!proc) proc = await launch(conf, port);
    };
    return {
      port,
      url: `mqtt://127.0.0.1:${port}`,
      get pid() {
        return proc?.pid;
      },
      shutdown,
      start,
      restart: async (downMs = 0) => {
        await shutdown();
        if (downMs > 0) await new Promise((r) => setTimeout(r, downMs));
        await start();
      },
      stop: async () => {
        await shutdown();
        process.removeListener('exit', onExit);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`could not start a private mosquitto (${MOSQUITTO}) on a free port in 18830-20829: ${String(lastError)}`);
}

async function launch(conf: string, port: number): Promise<ChildProcess> {
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr?.on('data', (d) => (stderr += d));
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`mosquitto on port ${port} exited with ${code}: ${stderr.trim()}`)));
  });
  failed.catch(() => {});
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await listening(port)) return proc;
    await Promise.race([new Promise((r) => setTimeout(r, 20)), failed]);
  }
  proc.kill('SIGKILL');
  throw new Error(`mosquitto on port ${port} did not listen within 5 s: ${stderr.trim()}`);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
