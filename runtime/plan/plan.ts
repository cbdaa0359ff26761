/**
 * The execution plan: the logical graph expanded into actors (operator x
 * parallelism) and channels, placed on workers. Plain, serializable data: the
 * coordinator sends it to every worker, which builds the actors placed on it.
 */
import type { NodeKind } from '../dsl/graph.js';

export type ChannelPartitioning = 'forward' | 'hash' | 'rebalance' | 'broadcast';

export interface ActorPlan {
  /** Dense index into plan.actors. */
  id: number;
  operator: string;
  kind: NodeKind;
  instance: number;
  parallelism: number;
  worker: number;
  /** Failover region: the connected component of the actor graph this actor is in. */
  region: number;
  /** Incoming channel ids, in no particular order. */
  inputs: number[];
  outputs: OutputPlan[];
}

export interface OutputPlan {
  /** Downstream operator id. */
  to: string;
  partitioning: ChannelPartitioning;
  /** Channel ids indexed by downstream instance (forward: exactly one). */
  channels: number[];
}

export interface ChannelPlan {
  id: number;
  from: number;
  to: number;
  /** Which of the receiving operator's logical inputs this channel belongs to. */
  inputIndex: number;
  /** Both ends on the same worker: an in-memory queue, no serialization. */
  local: boolean;
}

export interface ExecutionPlan {
  job: string;
  fingerprint: string;
  workers: number;
  maxParallelism: number;
  actors: ActorPlan[];
  channels: ChannelPlan[];
  regions: number;
}
