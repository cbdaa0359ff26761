/**
 * Worker threads started before the coordinator itself is loaded. Booting a
 * thread costs ~100-150 ms; the CLI starts them first thing (cli/entry.ts),
 * so that boot overlaps loading weir, compiling and planning the job. A
 * pre-spawned thread waits for its 'init' like any other; unused ones do
 * not keep the process alive.
 */
import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { WORKER_ENTRY } from '../paths.js';

const pool: Worker[] = [];

/** Workers inherit the process's flags, except ones meaningless for a file entry (e.g. --input-type from `node -e`). */
export function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => !a.startsWith('--input-type') && a !== '-e' && a !== '--eval');
}

export function prespawn(n: number): void {
  if (!existsSync(WORKER_ENTRY)) return; // the coordinator reports it properly
  for (let i = 0; i < n; i++) {
    const w = new Worker(WORKER_ENTRY, { stdout: true, execArgv: workerExecArgv() });
    w.unref();
    pool.push(w);
  }
}

/** A pre-spawned thread, if one is left. */
export function takePrespawned(): Worker | undefined {
  const w = pool.shift();
  w?.ref();
  return w;
}
