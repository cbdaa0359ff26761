/**
 * Helpers for the MQTT and Redis Streams integration tests: unique names on
 * the shared Redis (127.0.0.1:6379) and Mosquitto (127.0.0.1:1883), a QoS 1
 * sensor publisher, stream reading (XRANGE), the weir CLI as a child process,
 * and the expected output of the keyed-count fixture.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { pollUntil } from '../../support/wait-for.js';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/bundle/cli.js');
export const fixture = (name: string) => path.join(ROOT, 'test/fixtures', name);
export const REDIS_URL = 'redis://127.0.0.1:6379';
export const SHARED_MQTT = 'mqtt://127.0.0.1:1883';
export const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
export const unique = (name: string) => `weir-it-${name}-${runId}`;
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

export function waitFor(cond: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 60_000, everyMs = 100): Promise<void> {
  return pollUntil(cond, what, timeoutMs, everyMs);
}

let shared: Redis | undefined;
export function redisClient(): Redis {
  shared ??= new Redis(REDIS_URL, { maxRetriesPerRequest: 2 });
  return shared;
}
const keys = new Set<string>();
export const trackKey = (k: string) => keys.add(k);
export async function cleanupRedis(): Promise<void> {
  const r = redisClient();
  for (const k of keys) await r.del(k);
  const markers = await r.keys(`*weir-sink:weir-it-*${runId}*`);
  if (markers.length) await r.del(...markers);
  r.disconnect();
  shared = undefined;
}

/** Values (field 'data') of a stream, in order (XRANGE). */
export async function streamValues(stream: string, r: Redis = redisClient()): Promise<string[]> {
  const entries = (await r.xrange(stream, '-', '+')) as [string, string[]][];
  return entries.map(([, f]) => f[f.indexOf('data') + 1]);
}

/** "device,c" for c = 1..n_device: the keyed-count fixture's fault-free output, as a sorted multiset. */
export function expectedCounts(perDevice: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [d, n] of perDevice) for (let c = 1; c <= n; c++) out.push(`${d},${c}`);
  return out.sort();
}

/** What `got` has too many and too few of, against `want` (multisets). */
export function multisetDiff(got: string[], want: string[]): { extra: string[]; missing: string[] } {
  const m = new Map<string, number>();
  for (const w of want) m.set(w, (m.get(w) ?? 0) + 1);
  const extra: string[] = [];
  for (const g of got) {
    const n = m.get(g) ?? 0;
    if (n > 0) m.set(g, n - 1);
    else extra.push(g);
  }
  const missing = [...m].flatMap(([k, n]) => Array<string>(n).fill(k));
  return { extra, missing };
}

export interface Weir {
  proc: ChildProcess;
  stderr(): string;
  exited: Promise<number | null>;
}

/** `weir run <job> ...args` as a child process (its stderr kept for failure messages). */
export function weir(args: string[], env: Record<string, string>): Weir {
  const proc = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return { proc, stderr: () => err, exited };
}

export async function kill9(w: Weir): Promise<void> {
  w.proc.kill('SIGKILL');
  await w.exited;
}
