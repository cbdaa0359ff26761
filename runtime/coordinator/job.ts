/**
 * `run(job, options)`: the coordinator of one job on the main thread. It
 * loads and plans the topology, resumes from the job's latest checkpoint
 * when the last run did not finish (resume.ts), starts an engine, the
 * checkpointer and the job's supervisor (failover.ts, which interprets the
 * pure core in supervision/), and routes what the workers say:
 * - completion: every actor finished (end of input or a drain); the final
 *   checkpoint is committed, the sinks commit, the workers exit;
 * - failures: handed to the supervisor, which restarts failover regions from
 *   the last completed checkpoint or stops the job with an error, its last
 *   checkpoint kept;
 * - stop requests: drain (sources end, the rest follows); a second stop
 *   ends at once.
 */
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import type { StateBackend } from '../checkpoint/storage/backend.js';
import { createBackend } from '../checkpoint/storage/create-backend.js';
import type { RestoredCheckpoint } from '../checkpoint/storage/restore.js';
import { restoreSet } from '../checkpoint/restore-plan.js';
import type { Topology } from '../dsl/topology.js';
import { realTimers } from '../host/env.js';
import type { FromWorker } from '../host/protocol.js';
import { deserializeError } from '../host/serialize-error.js';
import type { CompiledJob } from '../load/compile-job.js';
import { lazyLogger } from '../log.js';
import type { ExecutionPlan } from '../plan/plan.js';
import { plan as planTopology } from '../plan/planner.js';
import { Checkpointer, notRunning, type CompletedCheckpoint } from './checkpointer.js';
import { DeadLetterFile, defaultDeadLetterPath } from './dead-letters.js';
import { finishFinal, priorRun, recordFinished } from './job-result.js';
import { InlineEngine, WorkerEngine, type Engine } from './engines.js';
import { Failover } from './failover.js';
import type { InjectorControls } from './fault-injector.js';
import type { JobHandle, JobResult, StopOptions } from './job-types.js';
import { loadJob } from './load.js';
import type { JobMetrics } from './metrics.js';
import { JobTelemetry } from '../metrics/telemetry.js';
import type { FailureEvent } from '../metrics/events.js';
import { serveJob, type HttpEndpoint } from '../http/serve-job.js';
import { resolveOptions, type ResolvedOptions, type RunOptions } from './options.js';
import { JobOutputs } from './outputs.js';
import { restoreTarget } from './resume.js';
import { MetricsSampler } from './sampler.js';

export type { DeadLetter, JobHandle, JobResult, StopOptions } from './job-types.js';

export function run(job: string | URL | Topology, options: RunOptions = {}): JobHandle {
  const j = new Job(job, options);
  return { done: j.done, stop: (o) => j.stop(o), checkpoint: () => j.checkpoint(), metrics: () => j.latestMetrics };
}

class Job {
  readonly done: Promise<JobResult>;
  private resolve!: (r: JobResult) => void;
  private reject!: (e: unknown) => void;
  private o!: ResolvedOptions;
  private plan!: ExecutionPlan;
  private jobId = '';
  private log!: Logger;
  private engine: Engine | undefined;
  private backend: StateBackend | undefined;
  private ownBackend = false;
  private checkpointer: Checkpointer | undefined;
  private failover: Failover | undefined;
  private compiled: CompiledJob | undefined;
  private out!: JobOutputs;
  private sampler: MetricsSampler | undefined;
  /** The one metrics model: handle.metrics(), the status line, /metrics and the dashboard read it. */
  readonly telemetry = new JobTelemetry('');
  private http: HttpEndpoint | undefined;
  private state: 'starting' | 'running' | 'ending' | 'ended' = 'starting';
  private stopRequested = false;
  private savepointRequested = false;
  private resumedFrom: number | undefined;
  private injectorControls: InjectorControls | undefined;
  /** Settles once the job runs, or ends without having run (checkpoint() requests wait for it). */
  private readonly started: Promise<unknown>;
  private markStarted!: () => void;

