/**
 * `run(job, options)`: the coordinator of one job on the main thread, and
 * the job's top supervisor. It loads and plans the topology, resumes from
 * the job's latest checkpoint when the last run did not finish, starts an
 * engine and the checkpointer, and watches for:
 * - completion: every actor finished (end of input or a drain); the final
 *   checkpoint is committed, the sinks commit, the workers exit;
 * - failures: the failed actor's failover region (or every region of a
 *   crashed worker) restarts from the last completed checkpoint at a new
 *   epoch, as the restart strategy allows; past it the job stops with an
 *   error, its last checkpoint kept;
 * - stop requests: drain (sources end, the rest follows); a second stop
 *   ends at once.
 */
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import { decide } from '../../supervision/restart-strategy.js';
import type { StateBackend } from '../checkpoint/storage/backend.js';
import { createBackend } from '../checkpoint/storage/create-backend.js';
import { latestValid, loadCheckpoint } from '../checkpoint/storage/restore.js';
import type { CheckpointData } from '../checkpoint/restore-plan.js';
import { restoreSet } from '../checkpoint/restore-plan.js';
import { isTopology, type Topology } from '../dsl/topology.js';
import type { FromWorker } from '../host/protocol.js';
import { deserializeError } from '../host/serialize-error.js';
import { compileJob, type CompiledJob } from '../load/compile-job.js';
import { loadTopology } from '../load/load-topology.js';
import { lazyLogger } from '../log.js';
import type { ExecutionPlan } from '../plan/plan.js';
import { plan as planTopology } from '../plan/planner.js';
import { faultyBackend } from '../testing/faulty-backend.js';
import { applyHarness, isCommitRecord } from '../testing/harness.js';
import { Checkpointer, notRunning, type CheckpointStats, type CompletedCheckpoint } from './checkpointer.js';
import { DeadLetterFile, defaultDeadLetterPath } from './dead-letters.js';
import { InlineEngine, WorkerEngine, type Engine } from './engines.js';
import type { JobMetrics } from './metrics.js';
import { JobTelemetry } from '../metrics/telemetry.js';
import type { FailureEvent } from '../metrics/events.js';
import { serveJob, type HttpEndpoint } from '../http/serve-job.js';
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
  /** The last checkpoint committed (the final one), with its kind. */
  checkpoint: { id: number; kind: 'checkpoint' | 'savepoint' | 'final' } | undefined;
  /** Region restarts during the run. */
  restarts: number;
  /** The checkpoint this run resumed from, if any. */
  resumedFrom: number | undefined;
  checkpoints: CheckpointStats;
}

export interface StopOptions {
  /** Keep the final checkpoint as a savepoint (never garbage-collected); restore it with fromSavepoint. */
  savepoint?: boolean;
}

export interface JobHandle {
  /** Settles when the job has ended: resolves with its result, rejects with a WeirError. */
  readonly done: Promise<JobResult>;
  /** Drain and end: sources stop, in-flight records reach the sinks, a final checkpoint is committed. A second call ends at once. */
  stop(options?: StopOptions): Promise<JobResult>;
  /**
   * Take a checkpoint now (besides the periodic ones; the only ones when
   * checkpointInterval is 0). Resolves when it has committed; a request made
   * while one is in flight gets the next one. Rejects with a WeirError if it
   * is declined (CHECKPOINT_DECLINED, CHECKPOINT_TIMEOUT), aborted by a
   * failover (CHECKPOINT_ABORTED), or the job ends first (JOB_NOT_RUNNING).
   */
  checkpoint(): Promise<CompletedCheckpoint>;
  /** The latest metrics, once the first sample arrived. */
  metrics(): JobMetrics | undefined;
}

export function run(job: string | URL | Topology, options: RunOptions = {}): JobHandle {
  const j = new Job(job, options);
  return { done: j.done, stop: (o) => j.stop(o), checkpoint: () => j.checkpoint(), metrics: () => j.latestMetrics };
}

interface Failure {
  regions: Set<number>;
  crashed: Set<number>;
  error: WeirError;
}

