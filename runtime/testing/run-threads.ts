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
import type { SupervisionStep } from '../coordinator/failover.js';
import { SIMULATION_ONLY, validateFaults, type Fault } from './faults.js';
import type { RunTimeline } from './run-probe.js';
import { threadInjector } from './thread-injector.js';

export interface ThreadRunOptions extends Omit<RunOptions, 'injector'> {
  inputs?: Record<string, unknown[]>;
  /** Pace array inputs (records/s over all instances; default 2000) so a run lasts long enough for timed faults. */
  inputRatePerSec?: number;
  faults?: readonly Fault[];
  /** Every supervision step of the run (event and effects), in order. */
  onSupervision?: (s: SupervisionStep) => void;
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
  /** Wall ms from the start of processing (when fault times start) to the end. */
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
  const { inputs, faults: _f, inputRatePerSec, onSupervision, ...rest } = o;
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
    injector: threadInjector(faults, { inputs, inputRatePerSec: inputRatePerSec ?? 2000, captureSinks: true, faults: actorFaults, restoreLog }, onSupervision),
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
    // Real threads report no per-checkpoint times or counts: spread the checkpoints evenly over the
    // run (from the start of processing, as fault times are) and the records in proportion.
    const n = r.checkpoints.completed;
    const span = r.metrics.elapsedMs;
    const actors = r.metrics.operators.filter((op) => op.kind !== 'source').flatMap((op) => op.instances.map((i) => ({ operator: op.operator, instance: i.instance, worker: i.worker, recordsIn: i.recordsIn })));
    const timeline: RunTimeline = {
      checkpoints: Array.from({ length: n }, (_, i) => ({
        id: i + 1,
        triggeredAtMs: Math.floor((span * i) / n),
        completedAtMs: Math.floor((span * (i + 1)) / n),
        final: i === n - 1,
        midRun: i > 0 && i < n - 1,
        recordsIn: Object.fromEntries(actors.map((a) => [`${a.operator}[${a.instance}]`, Math.floor((a.recordsIn * (i + 1)) / n)])),
      })),
      recoveries: Array.from({ length: r.restarts }, () => ({ atMs: 0, from: undefined, midRun })),
      actors,
      // Paced sources end after about records / rate: later faults would hit the job while it ends.
      endingAtMs: Math.min(span, Math.max(0, ...Object.values(inputs ?? {}).map((v) => (v.length * 1000) / (inputRatePerSec ?? 2000)))),
      workers: [...new Set(r.metrics.operators.flatMap((op) => op.instances.map((i) => i.worker)))].sort((a, b) => a - b),
      fired: [],
    };
    return { outputs: r.outputs, restarts: r.restarts, timeline, elapsedMs: span };
  } catch (e) {
    const timeline: RunTimeline = { checkpoints: [], recoveries: [], actors: [], workers: [], fired: [] };
    return { outputs: {}, restarts: 0, timeline, elapsedMs: performance.now() - t0, error: e instanceof WeirError ? e : new WeirError('INTERNAL', String(e)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