  constructor(job: string | URL | Topology, options: RunOptions) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.started = Promise.race([new Promise<void>((r) => (this.markStarted = r)), this.done.catch(() => {})]);
    this.done.catch(() => {}); // callers may only use stop(); never an unhandled rejection
    this.start(job, options).catch((e) => this.fail(e));
  }

  get latestMetrics(): JobMetrics | undefined {
    return this.sampler?.latest;
  }

  private async start(job: string | URL | Topology, options: RunOptions): Promise<void> {
    this.o = resolveOptions(options);
    if (this.o.http) this.http = await serveJob(this.o, this.telemetry, { checkpoint: () => this.checkpoint(), stop: (o) => this.stop(o) });
    // Threads boot while the job compiles and plans.
    const workers = this.o.workers > 0 ? new WorkerEngine(this.o) : undefined;
    this.engine = workers;
    const loaded = await loadJob(job, this.o);
    const { topology } = loaded;
    this.compiled = loaded.compiled;
    this.jobId = this.o.jobId ?? topology.name;
    this.log = lazyLogger(this.o.logLevel, { job: this.jobId });
    this.telemetry.info.job = this.jobId;
    const dlq = this.o.deadLetters === false ? undefined : (this.o.deadLetters ?? defaultDeadLetterPath(this.o.state, this.jobId));
    const injector = this.o.injector;
    const graph = injector?.graph ? injector.graph(topology.graph) : topology.graph;
    this.plan = planTopology(graph, { workers: workers ? this.o.workers : 1, defaultParallelism: this.o.parallelism, fingerprint: topology.fingerprint });
    this.out = new JobOutputs(this.plan, dlq ? new DeadLetterFile(dlq) : undefined, this.log);

    // State: resume when the last run of this job id did not finish.
    this.ownBackend = typeof this.o.state === 'string';
    this.backend = typeof this.o.state === 'string' ? createBackend(this.o.state) : this.o.state;
    if (injector?.backend) {
      const t0 = performance.now();
      this.backend = injector.backend(this.backend, () => performance.now() - t0);
    }
    // A finished job refuses a rerun; one whose end was not recorded is finished now (job-result.ts).
    const unrecorded = await priorRun(this.backend, this.jobId, graph, this.o, this.log);
    if (unrecorded) return this.endUnrecorded(unrecorded, graph);
    const restored = await restoreTarget(this.backend, this.jobId, this.o.fromSavepoint, this.log, this.o.fresh);
    this.resumedFrom = restored?.id;
    const existing = await this.backend.list(this.jobId);
    const nextId = Math.max(0, ...existing.map((m) => m.id)) + 1;

    const events = { message: (w: number, m: FromWorker) => this.onMessage(w, m), crashed: (w: number, e: WeirError) => this.onCrash(w, e) };
    let engine: Engine;
    if (!workers) {
      engine = this.engine = new InlineEngine(this.plan, graph, this.o, this.jobId, events);
    } else {
      engine = workers;
      workers.configure(this.plan, loaded.moduleUrl!, this.jobId, events);
    }
    const checkpointer = (this.checkpointer = new Checkpointer({
      backend: this.backend,
      job: this.jobId,
      plan: this.plan,
      engine,
      log: this.log,
      intervalMs: this.o.checkpointInterval,
      timeoutMs: this.o.checkpointTimeout,
      tolerable: this.o.tolerableCheckpointFailures,
      keep: this.o.keepCheckpoints,
      nextId,
      restoredFrom: restored,
      onFatal: (e) => this.fail(e),
      onCompleted: (id) => this.failover?.dispatch({ t: 'checkpoint-completed', id }),
      onEvent: (e) => this.telemetry.checkpoint(e),
    }));
    this.failover = new Failover({
      plan: this.plan,
      strategy: this.o.restart,
      restoredFrom: restored?.id,
      checkpointer,
      engine,
      log: this.log,
      now: () => performance.now(),
      random: Math.random,
      timers: realTimers,
      escalate: (e) => this.fail(e),
      observe: injector?.observe,
      restarted: (regions, error, crashed) => this.telemetry.restarted(failureEvent(error, regions, crashed, this.plan)),
    });
    this.sampler = new MetricsSampler(this.telemetry, () => ({ checkpoints: checkpointer.stats, restarts: this.failover!.restarts }), this.o.onMetrics);
    this.telemetry.planned(this.plan, this.jobId, restored?.id);
    this.telemetry.started();
    await engine.start([...this.failover.epochs], restoreSet(restored, this.plan.actors), restored?.id);
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.telemetry.state = 'running';
    this.markStarted();
    checkpointer.start();
    this.sampler.start(this.o.metricsIntervalMs);
    this.injectorControls = this.controls(engine);
    injector?.started?.(this.injectorControls);
    if (this.stopRequested) engine.stop();
  }

  /** What the fault injector may do to the running job. */
  private controls(engine: Engine): InjectorControls {
    const t0 = performance.now();
    const workers = engine instanceof WorkerEngine ? engine : undefined;
    return {
      now: () => performance.now() - t0,
      running: () => this.state === 'running',
      crashWorker: (w) => workers?.crashWorker(w),
      tellWorkers: (data, w) => workers?.post({ t: 'inject', data }, w),
    };
  }

  private onMessage(worker: number, m: FromWorker): void {
    if (this.state === 'ended') return;
    const failover = this.failover!;
    switch (m.t) {
      case 'metrics':
        this.sampler!.report(worker, m.tasks, m);
        return;
      case 'publish':
        this.out.publish(m.actor, m.data);
        return;
      case 'dead-letter':
        this.out.deadLetter(m.actor, m.record, m.error);
        return;
      case 'ack':
        if (m.epoch === failover.epochOf(m.actor)) this.checkpointer!.onAck(m.actor, m.id, m.snapshot);
        return;
      case 'finished':
        if (m.epoch !== failover.epochOf(m.actor)) return; // from before a restart
        this.checkpointer!.onFinished(m.actor, m.snapshot);
        if (this.checkpointer!.tracker.allFinished()) void this.finish().catch((e) => this.fail(e));
        return;
      case 'failed': {
        const error = deserializeError(m.error, m.actor === undefined ? {} : { actor: m.actor });
        if (m.actor === undefined) return this.fail(error); // not an actor's failure: the worker itself
        if (this.o.injector?.failed && (m.epoch === undefined || m.epoch === failover.epochOf(m.actor))) this.o.injector.failed(error, this.injectorControls ?? this.controls(this.engine!));
        failover.dispatch({ t: 'actor-failed', actor: m.actor, epoch: m.epoch, error });
        return;
      }
      default:
        return;
    }
  }

  private onCrash(worker: number, error: WeirError): void {
    if (!this.failover || this.state === 'ended') return this.fail(error);
    const how = error.code === 'WORKER_UNRESPONSIVE' ? 'hung' : error.code === 'WORKER_EXITED' ? 'exited' : 'crashed';
    this.failover.dispatch({ t: 'worker-failed', worker, how, error });
  }

  private async finish(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'ending';
    this.telemetry.state = 'ending';
    this.failover!.dispatch({ t: 'job-ending' });
    const kind = this.savepointRequested ? 'savepoint' : this.stopRequested ? 'checkpoint' : 'final';
    const cp = this.checkpointer!;
    let id: number;
    try {
      id = await cp.final(kind);
    } finally {
      cp.stop();
    }
    if (kind === 'final') await recordFinished(this.backend!, { job: this.jobId, checkpoint: id, fingerprint: this.plan.fingerprint }, this.log);
    this.sampler!.stop();
    await this.engine!.shutdown();
    this.compiled?.cleanup();
    await cp.idle();
    if (this.ownBackend) await this.backend?.close().catch(() => {});
    const metrics = this.sampler!.sample();
    this.state = 'ended';
    this.telemetry.ended();
    await this.http?.close();
    this.failover!.stop();
    this.resolve({
      job: this.jobId,
      outputs: this.out.outputs,
      deadLetters: this.out.deadLetters,
      metrics,
      stopped: this.stopRequested,
      checkpoint: { id, kind },
      restarts: this.failover!.restarts,
      resumedFrom: this.resumedFrom,
      checkpoints: cp.stats,
    });
  }

  /** The last run committed its final checkpoint but died before recording its end: finish its sinks' commits, record it, process nothing. */
  private async endUnrecorded(final: RestoredCheckpoint, graph: Topology['graph']): Promise<void> {
    this.state = 'ending';
    this.log.warn({ checkpoint: final.meta.id }, `job '${this.jobId}' had finished (final checkpoint ${final.meta.id}) but its end was not recorded: completing its sinks' commits; nothing is processed again`);
    await this.engine?.kill();
    await finishFinal(final, this.plan, graph, { job: this.jobId, log: this.log, publish: (actor, data) => this.out.publish(actor, data) });
    await recordFinished(this.backend!, { job: this.jobId, checkpoint: final.meta.id, fingerprint: this.plan.fingerprint }, this.log);
    this.compiled?.cleanup();
    if (this.ownBackend) await this.backend?.close().catch(() => {});
    const checkpoints = { completed: 0, failed: 0, lastId: final.meta.id, lastDurationMs: 0, lastSizeBytes: 0 };
    this.telemetry.planned(this.plan, this.jobId, final.meta.id);
    this.sampler = new MetricsSampler(this.telemetry, () => ({ checkpoints, restarts: 0 }), this.o.onMetrics);
    const metrics = this.sampler.sample();
    this.state = 'ended';
    this.telemetry.ended();
    await this.http?.close();
    this.resolve({ job: this.jobId, outputs: this.out.outputs, deadLetters: [], metrics, stopped: false, checkpoint: { id: final.meta.id, kind: 'final' }, restarts: 0, resumedFrom: final.meta.id, checkpoints });
  }

  private fail(e: unknown): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.failover?.stop();
    this.checkpointer?.stop();
    this.sampler?.stop();
    const error = e instanceof WeirError ? e : new WeirError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
    if (e instanceof Error && e.stack && error !== e) error.stack = e.stack;
    const engine = this.engine;
    (engine ? engine.kill() : Promise.resolve())
      .catch(() => {})
      .then(() => (this.ownBackend ? this.backend?.close() : undefined))
      .catch(() => {})
      .then(() => {
        this.telemetry.ended(error.message);
        return this.http?.close();
      })
      .catch(() => {})
      .finally(() => {
        this.compiled?.cleanup();
        this.reject(error);
      });
  }

  async checkpoint(): Promise<CompletedCheckpoint> {
    await this.started; // a request made while the job starts waits until it runs (or fails to)
    if (this.state !== 'running' || !this.checkpointer) throw notRunning(`job ${this.jobId} is ${this.state}`);
    return this.checkpointer.now();
  }

  async stop(options: StopOptions = {}): Promise<JobResult> {
    if (this.stopRequested && this.state !== 'ended') {
      // Second request: end now.
      this.fail(new WeirError('JOB_KILLED', 'job stopped without draining (second stop request)'));
    } else {
      this.stopRequested = true;
      this.savepointRequested ||= options.savepoint === true;
      if (this.state === 'running') this.engine!.stop();
    }
    return this.done;
  }
}

/** What the telemetry keeps of a failure that restarted regions. */
function failureEvent(error: WeirError | undefined, regions: number[], crashed: number[], plan: ExecutionPlan): FailureEvent {
  const c = error?.context ?? {};
  const actor = typeof c.actor === 'number' ? plan.actors[c.actor] : undefined;
  const operator = typeof c.operator === 'string' ? c.operator : actor?.operator;
  const instance = typeof c.instance === 'number' ? c.instance : actor?.instance;
  return { at: Date.now(), regions, code: error?.code ?? 'UNKNOWN', message: error?.message ?? '', operator, instance, crashedWorkers: crashed };
}
