/**
 * Memory under overload: the CLI runs bench/jobs/overload.ts (unbounded
 * generator -> keyBy -> map -> a sink taking 5 ms per batch, 2 workers,
 * checkpoints every second to a fresh file: state directory) for
 * `seconds`; after a warm-up the bench reads the process's VmRSS every
 * 500 ms, and the sinks print their thread's used heap about once a second.
 * Target: RSS max - min < 10 MB over the measured window. No peer: what is
 * judged is that memory stays flat while the input never stops.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { endChild, memoryOf, round, ROOT, sleep } from './lib/util.js';

const CLI = path.join(ROOT, 'dist', 'bundle', 'cli.js');
export const OVERLOAD_SINK_MS = 5;

export interface OverloadResult {
  seconds: number;
  warmupSeconds: number;
  sinkMsPerBatch: number;
  rssMB: number[];
  rssMinMB: number;
  rssMaxMB: number;
  rssSpreadMB: number;
  /** Per sink instance: used heap of its worker, min and max over the window (MB). */
  heap: { instance: number; minMB: number; maxMB: number }[];
  /** Records the sinks took in the window (per second), so the run did work. */
  recordsPerSec: number;
  exitCode: number | null;
}

export async function benchOverload(seconds: number, log: (s: string) => void): Promise<OverloadResult> {
  const warmupSeconds = Math.min(5, Math.max(2, Math.floor(seconds / 6)));
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weir-bench-overload-'));
  const child = spawn(process.execPath, [CLI, 'run', 'bench/jobs/overload.ts', '--workers', '2', '--state', `file:${dir}`, '--checkpoint-interval', '1s'], {
    cwd: ROOT,
    env: { ...process.env, WEIR_BENCH_SINK_MS: String(OVERLOAD_SINK_MS) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const heaps = new Map<number, number[]>();
  const counts = new Map<number, { at: number; count: number }[]>();
  let measuring = false;
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const m = /^heap (\d+) ([\d.]+) (\d+)$/.exec(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
      if (!m || !measuring) continue;
      const i = Number(m[1]);
      heaps.set(i, [...(heaps.get(i) ?? []), Number(m[2])]);
      counts.set(i, [...(counts.get(i) ?? []), { at: performance.now(), count: Number(m[3]) }]);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    await sleep(warmupSeconds * 1000);
    if (child.exitCode !== null) throw new Error(`overload job exited early (${child.exitCode}): ${stderr.slice(0, 500)}`);
    measuring = true;
    const rss: number[] = [];
    const end = performance.now() + (seconds - warmupSeconds) * 1000;
    while (performance.now() < end) {
      rss.push(round(memoryOf(child.pid!).rssMB, 1));
      await sleep(500);
    }
    measuring = false;
    const killed = await endChild(child.pid!, 10_000);
    const exitCode = await exited;
    if (killed) throw new Error(`overload job did not drain within 10 s of SIGTERM: ${stderr.slice(0, 500)}`);
    const heap = [...heaps].map(([instance, h]) => ({ instance, minMB: Math.min(...h), maxMB: Math.max(...h) }));
    let perSec = 0;
    for (const c of counts.values()) if (c.length >= 2) perSec += ((c[c.length - 1].count - c[0].count) * 1000) / (c[c.length - 1].at - c[0].at);
    if (heap.length === 0 || perSec <= 0) throw new Error(`overload: the sinks reported nothing in the window (stderr: ${stderr.slice(0, 500)})`);
    const result: OverloadResult = {
      seconds,
      warmupSeconds,
      sinkMsPerBatch: OVERLOAD_SINK_MS,
      rssMB: rss,
      rssMinMB: Math.min(...rss),
      rssMaxMB: Math.max(...rss),
      rssSpreadMB: round(Math.max(...rss) - Math.min(...rss), 1),
      heap,
      recordsPerSec: Math.round(perSec),
      exitCode,
    };
    log(`  RSS ${result.rssMinMB}..${result.rssMaxMB} MB (${rss.length} samples), heap ${heap.map((h) => `#${h.instance} ${h.minMB}..${h.maxMB} MB`).join(', ')}, sinks ${result.recordsPerSec} rec/s, exit ${exitCode}`);
    return result;
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
