/**
 * Metrics sampling: workers report per-actor counters on their own clocks;
 * the job aggregates them once per interval into the one metrics model
 * (JobTelemetry), so a rate is never taken over one worker's report gap.
 */
import type { TaskMetrics } from '../host/env.js';
import type { ThreadStats } from '../host/thread-stats.js';
import type { JobTelemetry } from '../metrics/telemetry.js';
import type { JobCounters, JobMetrics } from './metrics.js';

export class MetricsSampler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly telemetry: JobTelemetry,
    private readonly counters: () => JobCounters | undefined,
    private readonly onMetrics: ((m: JobMetrics) => void) | undefined,
  ) {}

  get latest(): JobMetrics | undefined {
    return this.telemetry.latest;
  }

  report(worker: number, tasks: TaskMetrics[], thread: ThreadStats): void {
    this.telemetry.report(worker, tasks, thread);
  }

  start(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** Needs the plan (telemetry.planned) first. */
  sample(): JobMetrics {
    const m = this.telemetry.sample(this.counters())!;
    this.onMetrics?.(m);
    return m;
  }
}
