/**
 * The cluster planner: cuts a logical graph into sub-topologies, as Kafka
 * Streams' TopologyBuilder does. Pure: no Kafka, no I/O.
 *
 * - An edge is cut where records change owner by key or by round robin
 *   (keyBy -> 'hash', rebalance() -> 'rebalance'): its records go through an
 *   internal repartition topic `<prefix><job>-<operator>-repartition`, one
 *   per downstream operator (all cut edges into that operator share it; each
 *   record carries its input index).
 * - Every other edge stays inside a sub-topology: the connected parts that
 *   remain are the sub-topologies. Their inputs are source topics and
 *   repartition topics; a sub-topology has one task per input partition, so
 *   all its input topics must have the same partition count (co-partitioned).
 * - broadcast() is refused in cluster mode for now, with the reason: a
 *   silent wrong result is worse. Event time (assignTimestamps, windows,
 *   timers) runs: watermarks cross repartition topics in-band (task-chain.ts).
 *
 * @example
 * // in -> map -> keyBy -> count -> out   becomes
 * // sub-topology 0: in, map            reads 'words', writes 'job-count-repartition'
 * // sub-topology 1: count, out         reads 'job-count-repartition'
 */
import { TopologyError } from '../../actors/errors.js';
import type { LogicalGraph, LogicalNode } from '../dsl/graph.js';

export interface TopicInput {
  topic: string;
  kind: 'source' | 'repartition';
  /** The node that reads it: the source node, or the operator behind the cut. */
  node: string;
}

export interface RepartitionEdge {
  from: string;
  to: string;
  /** The input index of `to` this edge feeds. */
  inputIndex: number;
  partitioning: 'hash' | 'rebalance';
  topic: string;
}

export interface SubTopology {
  /** 0-based, in the build order of each sub-topology's first node. */
  id: number;
  /** Node ids in build (topological) order. */
  nodes: string[];
  inputs: TopicInput[];
  /** Cut edges leaving this sub-topology. */
  repartitions: RepartitionEdge[];
  /** Sink node ids in this sub-topology. */
  sinks: string[];
  /** True when an operator in it keeps state (a changelog topic holds it). */
  stateful: boolean;
  /** `<prefix><job>-<first node>-changelog`, used when stateful. */
  changelog: string;
}

export interface ClusterPlan {
  job: string;
  subtopologies: SubTopology[];
  /** Every repartition topic, once. */
  repartitionTopics: string[];
}

/** What the planner needs to know about connectors: the Kafka topic of a source node, or undefined when it is not Kafka. */
export interface ConnectorTopics {
  sourceTopic(node: LogicalNode): string | undefined;
  isKafkaSink(node: LogicalNode): boolean;
}

/** Kinds whose state (keyed state, timers, windows, an assigner's largest timestamp) goes into the changelog. */
const STATEFUL = new Set<LogicalNode['kind']>(['process', 'machine', 'reduce', 'window', 'timestamps']);

/** Node id -> the task count of the sub-topology holding it. */
export function tasksOfNode(plan: ClusterPlan, tasks: ReadonlyMap<number, number>): Map<string, number> {
  return new Map(plan.subtopologies.flatMap((s) => s.nodes.map((n): [string, number] => [n, tasks.get(s.id)!])));
}

export function repartitionTopic(prefix: string, job: string, operator: string): string {
  return `${prefix}${job}-${operator}-repartition`;
}

export function changelogTopic(prefix: string, job: string, operator: string): string {
  return `${prefix}${job}-${operator}-changelog`;
}

export function planCluster(graph: LogicalGraph, job: string, prefix: string, connectors: ConnectorTopics): ClusterPlan {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const parent = new Map(graph.nodes.map((n) => [n.id, n.id]));
  const find = (x: string): string => {
    while (parent.get(x) !== x) x = parent.get(x)!;
    return x;
  };
  const cut: RepartitionEdge[] = [];
  for (const n of graph.nodes) {
    if (n.kind === 'source' && connectors.sourceTopic(n) === undefined) {
      throw new TopologyError(`source '${n.id}' is not a kafka.source: in cluster mode every input must be a Kafka topic, whose partitions are the tasks. Fix: read '${n.id}' with kafka.source({ brokers, topic })`, { operator: n.id });
    }
    if (n.kind === 'sink' && !connectors.isKafkaSink(n)) {
      throw new TopologyError(`sink '${n.id}' is not a kafka.sink: cluster mode commits output in each task's Kafka transaction. Fix: write '${n.id}' with kafka.sink({ brokers, topic })`, { operator: n.id });
    }
    n.inputs.forEach((e, inputIndex) => {
      if (e.partitioning === 'broadcast') {
        throw new TopologyError(`edge '${e.from}' -> '${n.id}' is a broadcast, which cluster mode does not run yet. Fix: run this job as one process (without --cluster)`, { operator: n.id });
      }
      if (e.partitioning === 'hash' || e.partitioning === 'rebalance') {
        cut.push({ from: e.from, to: n.id, inputIndex, partitioning: e.partitioning, topic: repartitionTopic(prefix, job, n.id) });
      } else {
        parent.set(find(n.id), find(e.from));
      }
    });
  }
  // Sub-topologies numbered by their first node in build order.
  const subOf = new Map<string, SubTopology>();
  const subtopologies: SubTopology[] = [];
  for (const n of graph.nodes) {
    const root = find(n.id);
    let s = subOf.get(root);
    if (!s) {
      s = { id: subtopologies.length, nodes: [], inputs: [], repartitions: [], sinks: [], stateful: false, changelog: changelogTopic(prefix, job, n.id) };
      subOf.set(root, s);
      subtopologies.push(s);
    }
    s.nodes.push(n.id);
    if (n.kind === 'source') s.inputs.push({ topic: connectors.sourceTopic(n)!, kind: 'source', node: n.id });
    if (n.kind === 'sink') s.sinks.push(n.id);
    if (STATEFUL.has(n.kind) || n.keySelector !== undefined) s.stateful = true;
  }
  for (const e of cut) {
    const from = subOf.get(find(e.from))!;
    from.repartitions.push(e);
    const to = subOf.get(find(e.to))!;
    if (!to.inputs.some((i) => i.topic === e.topic)) to.inputs.push({ topic: e.topic, kind: 'repartition', node: e.to });
  }
  const readers = new Map<string, number>();
  for (const s of subtopologies) {
    for (const i of s.inputs) {
      const other = readers.get(i.topic);
      if (other !== undefined && other !== s.id) {
        throw new TopologyError(`topic '${i.topic}' is read by two parts of the job (sub-topologies ${other} and ${s.id}), which cluster mode cannot split into tasks. Fix: read it with one kafka.source and branch the stream after it`, { topic: i.topic });
      }
      readers.set(i.topic, s.id);
    }
  }
  if (!byId.size) throw new TopologyError(`bug: topology '${graph.name}' has no nodes`);
  return { job, subtopologies, repartitionTopics: [...new Set(cut.map((e) => e.topic))] };
}

