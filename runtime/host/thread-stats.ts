/**
 * What a thread reports about itself with its task metrics: V8 heap in use,
 * event-loop utilisation and event-loop delay since the last report. A worker
 * whose loop is saturated (ELU near 1) or delayed delays every actor on it.
 */
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';

export interface ThreadStats {
  /** V8 heap in use, bytes. */
  heapUsed: number;
  /** Share of time the event loop was busy since the last report (0..1). */
  elu: number;
  /** Event-loop delay since the last report, ms: mean, 99th percentile and max (timer resolution 10 ms). */
  loopDelayMs: { mean: number; p99: number; max: number };
}

export interface ThreadStatsSampler {
  /** The stats since the previous call. */
  (): ThreadStats;
  /** Stop the delay monitor. */
  close(): void;
}

export function threadStatsSampler(): ThreadStatsSampler {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  const sample = () => {
    const now = performance.eventLoopUtilization();
    const elu = performance.eventLoopUtilization(now, last).utilization;
    last = now;
    // The histogram is in ns; an empty one (no sample yet) reports NaN/huge values.
    const ok = delay.count > 0;
    const loopDelayMs = ok ? { mean: delay.mean / 1e6, p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 } : { mean: 0, p99: 0, max: 0 };
    delay.reset();
    return { heapUsed: process.memoryUsage().heapUsed, elu: Number.isFinite(elu) ? elu : 0, loopDelayMs };
  };
  return Object.assign(sample, { close: () => delay.disable() });
}

/** What a thread that does not sample itself reports: its heap only. */
export const idleThreadStats = (): ThreadStats => ({ heapUsed: process.memoryUsage().heapUsed, elu: 0, loopDelayMs: { mean: 0, p99: 0, max: 0 } });
