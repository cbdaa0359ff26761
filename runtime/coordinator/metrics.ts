/** Per-operator job metrics, aggregated from the per-actor samples workers send. Pure. */
import type { TaskMetrics } from '../host/env.js';
import type { ExecutionPlan } from '../plan/plan.js';

export interface OperatorMetrics {
  operator: string;
  kind: string;
  parallelism: number;
  recordsIn: number;
  recordsOut: number;
  /** Records/s in and out over the last sampling interval. */
  inRate: number;
  outRate: number;
  /** Records queued in input channels now. */
  queued: number;
  /** Share of the last interval the operator's outputs waited for credit (0..1, averaged over instances). */
  backpressure: number;
  /** Share of the last interval spent in steps (0..1, averaged over instances). */
  busy: number;
}

export interface JobMetrics {
  elapsedMs: number;
  operators: OperatorMetrics[];
  /** V8 heap in use per worker (bytes), as last reported. */
  workers: { worker: number; heapUsed: number }[];
}

export interface Sample {
  at: number;
  tasks: Map<number, TaskMetrics>;
  heap: Map<number, number>;
}

const ZERO = { recordsIn: 0, recordsOut: 0, backpressuredMs: 0, busyMs: 0 };

export function aggregate(plan: ExecutionPlan, now: Sample, before: Sample | undefined, startedAt: number): JobMetrics {
  // The first sample measures from the start of the job.
  const base = before ?? { at: startedAt, tasks: new Map<number, TaskMetrics>(), heap: new Map() };
  const dt = Math.max(1, now.at - base.at);
  const byOp = new Map<string, OperatorMetrics>();
  for (const a of plan.actors) {
    let m = byOp.get(a.operator);
    if (!m) {
      m = { operator: a.operator, kind: a.kind, parallelism: a.parallelism, recordsIn: 0, recordsOut: 0, inRate: 0, outRate: 0, queued: 0, backpressure: 0, busy: 0 };
      byOp.set(a.operator, m);
    }
    const cur = now.tasks.get(a.id);
    if (!cur) continue;
    m.recordsIn += cur.recordsIn;
    m.recordsOut += cur.recordsOut;
    m.queued += cur.queued;
    let prev = base.tasks.get(a.id) ?? ZERO;
    // A restarted actor counts from zero again: measure from zero, as Prometheus treats a counter reset.
    if (cur.recordsIn < prev.recordsIn || cur.recordsOut < prev.recordsOut || cur.busyMs < prev.busyMs || cur.backpressuredMs < prev.backpressuredMs) prev = ZERO;
    {
      m.inRate += ((cur.recordsIn - prev.recordsIn) * 1000) / dt;
      m.outRate += ((cur.recordsOut - prev.recordsOut) * 1000) / dt;
      m.backpressure += Math.min(1, (cur.backpressuredMs - prev.backpressuredMs) / dt) / a.parallelism;
      m.busy += Math.min(1, (cur.busyMs - prev.busyMs) / dt) / a.parallelism;
    }
  }
  const workers = [...now.heap].sort((a, b) => a[0] - b[0]).map(([worker, heapUsed]) => ({ worker, heapUsed }));
  return { elapsedMs: now.at - startedAt, operators: [...byOp.values()], workers };
}
