/**
 * Worker threads started before the coordinator itself is loaded. Booting a
 * thread costs ~100-150 ms; the CLI starts them first thing (cli/entry.ts),
 * so that boot overlaps loading weir, compiling and planning the job. A
 * pre-spawned thread waits for its 'init' like any other; unused ones do
 * not keep the process alive.
 */
import { existsSync } from 'node:fs';
import { Worker, type ResourceLimits, type WorkerOptions } from 'node:worker_threads';
import { WORKER_ENTRY } from '../paths.js';
import { DEFAULT_WORKER_YOUNG_MB, sameLimits, workerResourceLimits, youngMbFromEnv } from './worker-limits.js';

const pool: Worker[] = [];
/** The limits the pool's threads were started with (the defaults; a job asking for others gets new threads). */
let poolLimits: ResourceLimits | undefined;

/**
 * The flags worker threads inherit: the process's, less ones meaningless for a file entry (e.g.
 * --input-type from `node -e`) and, once a thread refused them, the V8 flags (see startWorkerThread).
 */
let inheritedArgv: string[] | undefined;

/** The flags Node names in ERR_WORKER_INVALID_EXEC_ARGV ("... invalid execArgv flags: --a, --b"). */
export function refusedFlags(message: string): string[] {
  const at = message.indexOf('flags:');
  return at < 0 ? [] : message.slice(at + 6).split(',').map((f) => f.trim()).filter(Boolean);
}

/**
 * A worker thread with the process's flags. V8 flags (--trace-gc,
 * --max-semi-space-size, --perf-basic-prof, ...) are process-wide, so the
 * threads have them already, but Node refuses them in a Worker's execArgv:
 * they are dropped here instead of failing the job
 * (`node --trace-deopt weir run job.ts` profiles every thread).
 */
export function startWorkerThread(options: Omit<WorkerOptions, 'execArgv'>): Worker {
  for (;;) {
    const execArgv = (inheritedArgv ??= process.execArgv.filter((a) => !a.startsWith('--input-type') && a !== '-e' && a !== '--eval'));
    try {
      return new Worker(WORKER_ENTRY, { ...options, execArgv });
    } catch (e) {
      const refused = (e as { code?: string }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? refusedFlags((e as Error).message) : [];
      if (refused.length === 0) throw e;
      inheritedArgv = execArgv.filter((a) => !refused.includes(a));
    }
  }
}

export function prespawn(n: number): void {
  if (!existsSync(WORKER_ENTRY)) return; // the coordinator reports it properly
  const young = youngMbFromEnv();
  if (Number.isNaN(young)) return; // a bad setting: the coordinator reports it
  poolLimits = workerResourceLimits(young ?? DEFAULT_WORKER_YOUNG_MB);
  for (let i = 0; i < n; i++) {
    const w = startWorkerThread({ stdout: true, resourceLimits: poolLimits });
    w.unref();
    pool.push(w);
  }
}

/** A pre-spawned thread started with these resource limits, if one is left. */
export function takePrespawned(limits: ResourceLimits | undefined): Worker | undefined {
  if (!sameLimits(limits, poolLimits)) return undefined;
  const w = pool.shift();
  w?.ref();
  return w;
}