class Job {
  readonly done: Promise<JobResult>;
  latestMetrics: JobMetrics | undefined;
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
  private compiled: CompiledJob | undefined;
  private readonly outputs: Record<string, unknown[]> = {};
  private readonly deadLetters: DeadLetter[] = [];
  /** The one metrics model: handle.metrics(), the status line, /metrics and the dashboard read it. */
  readonly telemetry = new JobTelemetry('');
  private http: HttpEndpoint | undefined;
  private state: 'starting' | 'running' | 'ending' | 'ended' = 'starting';
  private stopRequested = false;
  private savepointRequested = false;
  private epochs: number[] = [];
  private readonly restartHistory = new Map<number, number[]>();
  private restarts = 0;
  private recovering: Promise<void> | undefined;
  private queuedFailure: Failure | undefined;
  private resumedFrom: number | undefined;
  private deadLetterFile: DeadLetterFile | undefined;
  private readonly commits = new Set<string>();
  private metricsTimer: NodeJS.Timeout | undefined;
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

  private async start(job: string | URL | Topology, options: RunOptions): Promise<void> {
    this.o = resolveOptions(options);
    if (this.o.http) this.http = await serveJob(this.o, this.telemetry, { checkpoint: () => this.checkpoint(), stop: (o) => this.stop(o) });
    // Threads boot while the job compiles and plans.
    const workers = this.o.workers > 0 ? new WorkerEngine(this.o) : undefined;
    this.engine = workers;
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
    this.jobId = this.o.jobId ?? topology.name;
    this.log = lazyLogger(this.o.logLevel, { job: this.jobId });
    const dlq = this.o.deadLetters === false ? undefined : (this.o.deadLetters ?? defaultDeadLetterPath(this.o.state, this.jobId));
    if (dlq) this.deadLetterFile = new DeadLetterFile(dlq);
    this.plan = planTopology(applyHarness(topology.graph, this.o.harness), { workers: workers ? this.o.workers : 1, defaultParallelism: this.o.parallelism, fingerprint: topology.fingerprint });
    this.epochs = new Array(this.plan.regions).fill(0);
    this.telemetry.info.job = this.jobId;

    // State: resume when the last run of this job id did not finish.
    this.ownBackend = typeof this.o.state === 'string';
    this.backend = typeof this.o.state === 'string' ? createBackend(this.o.state) : this.o.state;
    if (this.o.faults?.length) {
      const t0 = performance.now();
      this.backend = faultyBackend(this.backend, { now: () => performance.now() - t0 }, this.o.faults);
    }
    const restored = await this.restoreTarget();
    const existing = await this.backend.list(this.jobId);
    const nextId = Math.max(0, ...existing.map((m) => m.id)) + 1;

    const events = { message: (w: number, m: FromWorker) => this.onMessage(w, m), crashed: (w: number, e: WeirError) => this.onCrash(w, e) };
    let engine: Engine;
    if (!workers) {
      engine = this.engine = new InlineEngine(this.plan, topology, this.o, this.jobId, events);
    } else {
      engine = workers;
      // Workers import a file: a topology passed as an object must live in a compilable module.
      if (!this.compiled && moduleUrl!.match(/\.(ts|mts|cts|tsx)$/)) {
        this.compiled = await compileJob(new URL(moduleUrl!).pathname);
        moduleUrl = this.compiled.url;
      }
      workers!.configure(this.plan, moduleUrl!, this.jobId, events);
    }
    this.checkpointer = new Checkpointer({
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
      onEvent: (e) => this.telemetry.checkpoint(e),
    });
    this.telemetry.planned(this.plan, this.jobId, restored?.id);
    this.telemetry.started();
    await engine.start(this.epochs, restoreSet(restored, this.plan.actors), restored?.id);
    if (this.state !== 'starting') return;
    this.state = 'running';
    this.telemetry.state = 'running';
    this.markStarted();
    this.checkpointer.start();
    if (this.o.metricsIntervalMs > 0) {
      this.metricsTimer = setInterval(() => this.sample(), this.o.metricsIntervalMs);
      this.metricsTimer.unref();
    }
    this.scheduleFaults(engine);
    if (this.stopRequested) engine.stop();
  }

  /** weir/testing: worker crashes and hangs at their times (ms after start). */
  private scheduleFaults(engine: Engine): void {
    if (!(engine instanceof WorkerEngine)) return;
    for (const f of this.o.faults ?? []) {
      if (f.kind === 'worker-crash') setTimeout(() => this.state === 'running' && engine.crashWorker(f.worker), f.atMs).unref();
      if (f.kind === 'worker-hang') setTimeout(() => this.state === 'running' && engine.post({ t: 'hang', ms: f.forMs }, f.worker), f.atMs).unref();
    }
  }

