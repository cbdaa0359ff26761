import { createHash } from 'node:crypto';
import type { LogicalGraph } from './graph.js';

/** One node's shape: [id, kind, parallelism (0 = default), onError, [from, partitioning][]]. */
export type NodeShape = [string, string, number, string, [string, string][]];

/** The graph's shape: what the fingerprint digests, kept as data so a difference can be named (shape-diff.ts). */
export interface GraphShape {
  name: string;
  maxParallelism: number;
  nodes: NodeShape[];
}

export function graphShape(g: LogicalGraph): GraphShape {
  return {
    name: g.name,
    maxParallelism: g.maxParallelism,
    nodes: g.nodes.map((n) => [n.id, n.kind, n.parallelism ?? 0, n.onError, n.inputs.map((e) => [e.from, e.partitioning] as [string, string])]),
  };
}

/**
 * A digest of the graph's shape (ids, kinds, parallelism, edges). Workers
 * rebuild the topology from the module and compare digests: a build that is
 * not deterministic would wire the wrong functions to the wrong actors.
 */
export function fingerprint(g: LogicalGraph): string {
  const s = graphShape(g);
  return createHash('sha256').update(JSON.stringify([s.name, s.maxParallelism, s.nodes])).digest('hex').slice(0, 16);
}
