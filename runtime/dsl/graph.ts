/**
 * The logical graph: what the user wrote, before parallelism is expanded.
 * Plain data plus the user's functions; the planner turns it into actors and
 * channels. Node ids are the operators' stable names.
 */
import type { OnError, SinkConnector, SourceConnector } from '../../actors/contract.js';
import type { Key } from '../../actors/key-groups.js';

export type NodeKind = 'source' | 'map' | 'filter' | 'flatMap' | 'process' | 'machine' | 'reduce' | 'timestamps' | 'window' | 'select' | 'union' | 'sink';

/**
 * How records travel along an edge to the downstream instances:
 * - forward: instance i to instance i (same parallelism), the cheap default;
 * - hash: by key group of the edge's key selector (after keyBy);
 * - rebalance: round-robin over all downstream instances;
 * - broadcast: every record to every downstream instance.
 * 'auto' becomes forward when parallelisms match, else rebalance (as Flink does).
 */
export type Partitioning = 'auto' | 'forward' | 'hash' | 'rebalance' | 'broadcast';

export interface LogicalEdge {
  from: string;
  partitioning: Partitioning;
  keySelector?: (value: any) => Key;
}

export interface LogicalNode {
  id: string;
  kind: NodeKind;
  /** Undefined: the job's default parallelism. */
  parallelism?: number;
  onError: OnError;
  inputs: LogicalEdge[];
  /** The user function for map/filter/flatMap/process. */
  fn?: (...args: any[]) => any;
  source?: SourceConnector;
  sink?: SinkConnector;
  /** Set when the node's input is keyed: the key of each record it sees. */
  keySelector?: (value: any) => Key;
  /** The event timestamp of each record it sees, when its input has timestamps (assignTimestamps upstream). */
  timestampFn?: (value: any) => number;
  /** assignTimestamps options ('timestamps' nodes). */
  timestamps?: import('../../actors/operators/timestamps.js').TimestampOptions;
  /** A source's splits (Kafka: partitions): watermarks per split ('timestamps' nodes a connector added). */
  split?: import('../../actors/operators/timestamps.js').SplitSource<unknown>;
  /** The window, its lateness and function ('window' nodes). */
  window?: import('../../actors/windows/window-spec.js').WindowSpec;
  /** process({ onRecord, onTimer }); machine() builds its handlers too. */
  handlers?: import('../../actors/operators/process.js').ProcessHandlers<any, any>;
  /** 'select' nodes: which output of a window (0 results, 1 late records) they pass on. */
  tag?: number;
  /**
   * Builds the operator object by hand instead of from `kind` (not in the DSL:
   * for tests of the Operator contract itself, e.g. weir/testing's mutant suite).
   */
  operator?: () => import('../../actors/contract.js').Operator;
}

export interface LogicalGraph {
  name: string;
  /** Nodes in build order (which is a topological order). */
  nodes: LogicalNode[];
  maxParallelism: number;
}
