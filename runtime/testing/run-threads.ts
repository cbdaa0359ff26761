/**
 * `runThreads(jobModule, options)`: a real run (worker threads, the real
 * coordinator and state backend) under the test harness: sources fed from
 * `inputs`, sinks captured two-phase into the result, and faults injected
 * for real: an actor failing after k records, a worker thread killed, a
 * worker's event loop blocked (caught by heartbeats), the state backend
 * refusing calls for a while, a checkpoint write failing. Slower than
 * `runInline`, so properties take fewer runs here.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, WeirError } from '../../actors/errors.js';
import { run } from '../coordinator/job.js';
import type { RunOptions } from '../coordinator/options.js';
import { compileJob } from '../load/compile-job.js';
import { loadTopology } from '../load/load-topology.js';
import { SIMULATION_ONLY, validateFaults, type Fault } from './faults.js';
import type { RunTimeline } from './run-probe.js';

export interface ThreadRunOptions extends Omit<RunOptions, 'harness' | 'faults'> {
  inputs?: Record<string, unknown[]>;
  /** Pace array inputs (records/s over all instances; default 2000) so a run lasts long enough for timed faults. */
  inputRatePerSec?: number;
  faults?: readonly Fault[];
}

export interface ThreadRunResult {
  /** Committed output per sink. */
  outputs: Record<string, unknown[]>;
  restarts: number;
  /**
   * What the run did, as far as real threads tell: checkpoints completed (no
   * times), one recovery per restart (mid-run when an array source restored
   * past records it had emitted), per-actor records from the last metrics.
   */
  timeline: RunTimeline;
  /** Wall ms from start to end. */
  elapsedMs: number;
  error?: WeirError;
}

export async function runThreads(jobModule: string, o: ThreadRunOptions = {}): Promise<ThreadRunResult> {
  const faults = o.faults ?? [];
  const compiled = await compileJob(jobModule);
  try {
    const topology = await loadTopology(compiled.url, o.exportName);
    const workers = o.workers ?? 2;
    validateFaults(faults, topology.graph, workers, o.parallelism ?? 1);
    for (const f of faults) {
      if (SIMULATION_ONLY.has(f.kind)) throw new ConfigError(`fault kind '${f.kind}' is simulated only. Fix: use runInline for it, or leave it out of thread runs`);
    }
  } finally {
    compiled.cleanup();
  }
  const { inputs, faults: _f, inputRatePerSec, ...rest } = o;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'weir-threads-'));
  const restoreLog = path.join(dir, 'restores');
  const actorFaults = faults.flatMap((f, index) => (f.kind === 'actor-throws' ? [{ index, operator: f.operator, instance: f.instance, afterRecords: f.afterRecords }] : []));
  const handle = run(jobModule, {
    logLevel: 'silent',
    checkpointInterval: 50,
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 2000,
    ...rest,
    workers: o.workers ?? 2,
    harness: { inputs, inputRatePerSec: inputRatePerSec ?? 2000, captureSinks: true, faults: actorFaults, restoreLog },
    faults,
  });
  const t0 = performance.now();
  const restores = () => {
    try {
      return readFileSync(restoreLog, 'utf8');
    } catch {
      return '';
    }
  };
  try {
    const r = await handle.done;
    const midRun = restores().includes('1');
    const timeline: RunTimeline = {
      checkpoints: Array.from({ length: r.checkpoints.completed }, (_, i) => ({ id: i + 1, triggeredAtMs: 0, completedAtMs: 0, final: i === r.checkpoints.completed - 1, midRun: i > 0 && i < r.checkpoints.completed - 1, recordsIn: {} })),
      recoveries: Array.from({ length: r.restarts }, () => ({ atMs: 0, from: undefined, midRun })),
      actors: r.metrics.operators.filter((op) => op.kind !== 'source').flatMap((op) => op.instances.map((i) => ({ operator: op.operator, instance: i.instance, worker: i.worker, recordsIn: i.recordsIn }))),
      workers: [...new Set(r.metrics.operators.flatMap((op) => op.instances.map((i) => i.worker)))].sort((a, b) => a - b),
      fired: [],
    };
    return { outputs: r.outputs, restarts: r.restarts, timeline, elapsedMs: performance.now() - t0 };
  } catch (e) {
    const timeline: RunTimeline = { checkpoints: [], recoveries: [], actors: [], workers: [], fired: [] };
    return { outputs: {}, restarts: 0, timeline, elapsedMs: performance.now() - t0, error: e instanceof WeirError ? e : new WeirError('INTERNAL', String(e)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
