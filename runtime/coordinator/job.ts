/**
 * `run(job, options)`: the coordinator of one job on the main thread. It
 * loads and plans the topology, starts an engine, watches for completion
 * (every sink flushed after end-of-input), failure (first one wins; the job
 * stops with an error naming operator, instance and record) and stop
 * requests (drain: sources end, the rest follows).
 */
import { WeirError } from '../../actors/errors.js';
import { isTopology, type Topology } from '../dsl/topology.js';
import type { FromWorker } from '../host/protocol.js';
import { deserializeError } from '../host/serialize-error.js';
import { compileJob, type CompiledJob } from '../load/compile-job.js';
import { loadTopology } from '../load/load-topology.js';
import type { ExecutionPlan } from '../plan/plan.js';
import { plan as planTopology } from '../plan/planner.js';
import { InlineEngine, WorkerEngine, type Engine } from './engines.js';
import { aggregate, type JobMetrics, type Sample } from './metrics.js';
import { resolveOptions, type ResolvedOptions, type RunOptions } from './options.js';

export interface DeadLetter {
  operator: string;
  instance: number;
  record: unknown;
  error: WeirError;
}

export interface JobResult {
  job: string;
  /** Records published by collect() sinks, by sink name. */
  outputs: Record<string, unknown[]>;
  /** Records dropped by operators with onError: 'skip'. */
  deadLetters: DeadLetter[];
  metrics: JobMetrics;
  /** True when the job ended because stop() drained it, not because its sources ended. */
  stopped: boolean;
}

export interface JobHandle {
  /** Settles when the job has ended: resolves with its result, rejects with a WeirError. */
  readonly done: Promise<JobResult>;
  /** Drain and end: sources stop, in-flight records reach the sinks. A second call ends at once. */
  stop(): Promise<JobResult>;
  /** The latest metrics, once the first sample arrived. */
  metrics(): JobMetrics | undefined;
}

export function run(job: string | URL | Topology, options: RunOptions = {}): JobHandle {
  const j = new Job(job, options);
  return { done: j.done, stop: () => j.stop(), metrics: () => j.latestMetrics };
}

class Job {
  readonly done: Promise<JobResult>;
  latestMetrics: JobMetrics | undefined;
  private resolve!: (r: JobResult) => void;
  private reject!: (e: unknown) => void;
  private o!: ResolvedOptions;
  private plan!: ExecutionPlan;
  private engine: Engine | undefined;
  private compiled: CompiledJob | undefined;
  private readonly outputs: Record<string, unknown[]> = {};
  private readonly deadLetters: DeadLetter[] = [];
  private readonly pendingSinks = new Set<number>();
  private readonly samples = new Map<number, import('../host/env.js').TaskMetrics>();
  private previous: Sample | undefined;
  private readonly heap = new Map<number, number>();
  private startedAt = performance.now();
  private state: 'starting' | 'running' | 'stopping' | 'ending' | 'ended' = 'starting';
  private stopRequested = false;
  private stopWhenStarted = false;