  /** The checkpoint to start from: an explicit savepoint, or the latest one of an unfinished run. */
  private async restoreTarget(): Promise<CheckpointData | undefined> {
    const b = this.backend!;
    const toData = (r: { meta: { id: number; parallelism: Record<string, number> }; blobs: Map<string, Uint8Array> }): CheckpointData => ({
      id: r.meta.id,
      parallelism: r.meta.parallelism,
      blobs: r.blobs,
    });
    if (this.o.fromSavepoint !== undefined) {
      const r = await loadCheckpoint(b, this.jobId, this.o.fromSavepoint);
      this.resumedFrom = r.meta.id;
      this.log.info({ checkpoint: r.meta.id }, `restoring job '${this.jobId}' from ${r.meta.kind} ${r.meta.id}`);
      return toData(r);
    }
    const latest = await latestValid(b, this.jobId, {
      onCorrupt: (meta, blob, reason) => this.log.warn({ checkpoint: meta.id, blob, reason }, `checkpoint ${meta.id} is damaged (${blob}: ${reason}); falling back to an older one`),
    });
    if (!latest || latest.meta.kind === 'final') return undefined; // a finished run: start afresh
    this.resumedFrom = latest.meta.id;
    this.log.warn({ checkpoint: latest.meta.id }, `resuming job '${this.jobId}' from checkpoint ${latest.meta.id}`);
    return toData(latest);
  }

  private regionOf(actor: number): number {
    return this.plan.actors[actor].region;
  }

  private onMessage(worker: number, m: FromWorker): void {
    if (this.state === 'ended') return;
    switch (m.t) {
      case 'metrics':
        // Workers report on their own clocks; the job aggregates once per interval
        // (metricsTimer), so a rate is never taken over one worker's report gap.
        this.telemetry.report(worker, m.tasks, m);
        return;
      case 'publish': {
        const name = this.plan.actors[m.actor].operator;
        if (isCommitRecord(m.data)) {
          // A capture sink's commit: keep each once (a restored sink may publish it again).
          if (this.commits.has(m.data.weirCommit)) return;
          this.commits.add(m.data.weirCommit);
          (this.outputs[name] ??= []).push(...m.data.records);
          return;
        }
        (this.outputs[name] ??= []).push(...(m.data as unknown[]));
        return;
      }
      case 'dead-letter': {
        const a = this.plan.actors[m.actor];
        const d: DeadLetter = { operator: a.operator, instance: a.instance, record: m.record, error: deserializeError(m.error) };
        this.deadLetters.push(d);
        try {
          this.deadLetterFile?.append(d);
        } catch (e) {
          this.log.error({ err: e, file: this.deadLetterFile?.file }, 'cannot write the dead-letter file');
        }
        return;
      }
      case 'ack':
        if (m.epoch === this.epochs[this.regionOf(m.actor)]) this.checkpointer!.onAck(m.actor, m.id, m.snapshot);
        return;
      case 'finished':
        if (m.epoch !== this.epochs[this.regionOf(m.actor)]) return; // from before a restart
        this.checkpointer!.onFinished(m.actor, m.snapshot);
        if (this.checkpointer!.tracker.allFinished()) void this.finish().catch((e) => this.fail(e));
        return;
      case 'failed': {
        const error = deserializeError(m.error, m.actor === undefined ? {} : { actor: m.actor });
        if (m.actor === undefined) return this.fail(error); // not an actor's failure: the worker itself
        if (m.epoch !== undefined && m.epoch !== this.epochs[this.regionOf(m.actor)]) return; // from before a restart
        if (error.code === 'INJECTED_FAULT') (this.engine as WorkerEngine).post?.({ t: 'disarm', index: Number(error.context.fault) });
        this.onFailure({ regions: new Set([this.regionOf(m.actor)]), crashed: new Set(), error });
        return;
      }
      default:
        return;
    }
  }

  private onCrash(worker: number, error: WeirError): void {
    if (this.state === 'ended' || this.state === 'ending') return this.fail(error);
    const regions = new Set(this.plan.actors.filter((a) => a.worker === worker).map((a) => a.region));
    this.onFailure({ regions, crashed: new Set([worker]), error });
  }

  /** Supervision: restart the failed regions, one recovery at a time. */
  private onFailure(f: Failure): void {
    if (this.state !== 'running' && this.state !== 'starting') return this.fail(f.error);
    if (f.error.context.onError === 'stop') return this.fail(f.error);
    if (this.recovering) return this.queueFailure(f);
    this.recovering = this.recover(f)
      .catch((e) => this.fail(e))
      .finally(() => {
        this.recovering = undefined;
        const next = this.queuedFailure;
        this.queuedFailure = undefined;
        if (next && this.state === 'running') this.onFailure(next);
      });
  }

