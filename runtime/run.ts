/**
 * `run()` as the public API exposes it: a thin facade that loads the
 * coordinator on first use. Job modules import 'weir' in every worker thread;
 * this keeps the coordinator (engines, checkpointer, state backends and their
 * clients such as ioredis, esbuild) out of the workers' memory and start-up.
 */
import type { JobHandle, StopOptions } from './coordinator/job.js';
import type { JobMetrics } from './coordinator/metrics.js';
import type { RunOptions } from './coordinator/options.js';
import type { Topology } from './dsl/topology.js';
import { runCluster, type ClusterHandle, type ClusterRunOptions } from './cluster/run-cluster.js';

export function run(job: string | URL | Topology, options: ClusterRunOptions): ClusterHandle;
export function run(job: string | URL | Topology, options?: RunOptions): JobHandle;
export function run(job: string | URL | Topology, options: RunOptions | ClusterRunOptions = {}): JobHandle | ClusterHandle {
  // With `cluster`, this process is one member of the job's cluster (docs/scale-out.md), as runCluster().
  if ('cluster' in options) return runCluster(job, options as ClusterRunOptions);
  let handle: JobHandle | undefined;
  const loaded = import('./coordinator/job.js').then((m) => (handle = m.run(job, options)));
  const done = loaded.then((h) => h.done);
  done.catch(() => {}); // as the real handle: callers may only use stop()
  return {
    done,
    stop: (o?: StopOptions) => loaded.then((h) => h.stop(o)),
    checkpoint: () => loaded.then((h) => h.checkpoint()),
    metrics: (): JobMetrics | undefined => handle?.metrics(),
  };
}