  constructor(job: string | URL | Topology, options: RunOptions) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.done.catch(() => {}); // callers may only use stop(); never an unhandled rejection
    this.start(job, options).catch((e) => this.fail(e));
  }

  private async start(job: string | URL | Topology, options: RunOptions): Promise<void> {
    this.o = resolveOptions(options);
    let topology: Topology;
    let moduleUrl: string | undefined;
    if (isTopology(job)) {
      topology = job;
      moduleUrl = job.moduleUrl;
      if (this.o.workers > 0 && !moduleUrl) {
        throw new WeirError('JOB_MODULE_UNKNOWN', `cannot tell which module defines topology '${job.name}', so workers cannot import it. Fix: pass the module's path to run(), or use workers: 0`);
      }
    } else {
      const file = job instanceof URL ? job.pathname : job;
      this.compiled = await compileJob(file);
      moduleUrl = this.compiled.url;
      topology = await loadTopology(moduleUrl, this.o.exportName);
    }
    const inline = this.o.workers === 0;
    this.plan = planTopology(topology.graph, { workers: inline ? 1 : this.o.workers, defaultParallelism: this.o.parallelism, fingerprint: topology.fingerprint });
    for (const a of this.plan.actors) if (a.kind === 'sink') this.pendingSinks.add(a.id);
    const events = { message: (w: number, m: FromWorker) => this.onMessage(w, m), crashed: (_w: number, e: WeirError) => this.fail(e) };
    if (inline) {
      this.engine = new InlineEngine(this.plan, topology, this.o, events);
    } else {
      // Workers import a file: a topology passed as an object must live in a compilable module.
      if (!this.compiled && moduleUrl!.match(/\.(ts|mts|cts|tsx)$/)) {
        this.compiled = await compileJob(new URL(moduleUrl!).pathname);
        moduleUrl = this.compiled.url;
      }
      this.engine = new WorkerEngine(this.plan, moduleUrl!, this.o, events);
    }
    this.startedAt = performance.now();
    await this.engine.start();
    if (this.state !== 'starting') return;
    this.state = 'running';
    if (this.stopWhenStarted) this.engine.stop();
  }

  private onMessage(_worker: number, m: FromWorker): void {
    if (this.state === 'ended') return;
    switch (m.t) {
      case 'ready':
        (this.engine as WorkerEngine).noteReady();
        return;
      case 'metrics':
        for (const t of m.tasks) this.samples.set(t.actor, t);
        this.heap.set(_worker, m.heapUsed);
        this.sample();
        return;
      case 'publish': {
        const name = this.plan.actors[m.actor].operator;
        (this.outputs[name] ??= []).push(...(m.data as unknown[]));
        return;
      }
      case 'dead-letter': {
        const a = this.plan.actors[m.actor];
        this.deadLetters.push({ operator: a.operator, instance: a.instance, record: m.record, error: deserializeError(m.error) });
        return;
      }
      case 'sink-finished':
        this.pendingSinks.delete(m.actor);
        if (this.pendingSinks.size === 0) void this.finish();
        return;
      case 'failed':
        this.fail(deserializeError(m.error, m.actor === undefined ? {} : { actor: m.actor }));
        return;
      case 'closed':
        return;
    }
  }

  private sample(): void {
    const now: Sample = { at: performance.now(), tasks: new Map(this.samples), heap: new Map(this.heap) };
    this.latestMetrics = aggregate(this.plan, now, this.previous, this.startedAt);
    this.previous = now;
    this.o.onMetrics?.(this.latestMetrics);
  }

  private async finish(): Promise<void> {
    if (this.state === 'ending' || this.state === 'ended') return;
    this.state = 'ending';
    try {
      await this.engine!.shutdown();
    } finally {
      this.compiled?.cleanup();
    }
    this.sample();
    this.state = 'ended';
    this.resolve({ job: this.plan.job, outputs: this.outputs, deadLetters: this.deadLetters, metrics: this.latestMetrics!, stopped: this.stopRequested });
  }

  private fail(e: unknown): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    const error = e instanceof WeirError ? e : new WeirError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
    if (e instanceof Error && e.stack && error !== e) error.stack = e.stack;
    const engine = this.engine;
    (engine ? engine.kill() : Promise.resolve())
      .catch(() => {})
      .finally(() => {
        this.compiled?.cleanup();
        this.reject(error);
      });
  }

  async stop(): Promise<JobResult> {
    if (this.stopRequested && this.state !== 'ended') {
      // Second request: end now.
      this.fail(new WeirError('JOB_KILLED', 'job stopped without draining (second stop request)'));
    } else {
      this.stopRequested = true;
      if (this.state === 'running') this.engine!.stop();
      else if (this.state === 'starting') this.stopWhenStarted = true;
    }
    return this.done;
  }
}
