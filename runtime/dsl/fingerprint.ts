import { createHash } from 'node:crypto';
import type { LogicalGraph } from './graph.js';

/**
 * A digest of the graph's shape (ids, kinds, parallelism, edges). Workers
 * rebuild the topology from the module and compare digests: a build that is
 * not deterministic would wire the wrong functions to the wrong actors.
 */
export function fingerprint(g: LogicalGraph): string {
  const shape = g.nodes.map((n) => [n.id, n.kind, n.parallelism ?? 0, n.onError, n.inputs.map((e) => [e.from, e.partitioning])]);
  return createHash('sha256').update(JSON.stringify([g.name, g.maxParallelism, shape])).digest('hex').slice(0, 16);
}
