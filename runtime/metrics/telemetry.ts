/**
 * The job's one metrics model. The coordinator feeds it (worker reports,
 * checkpoint and failure events) and samples it every metrics interval;
 * everything that shows the job reads it: handle.metrics() and the TTY status
 * line (the latest JobMetrics), the Prometheus endpoint, the JSON API and the
 * dashboard (which also get the recent history and the event logs).
 *
 * Bounded: the history keeps the last HISTORY samples, the logs the last few
 * dozen events, so a long-running job's memory does not grow.
 */
import type { TaskMetrics } from '../host/env.js';
import type { ThreadStats } from '../host/thread-stats.js';
import type { ExecutionPlan } from '../plan/plan.js';
import { aggregate, type JobCounters, type JobMetrics, type Sample } from '../coordinator/metrics.js';
import { CumulativeCounts } from './cumulative.js';
import type { CheckpointEvent, FailureEvent } from './events.js';

/** Samples of history kept (at the default 1 s interval: five minutes). */
export const HISTORY = 300;
const CHECKPOINTS_KEPT = 100;
const FAILURES_KEPT = 50;

/** One sample of the history: wall time and, per operator in plan order, records/s in and out, backpressure and busy shares. */
export interface HistoryPoint {
  at: number;
  inRate: number[];
  outRate: number[];
  backpressure: number[];
  busy: number[];
}

export type JobState = 'starting' | 'running' | 'ending' | 'ended' | 'failed';

export interface JobInfo {
  job: string;
  state: JobState;
  /** Wall-clock start, ms since the epoch. */
  startedAt: number;
  /** Options worth showing (credentials redacted). */
  options: Record<string, unknown>;
  resumedFrom?: number;
  error?: string;
}

export class JobTelemetry {
  plan: ExecutionPlan | undefined;
  readonly info: JobInfo;
  latest: JobMetrics | undefined;
  readonly history: HistoryPoint[] = [];
  readonly checkpoints: CheckpointEvent[] = [];
  readonly failures: FailureEvent[] = [];
  /** Restarts per failover region (index = region), cumulative. */
  restartsByRegion: number[] = [];
  /** Checkpoint events since start: every one, as the histograms need them (the log above is bounded). */
  private readonly checkpointListeners = new Set<(e: CheckpointEvent) => void>();
  private readonly sampleListeners = new Set<(m: JobMetrics) => void>();
  private readonly counts = new CumulativeCounts();
  private readonly tasks = new Map<number, TaskMetrics>();
  private readonly threads = new Map<number, ThreadStats>();
  private previous: Sample | undefined;
  private startedPerf = performance.now();

  constructor(job: string, options: Record<string, unknown> = {}, now = Date.now()) {
    this.info = { job, state: 'starting', startedAt: now, options };
  }

  /** The job is planned and about to start. */
  planned(plan: ExecutionPlan, job: string, resumedFrom: number | undefined): void {
    this.plan = plan;
    this.info.job = job;
    this.info.resumedFrom = resumedFrom;
    this.restartsByRegion = new Array(plan.regions).fill(0);
  }

  /** Its actors run from now: rates of the first sample count from here. */
  started(): void {
    this.startedPerf = performance.now();
    this.info.state = 'running';
  }

  /** A worker's report: its actors' counts (made cumulative) and its thread stats. */
  report(worker: number, tasks: TaskMetrics[], thread: ThreadStats): void {
    for (const t of tasks) {
      const c = this.counts.apply(t);
      if (c) this.tasks.set(t.actor, c);
    }
    this.threads.set(worker, { heapUsed: thread.heapUsed, elu: thread.elu, loopDelayMs: thread.loopDelayMs });
  }

  /** Aggregate the latest reports into JobMetrics, remember them, and tell the listeners. */
  sample(counters: JobCounters | undefined, now = performance.now()): JobMetrics | undefined {
    if (!this.plan) return undefined;
    const s: Sample = { at: now, tasks: new Map(this.tasks), threads: new Map(this.threads) };
    const m = aggregate(this.plan, s, this.previous, this.startedPerf, counters);
    withEventTimeLag(m, Date.now());
    this.previous = s;
    this.latest = m;
    this.history.push({
      at: Date.now(),
      inRate: m.operators.map((o) => o.inRate),
      outRate: m.operators.map((o) => o.outRate),
      backpressure: m.operators.map((o) => o.backpressure),
      busy: m.operators.map((o) => o.busy),
    });
    if (this.history.length > HISTORY) this.history.splice(0, this.history.length - HISTORY);
    for (const f of this.sampleListeners) f(m);
    return m;
  }

  checkpoint(e: CheckpointEvent): void {
    push(this.checkpoints, e, CHECKPOINTS_KEPT);
    for (const f of this.checkpointListeners) f(e);
  }

  /** Failover regions restarted after `e`. */
  restarted(e: FailureEvent): void {
    for (const r of e.regions) this.restartsByRegion[r] = (this.restartsByRegion[r] ?? 0) + 1;
    push(this.failures, e, FAILURES_KEPT);
  }

  ended(error?: string): void {
    this.info.state = error === undefined ? 'ended' : 'failed';
    if (error !== undefined) this.info.error = error;
  }

  set state(s: JobState) {
    this.info.state = s;
  }

  onSample(f: (m: JobMetrics) => void): () => void {
    this.sampleListeners.add(f);
    return () => this.sampleListeners.delete(f);
  }

  onCheckpoint(f: (e: CheckpointEvent) => void): () => void {
    this.checkpointListeners.add(f);
    return () => this.checkpointListeners.delete(f);
  }

  /** The last completed checkpoint, if any is in the log. */
  lastCompleted(): CheckpointEvent | undefined {
    for (let i = this.checkpoints.length - 1; i >= 0; i--) if (this.checkpoints[i].status === 'completed') return this.checkpoints[i];
    return undefined;
  }
}

/** Event-time lag (processing time - watermark) of every operator and actor that has a watermark, as of `now` (wall clock, as the workers' processing time). */
export function withEventTimeLag(m: JobMetrics, now: number): void {
  for (const o of m.operators) {
    if (o.watermark !== undefined) o.eventTimeLagMs = now - o.watermark;
    for (const i of o.instances) if (i.watermark !== undefined) i.eventTimeLagMs = now - i.watermark;
  }
}

function push<T>(log: T[], e: T, max: number): void {
  log.push(e);
  if (log.length > max) log.splice(0, log.length - max);
}
