/**
 * The planner: a pure function from the logical graph to the execution plan.
 *
 * - actors = operator x parallelism; an operator without explicit parallelism
 *   gets `defaultParallelism`;
 * - placement: instance i of every operator goes to worker i mod W, so a
 *   forward chain (equal parallelism, 'forward' edges) stays on one worker and
 *   its channels are in-memory queues;
 * - partitioning 'auto' becomes forward where parallelisms match, rebalance
 *   where they don't (Flink's rule);
 * - failover regions are the connected components of the actor graph.
 */
import { TopologyError } from '../../actors/errors.js';
import type { LogicalGraph } from '../dsl/graph.js';
import type { ActorPlan, ChannelPartitioning, ChannelPlan, ExecutionPlan } from './plan.js';

export interface PlanOptions {
  workers: number;
  defaultParallelism?: number;
  fingerprint?: string;
}

export function plan(graph: LogicalGraph, opts: PlanOptions): ExecutionPlan {
  const workers = opts.workers;
  if (!Number.isInteger(workers) || workers < 1) throw new TopologyError(`workers must be an integer >= 1, got ${workers}`);
  const defaultParallelism = opts.defaultParallelism ?? 1;
  const actors: ActorPlan[] = [];
  const channels: ChannelPlan[] = [];
  const instancesOf = new Map<string, ActorPlan[]>();

  for (const node of graph.nodes) {
    const p = node.parallelism ?? Math.min(defaultParallelism, graph.maxParallelism);
    const list: ActorPlan[] = [];
    for (let i = 0; i < p; i++) {
      const a: ActorPlan = { id: actors.length, operator: node.id, kind: node.kind, instance: i, parallelism: p, worker: i % workers, region: -1, inputs: [], outputs: [] };
      actors.push(a);
      list.push(a);
    }
    instancesOf.set(node.id, list);

    node.inputs.forEach((edge, inputIndex) => {
      const ups = instancesOf.get(edge.from);
      if (!ups) throw new TopologyError(`bug: '${node.id}' planned before its input '${edge.from}'`);
      const partitioning: ChannelPartitioning =
        edge.partitioning === 'auto' || edge.partitioning === 'forward' ? (ups.length === p ? 'forward' : 'rebalance') : edge.partitioning;
      if (edge.partitioning === 'forward' && ups.length !== p) {
        throw new TopologyError(`forward edge '${edge.from}' -> '${node.id}' joins parallelism ${ups.length} to ${p}. Fix: use equal parallelism or rebalance()`, { operator: node.id });
      }
      for (const up of ups) {
        const targets = partitioning === 'forward' ? [list[up.instance]] : list;
        const ids = targets.map((down) => {
          const ch: ChannelPlan = { id: channels.length, from: up.id, to: down.id, inputIndex, local: up.worker === down.worker };
          channels.push(ch);
          down.inputs.push(ch.id);
          return ch.id;
        });
        up.outputs.push({ to: node.id, partitioning, channels: ids });
      }
    });
  }

  const regions = assignRegions(actors, channels);
  return { job: graph.name, fingerprint: opts.fingerprint ?? '', workers, maxParallelism: graph.maxParallelism, actors, channels, regions };
}

/** Union-find over channels; numbers regions densely in actor order. Returns the count. */
function assignRegions(actors: ActorPlan[], channels: ChannelPlan[]): number {
  const parent = actors.map((a) => a.id);
  const find = (x: number): number => {
    while (parent[x] !== x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (const c of channels) parent[find(c.from)] = find(c.to);
  const ids = new Map<number, number>();
  for (const a of actors) {
    const root = find(a.id);
    if (!ids.has(root)) ids.set(root, ids.size);
    a.region = ids.get(root)!;
  }
  return ids.size;
}
