/**
 * Shared helpers for the recovery tests: fresh temp dirs, the WEIR_EO
 * configuration the keyed-count fixtures read, the fault-free reference
 * output, and polling.
 *
 * Workers inherit process.env when they are spawned, so `configure()` must
 * run before `run()` (and a replacement worker spawned later sees the value
 * in force at that time: every test here sets it once per job and keeps it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { file } from 'weir';
import { decodeSnapshot } from '../../../runtime/channel/codec.js';
import { pollUntil } from '../../support/wait-for.js';
import { blobFileName } from '../../../runtime/checkpoint/storage/file-backend.js';

export const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/${name}`, import.meta.url));
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/bundle/cli.js');

export interface Fault {
  kind: 'throw' | 'exit' | 'hang';
  at: number;
  /** Fires once: the fixture writes this file when it fires. */
  marker: string;
}

export interface EoConfig {
  count: number;
  keys: number;
  rate?: number;
  dir: string;
  faults?: Fault[];
}

const dirs: string[] = [];

/** A fresh temp dir, removed by `cleanupDirs()`. */
export function tmp(prefix = 'weir-ft-'): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function cleanupDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Sets WEIR_EO (read by keyed-count-eo.ts and the ft-* fixtures at import, in every worker). */
export function configure(cfg: object): string {
  const s = JSON.stringify(cfg);
  process.env.WEIR_EO = s;
  return s;
}

/** The fault-free output of keyed running counts: `w<i % keys>,<running count>`, sorted. */
export function expectedLines(count: number, keys: number): string[] {
  const n = new Map<string, number>();
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const w = `w${i % keys}`;
    const c = (n.get(w) ?? 0) + 1;
    n.set(w, c);
    lines.push(`${w},${c}`);
  }
  return lines.sort();
}

/** Committed lines of a file.sink directory, sorted (none when the directory does not exist yet). */
export async function committed(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await file.readCommitted(dir)).sort();
}

/**
 * A readable diff summary for exactly-once failures: counts of missing and
 * duplicated lines with a few examples, so a failure says what broke.
 */
export function diffSummary(actual: string[], expected: string[]): { missing: number; extra: number; duplicated: number; examples: string[] } {
  const want = new Map<string, number>();
  for (const l of expected) want.set(l, (want.get(l) ?? 0) + 1);
  const got = new Map<string, number>();
  for (const l of actual) got.set(l, (got.get(l) ?? 0) + 1);
  let missing = 0;
  let extra = 0;
  let duplicated = 0;
  const examples: string[] = [];
  for (const [l, c] of want) {
    const g = got.get(l) ?? 0;
    if (g < c) {
      missing += c - g;
      if (examples.length < 5) examples.push(`missing ${l}`);
    }
  }
  for (const [l, g] of got) {
    const c = want.get(l) ?? 0;
    if (g > c) {
      if (c > 0) duplicated += g - c;
      else extra += g;
      if (examples.length < 10) examples.push(`${c > 0 ? 'duplicate' : 'unexpected'} ${l} x${g - c}`);
    }
  }
  return { missing, extra, duplicated, examples };
}

/** Committed checkpoint ids on disk for a file-backend job dir (directories with `_metadata`). */
export function committedCheckpointIds(stateDir: string, job: string): number[] {
  const jobDir = path.join(stateDir, job);
  if (!existsSync(jobDir)) return [];
  return readdirSync(jobDir)
    .map((e) => /^chk-(\d+)$/.exec(e))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(path.join(jobDir, m[0], '_metadata')))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/**
 * The highest position (next index) of the generator source 'in' in checkpoint `id` of a
 * file-state job: a rerun whose input ends n records past it has n records left at least.
 */
export function generatorPosition(stateDir: string, job: string, id: number): number {
  const dir = path.join(stateDir, job, `chk-${id}`);
  const blobs = readdirSync(dir).filter((f) => f.startsWith(blobFileName('in/0').slice(0, -1)));
  return Math.max(...blobs.map((f) => (decodeSnapshot(readFileSync(path.join(dir, f))) as { src: { next: number } }).src.next));
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it is true; throws with `what` after `timeoutMs`. */
export function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000, everyMs = 25): Promise<void> {
  return pollUntil(cond, what, timeoutMs, everyMs);
}

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawns `node <args>` with `env` added to the environment; resolves when it exits (SIGKILL after `timeoutMs`). */
export function spawnNode(args: string[], env: Record<string, string>, timeoutMs = 60_000): { child: ChildProcess; exited: Promise<Exited> } {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exited = new Promise<Exited>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, exited };
}

export const RUN_JOB = fileURLToPath(new URL('./run-job.mjs', import.meta.url));

export interface ChildResult {
  ok: boolean;
  code?: string;
  message?: string;
  restarts?: number;
  resumedFrom?: number;
  checkpoint?: { id: number; kind: string };
  checkpoints?: { completed: number; failed: number; lastId?: number };
  stopped?: boolean;
}

/** Runs `job` with `options` in a child process (run-job.mjs); returns its result line and its stderr (the logs). */
export async function runInChild(job: string, options: object, env: Record<string, string>, timeoutMs = 60_000): Promise<{ result: ChildResult; exit: Exited }> {
  const exit = await spawnNode([RUN_JOB, job, JSON.stringify(options)], env, timeoutMs).exited;
  const line = exit.stdout.trim().split('\n').pop() ?? '';
  let result: ChildResult;
  try {
    result = JSON.parse(line) as ChildResult;
  } catch {
    throw new Error(`run-job.mjs printed no result (exit ${exit.code}, signal ${exit.signal}); stderr:\n${exit.stderr.slice(-4000)}`);
  }
  return { result, exit };
}

/** The `msg` fields of pino JSON lines in `stderr`, at `level` (40 = warn) or above. */
export function logMessages(stderr: string, level = 40): string[] {
  return stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .flatMap((l) => {
      try {
        const o = JSON.parse(l) as { level?: number; msg?: string };
        return (o.level ?? 0) >= level && typeof o.msg === 'string' ? [o.msg] : [];
      } catch {
        return [];
      }
    });
}

/**
 * For a partial committed output (a job stopped or killed mid-run): per key,
 * the committed counts must be exactly 1..c (no gap = nothing lost before a
 * later record, no repeat = nothing committed twice). Returns the problems.
 */
export function prefixProblems(lines: string[]): string[] {
  const byKey = new Map<string, number[]>();
  const problems: string[] = [];
  for (const l of lines) {
    const m = /^(w\d+),(\d+)$/.exec(l);
    if (!m) {
      problems.push(`malformed line ${JSON.stringify(l)}`);
      continue;
    }
    const list = byKey.get(m[1]) ?? [];
    list.push(Number(m[2]));
    byKey.set(m[1], list);
  }
  for (const [k, counts] of byKey) {
    counts.sort((a, b) => a - b);
    counts.forEach((c, i) => {
      if (c !== i + 1) problems.push(`${k}: expected count ${i + 1} at position ${i}, found ${c}`);
    });
  }
  return problems.slice(0, 10);
}
