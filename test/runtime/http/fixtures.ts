// Shared by the HTTP unit tests: a small plan and worker reports, no threads.
import type { TaskMetrics } from '../../../runtime/host/env.js';
import type { ThreadStats } from '../../../runtime/host/thread-stats.js';
import type { ActorPlan, ExecutionPlan } from '../../../runtime/plan/plan.js';

/** src (1, w0) -> map (2, w0 w1, hash) -> out (1, w0); one region. Actor ids: src 0, map 1 2, out 3; channels 0..3. */
export function smallPlan(): ExecutionPlan {
  const a = (id: number, operator: string, kind: ActorPlan['kind'], instance: number, parallelism: number, worker: number, outputs: ActorPlan['outputs']): ActorPlan => ({
    id,
    operator,
    kind,
    instance,
    parallelism,
    worker,
    region: 0,
    inputs: [],
    outputs,
  });
  return {
    job: 'small',
    fingerprint: 'f',
    workers: 2,
    maxParallelism: 128,
    regions: 1,
    channels: [],
    actors: [
      a(0, 'src', 'source', 0, 1, 0, [{ to: 'map', partitioning: 'hash', channels: [0, 1] }]),
      a(1, 'map', 'map', 0, 2, 0, [{ to: 'out', partitioning: 'rebalance', channels: [2] }]),
      a(2, 'map', 'map', 1, 2, 1, [{ to: 'out', partitioning: 'rebalance', channels: [3] }]),
      a(3, 'out', 'sink', 0, 1, 0, []),
    ],
  };
}

export const thread = (heapUsed = 1000): ThreadStats => ({ heapUsed, elu: 0.25, loopDelayMs: { mean: 1, p99: 4, max: 9 } });

export function task(actor: number, n: number, epoch = 0, extra: Partial<TaskMetrics> = {}): TaskMetrics {
  return { actor, recordsIn: n, recordsOut: n, queued: 3, backpressuredMs: n / 10, busyMs: n / 5, finished: false, epoch, credits: 4, ...extra };
}