  private queueFailure(f: Failure): void {
    const q = (this.queuedFailure ??= { regions: new Set(), crashed: new Set(), error: f.error });
    for (const r of f.regions) q.regions.add(r);
    for (const w of f.crashed) q.crashed.add(w);
  }

  private async recover(f: Failure): Promise<void> {
    const now = performance.now();
    let delay = 0;
    for (const r of f.regions) {
      const d = decide(this.restartHistory.get(r) ?? [], now, this.o.restart, Math.random);
      if (d.action === 'escalate') {
        const last = this.checkpointer!.lastCompleted?.id;
        throw new WeirError(
          'RESTARTS_EXHAUSTED',
          `failover region ${r} failed ${d.restarts + 1} times within ${this.o.restart.withinMs} ms (allowed: ${this.o.restart.maxRestarts}); the job stops` +
            `${last === undefined ? '' : `, its last checkpoint ${last} kept`}. Last failure: ${f.error.message}`,
          { cause: f.error, context: { ...f.error.context, region: r } },
        );
      }
      this.restartHistory.set(r, d.history);
      delay = Math.max(delay, d.delayMs);
    }
    const regions = [...f.regions].sort((a, b) => a - b);
    const actors = this.plan.actors.filter((a) => f.regions.has(a.region));
    this.log.warn({ regions, err: f.error, delayMs: delay }, `restarting region(s) ${regions.join(', ')} after: ${f.error.message}`);
    // No checkpoint can complete across a failover: abort it and trigger none until the regions run again.
    this.checkpointer!.pause(actors.map((a) => a.id));
    for (const r of regions) this.epochs[r]++;
    try {
      if (delay > 0) await new Promise((r) => setTimeout(r, delay));
      if (this.state !== 'running') return;
      // A checkpoint being written when the failure came may still commit: wait for it,
      // so the regions restart from it if it did (its sinks' pending output is then kept).
      await this.checkpointer!.settled();
      const from = this.checkpointer!.lastCompleted;
      const restore = restoreSet(from, actors);
      try {
        await this.engine!.recover(regions, this.epochs, restore, [...f.crashed], from?.id);
        this.restarts += regions.length;
        this.telemetry.restarted(failureEvent(f, regions, this.plan));
      } catch (e) {
        // A worker crashed while recovering: that crash is queued as a failure
        // of its own and the next recovery takes these regions along.
        if (!(e instanceof WeirError && e.code.startsWith('WORKER_'))) throw e;
        this.queueFailure({ regions: f.regions, crashed: new Set(), error: e });
      }
    } finally {
      this.checkpointer!.resume();
    }
  }

  private sample(): void {
    const counters = this.checkpointer && { checkpoints: this.checkpointer.stats, restarts: this.restarts };
    this.latestMetrics = this.telemetry.sample(counters);
    if (this.latestMetrics) this.o.onMetrics?.(this.latestMetrics);
  }

  private async finish(): Promise<void> {
    if (this.state !== 'running') return;
    this.state = 'ending';
    this.telemetry.state = 'ending';
    const kind = this.savepointRequested ? 'savepoint' : this.stopRequested ? 'checkpoint' : 'final';
    const cp = this.checkpointer!;
    let id: number;
    try {
      id = await cp.final(kind);
    } finally {
      cp.stop();
    }
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    await this.engine!.shutdown();
    this.compiled?.cleanup();
    await cp.idle();
    if (this.ownBackend) await this.backend?.close().catch(() => {});
    this.sample();
    this.state = 'ended';
    this.telemetry.ended();
    await this.http?.close();
    this.resolve({
      job: this.jobId,
      outputs: this.outputs,
      deadLetters: this.deadLetters,
      metrics: this.latestMetrics!,
      stopped: this.stopRequested,
      checkpoint: { id, kind },
      restarts: this.restarts,
      resumedFrom: this.resumedFrom,
      checkpoints: cp.stats,
    });
  }

  private fail(e: unknown): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    this.checkpointer?.stop();
    if (this.metricsTimer) clearInterval(this.metricsTimer);
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
function failureEvent(f: Failure, regions: number[], plan: ExecutionPlan): FailureEvent {
  const c = f.error.context;
  const actor = typeof c.actor === 'number' ? plan.actors[c.actor] : undefined;
  const operator = typeof c.operator === 'string' ? c.operator : actor?.operator;
  const instance = typeof c.instance === 'number' ? c.instance : actor?.instance;
  return { at: Date.now(), regions, code: f.error.code, message: f.error.message, operator, instance, crashedWorkers: [...f.crashed] };
}
