/**
 * `runThreads(jobModule, options)`: a real run (worker threads, the real
 * coordinator and state backend) under the test harness: sources fed from
 * `inputs`, sinks captured two-phase into the result, and faults injected
 * for real: an actor failing after k records, a worker thread killed, a
 * worker's event loop blocked (caught by heartbeats), the state backend
 * refusing calls for a while, a checkpoint write failing. Slower than
 * `runInline`, so properties take fewer runs here.
 */
import { ConfigError, WeirError } from '../../actors/errors.js';
import { run } from '../coordinator/job.js';
import type { RunOptions } from '../coordinator/options.js';
import { compileJob } from '../load/compile-job.js';
import { loadTopology } from '../load/load-topology.js';
import type { SupervisionStep } from '../coordinator/failover.js';
import { validateFaults, type Fault } from './faults.js';
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
  error?: WeirError;
}

const SIMULATION_ONLY = new Set(['slow-sink', 'channel-delay']);

export async function runThreads(jobModule: string, o: ThreadRunOptions = {}): Promise<ThreadRunResult> {
  const faults = o.faults ?? [];
  const compiled = await compileJob(jobModule);
  try {
    const topology = await loadTopology(compiled.url, o.exportName);
    const workers = o.workers ?? 2;
    validateFaults(faults, topology.graph, workers);
    for (const f of faults) {
      if (SIMULATION_ONLY.has(f.kind)) throw new ConfigError(`fault kind '${f.kind}' is simulated only. Fix: use runInline for it, or leave it out of thread runs`);
    }
  } finally {
    compiled.cleanup();
  }
  const { inputs, faults: _f, inputRatePerSec, onSupervision, ...rest } = o;
  const actorFaults = faults.flatMap((f, index) => (f.kind === 'actor-throws' ? [{ index, operator: f.operator, instance: f.instance, afterRecords: f.afterRecords }] : []));
  const handle = run(jobModule, {
    logLevel: 'silent',
    checkpointInterval: 50,
    heartbeatIntervalMs: 100,
    heartbeatTimeoutMs: 2000,
    ...rest,
    workers: o.workers ?? 2,
    injector: threadInjector(faults, { inputs, inputRatePerSec: inputRatePerSec ?? 2000, captureSinks: true, faults: actorFaults }, onSupervision),
  });
  try {
    const r = await handle.done;
    return { outputs: r.outputs, restarts: r.restarts };
  } catch (e) {
    return { outputs: {}, restarts: 0, error: e instanceof WeirError ? e : new WeirError('INTERNAL', String(e)) };
  }
}
