/**
 * Metrics sampling: workers report per-actor counters on their own clocks;
 * the job aggregates them once per interval, so a rate is never taken over
 * one worker's report gap.
 */
import type { TaskMetrics } from '../host/env.js';
import type { ExecutionPlan } from '../plan/plan.js';
import { aggregate, type JobCounters, type JobMetrics, type Sample } from './metrics.js';

export class MetricsSampler {
  latest: JobMetrics | undefined;
  private readonly samples = new Map<number, TaskMetrics>();
  private readonly heap = new Map<number, number>();
  private previous: Sample | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Rates and uptime count from here: built just before the actors start. */
  private readonly startedAt = performance.now();

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly counters: () => JobCounters | undefined,
    private readonly onMetrics: ((m: JobMetrics) => void) | undefined,
  ) {}

  report(worker: number, tasks: TaskMetrics[], heapUsed: number): void {
    for (const t of tasks) this.samples.set(t.actor, t);
    this.heap.set(worker, heapUsed);
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  sample(): JobMetrics {
    const now: Sample = { at: performance.now(), tasks: new Map(this.samples), heap: new Map(this.heap) };
    this.latest = aggregate(this.plan, now, this.previous, this.startedAt, this.counters());
    this.previous = now;
    this.onMetrics?.(this.latest);
    return this.latest;
  }
}
