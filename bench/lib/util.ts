/** Small helpers shared by the benchmarks: statistics, timing, child threads and processes. */
import { spawn, type SpawnOptions } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, type TransferListItem } from 'node:worker_threads';
import type { PeerReport, Sample } from './types.js';

/** The repository root, found from this file in dist/bench/lib or bench/lib. */
export const ROOT = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      if (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).name === 'weir') return dir;
    } catch {
      // keep looking
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error('bench: weir package root not found');
    dir = up;
  }
})();

/** bench/jobs/ as a URL (weir compiles the job .ts files from there, also when the bench runs from dist/). */
export const JOBS = pathToFileURL(path.join(ROOT, 'bench', 'jobs') + path.sep);

export const wallNow = (): number => performance.timeOrigin + performance.now();

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Sum of the lengths of "Processed: Message i" for i < n: what the sinks must count. */
export function expectedChars(n: number): number {
  let digits = 0;
  for (let d = 1, lo = 0; lo < n; d++, lo = 10 ** (d - 1)) digits += (Math.min(n, 10 ** d) - lo) * d;
  return n * 'Processed: Message '.length + digits;
}

/** Merge per-instance / per-thread reports into one sample, timed from `startWall`. */
export function toSample(reports: readonly PeerReport[], startWall: number, wallMs: number): Sample {
  let count = 0;
  let chars = 0;
  let first = Infinity;
  let last = -Infinity;
  for (const r of reports) {
    count += r.count;
    chars += r.chars;
    if (r.count > 0) {
      first = Math.min(first, r.firstAt);
      last = Math.max(last, r.lastAt);
    }
  }
  return { wallMs, firstRecordMs: first - startWall, steadyMs: last - first, count, chars };
}

export function checkSample(what: string, s: Sample, n: number): void {
  const want = expectedChars(n);
  if (s.count !== n || s.chars !== want) {
    throw new Error(`${what}: sink saw ${s.count} records / ${s.chars} chars, expected ${n} / ${want}`);
  }
}

/** Run worker threads (fresh ones) until each posts one report; returns the reports and the wall time. */
export async function runThreads(
  file: URL,
  specs: { workerData: unknown; transferList?: TransferListItem[] }[],
): Promise<{ reports: PeerReport[]; wallMs: number; startWall: number }> {
  const startWall = wallNow();
  const t0 = performance.now();
  const workers = specs.map((s) => new Worker(file, { workerData: s.workerData, transferList: s.transferList }));
  try {
    const reports = await Promise.all(
      workers.map(
        (w) =>
          new Promise<PeerReport>((resolve, reject) => {
            w.once('message', resolve);
            w.once('error', reject);
            w.once('exit', (code) => reject(new Error(`peer thread exited with code ${code} before reporting`)));
          }),
      ),
    );
    return { reports, wallMs: performance.now() - t0, startWall };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

export interface ChildRun {
  /** Ms from spawn to the first complete stdout line, or NaN. */
  firstLineMs: number;
  /** Ms from spawn to exit. */
  exitMs: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

/**
 * Spawn a process (no shell) and time it. `whileRunning`, if given, is called
 * once the first stdout line arrived, with the child's pid; the child is not
 * waited for until it settles (it may kill the child).
 */
export function timeChild(
  cmd: string,
  args: string[],
  options: SpawnOptions & { whileRunning?: (pid: number) => Promise<void>; timeoutMs?: number } = {},
): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let firstLineMs = NaN;
    let stderr = '';
    let during: Promise<void> = Promise.resolve();
    const timeout = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`'${cmd} ${args.join(' ')}' did not finish within ${options.timeoutMs ?? 30000} ms\n${stderr}`));
    }, options.timeoutMs ?? 30000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (Number.isNaN(firstLineMs) && chunk.includes(10)) {
        firstLineMs = performance.now() - t0;
        if (options.whileRunning) during = options.whileRunning(child.pid!);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      if (stderr.length < 20000) stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      const exitMs = performance.now() - t0;
      clearTimeout(timeout);
      during.then(
        () => resolve({ firstLineMs, exitMs, code, signal, stderr }),
        (e) => reject(e),
      );
    });
  });
}

/** VmRSS and VmHWM of a process, in MB (Linux /proc), and the VmRSS of its descendant processes. */
export function memoryOf(pid: number): { rssMB: number; hwmMB: number; childrenRssMB: number; children: string[] } {
  const kb = (p: number, field: string): number => {
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${field} in /proc/${p}/status`);
    return Number(m[1]);
  };
  let childrenKB = 0;
  const children: string[] = [];
  for (const c of descendants(pid)) {
    try {
      childrenKB += kb(c, 'VmRSS');
      children.push(readFileSync(`/proc/${c}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 120));
    } catch {
      // exited meanwhile
    }
  }
  return { rssMB: kb(pid, 'VmRSS') / 1024, hwmMB: kb(pid, 'VmHWM') / 1024, childrenRssMB: childrenKB / 1024, children };
}

/** Pids of all descendants of `pid` (scans /proc/<n>/stat for parent pids). */
function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(e), Number(fields[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift()!;
    for (const [c, pp] of parentOf) if (pp === p) (out.push(c), queue.push(c));
  }
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Ends a child by pid: SIGTERM, then SIGKILL after `graceMs`. Returns true if SIGKILL was needed. */
export async function endChild(pid: number, graceMs: number): Promise<boolean> {
  process.kill(pid, 'SIGTERM');
  const deadline = performance.now() + graceMs;
  while (performance.now() < deadline) {
    await sleep(20);
    if (!alive(pid)) return false;
  }
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}

function alive(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped by us) still answers kill(0): look at its state.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}
