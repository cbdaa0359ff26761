/** Job metrics: per operator and per actor, aggregated from the per-actor samples workers send, plus the coordinator's checkpoint and restart counts. Pure. */
import type { TaskMetrics } from '../host/env.js';
import type { ThreadStats } from '../host/thread-stats.js';
import type { ExecutionPlan } from '../plan/plan.js';
import type { CheckpointStats } from './checkpointer.js';

/** What an actor did in the last sampling interval, and in all, as an operator's instances add it up. */
export interface Flow {
  recordsIn: number;
  recordsOut: number;
  /** Records/s in and out over the last sampling interval. */
  inRate: number;
  outRate: number;
  /** Records queued in input channels now. */
  queued: number;
  /** Share of the last interval the outputs waited for credit (0..1; an operator's is averaged over its instances). */
  backpressure: number;
  /** Share of the last interval spent in steps (0..1; an operator's is averaged over its instances). */
  busy: number;
  /** Credit the outputs hold now (buffers they may send; summed over instances). */
  credits: number;
}

const idle = (): Flow => ({ recordsIn: 0, recordsOut: 0, inRate: 0, outRate: 0, queued: 0, backpressure: 0, busy: 0, credits: 0 });

/** Event time, where an operator has it (after assignTimestamps). */
export interface EventTime {
  /** Current watermark, ms since the epoch; an operator's is the minimum over its instances that have one. */
  watermark?: number;
  /** Processing time when sampled minus the watermark, ms (Flink's event-time lag): how far event time trails the clock. */
  eventTimeLagMs?: number;
}

export interface OperatorMetrics extends Flow, EventTime {
  operator: string;
  kind: string;
  parallelism: number;
  /** The same per actor (operator instance), with the worker it runs on; every actor, in instance order. */
  instances: InstanceMetrics[];
}

export interface InstanceMetrics extends Flow, EventTime {
  instance: number;
  worker: number;
  /** A source's records not yet read, by partition, where it knows (Kafka). */
  lag?: Record<string, number>;
  /** A source's records read but not yet acknowledged upstream (MQTT, Redis Streams with a group). */
  unacked?: number;
  /** Ms the oldest record a source received has waited to be emitted (MQTT). */
  receiveDelayMs?: number;
}

/** Job-wide figures the coordinator keeps (not sampled from the workers). */
export interface JobCounters {
  checkpoints: CheckpointStats;
  /** Region restarts so far. */
  restarts: number;
}

export interface JobMetrics {
  elapsedMs: number;
  operators: OperatorMetrics[];
  /** Per worker thread (the main thread when inline), as last reported: V8 heap in use (bytes), event-loop utilisation and delay. */
  workers: WorkerMetrics[];
  /** Checkpoints completed and failed so far, and the last one's duration and size. */
  checkpoints: CheckpointStats;
  restarts: number;
}

const NO_COUNTERS: JobCounters = { checkpoints: { completed: 0, failed: 0, lastId: undefined, lastDurationMs: 0, lastSizeBytes: 0 }, restarts: 0 };

export interface WorkerMetrics extends ThreadStats {
  worker: number;
}

export interface Sample {
  at: number;
  tasks: Map<number, TaskMetrics>;
  /** Each worker's last report of itself. */
  threads: Map<number, ThreadStats>;
}

const ZERO = { recordsIn: 0, recordsOut: 0, backpressuredMs: 0, busyMs: 0 };

export function aggregate(plan: ExecutionPlan, now: Sample, before: Sample | undefined, startedAt: number, counters: JobCounters = NO_COUNTERS): JobMetrics {
  // The first sample measures from the start of the job.
  const base = before ?? { at: startedAt, tasks: new Map<number, TaskMetrics>(), threads: new Map() };
  const dt = Math.max(1, now.at - base.at);
  const byOp = new Map<string, OperatorMetrics>();
  for (const a of plan.actors) {
    let m = byOp.get(a.operator);
    if (!m) {
      m = { operator: a.operator, kind: a.kind, parallelism: a.parallelism, ...idle(), instances: [] };
      byOp.set(a.operator, m);
    }
    const cur = now.tasks.get(a.id);
    if (!cur) {
      // Listed before its worker's first sample (or while its region restarts), with zeros.
      m.instances.push({ instance: a.instance, worker: a.worker, ...idle() });
      continue;
    }
    m.recordsIn += cur.recordsIn;
    m.recordsOut += cur.recordsOut;
    m.queued += cur.queued;
    let prev = base.tasks.get(a.id) ?? ZERO;
    // A restarted actor counts from zero again: measure from zero, as Prometheus treats a counter reset.
    if (cur.recordsIn < prev.recordsIn || cur.recordsOut < prev.recordsOut || cur.busyMs < prev.busyMs || cur.backpressuredMs < prev.backpressuredMs) prev = ZERO;
    const one: InstanceMetrics = {
      instance: a.instance,
      worker: a.worker,
      recordsIn: cur.recordsIn,
      recordsOut: cur.recordsOut,
      inRate: ((cur.recordsIn - prev.recordsIn) * 1000) / dt,
      outRate: ((cur.recordsOut - prev.recordsOut) * 1000) / dt,
      queued: cur.queued,
      backpressure: Math.min(1, (cur.backpressuredMs - prev.backpressuredMs) / dt),
      busy: Math.min(1, (cur.busyMs - prev.busyMs) / dt),
      credits: cur.credits ?? 0,
    };
    if (cur.lag) one.lag = cur.lag;
    if (cur.unacked !== undefined) one.unacked = cur.unacked;
    if (cur.receiveDelayMs !== undefined) one.receiveDelayMs = cur.receiveDelayMs;
    if (cur.watermark !== undefined) {
      one.watermark = cur.watermark;
      m.watermark = Math.min(m.watermark ?? Infinity, cur.watermark);
    }
    m.instances.push(one);
    m.inRate += one.inRate;
    m.outRate += one.outRate;
    m.backpressure += one.backpressure / a.parallelism;
    m.busy += one.busy / a.parallelism;
    m.credits += one.credits;
  }
  const workers = [...now.threads].sort((a, b) => a[0] - b[0]).map(([worker, t]) => ({ worker, ...t }));
  return { elapsedMs: now.at - startedAt, operators: [...byOp.values()], workers, checkpoints: { ...counters.checkpoints }, restarts: counters.restarts };
}
