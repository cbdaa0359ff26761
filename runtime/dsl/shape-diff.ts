/**
 * Names the first differences between two topology shapes, for the error a
 * member built from other code gets ("operator 'count' is a reduce here but
 * a process on the cluster"). Pure.
 */
import type { GraphShape, NodeShape } from './fingerprint.js';

const edges = (n: NodeShape) => n[4].map(([from, p]) => `${from}(${p})`).join(', ') || 'none';

/** Up to `max` human-readable differences between `mine` and `theirs`; empty when the shapes are equal. */
export function shapeDifferences(mine: GraphShape, theirs: GraphShape, max = 5): string[] {
  const out: string[] = [];
  if (mine.name !== theirs.name) out.push(`topology name '${mine.name}' here, '${theirs.name}' there`);
  if (mine.maxParallelism !== theirs.maxParallelism) out.push(`maxParallelism ${mine.maxParallelism} here, ${theirs.maxParallelism} there`);
  const theirsById = new Map(theirs.nodes.map((n) => [n[0], n]));
  const mineById = new Map(mine.nodes.map((n) => [n[0], n]));
  for (const n of mine.nodes) {
    const t = theirsById.get(n[0]);
    if (!t) out.push(`operator '${n[0]}' (${n[1]}) exists only here`);
    else if (t[1] !== n[1]) out.push(`operator '${n[0]}' is a ${n[1]} here, a ${t[1]} there`);
    else if (edges(t) !== edges(n)) out.push(`operator '${n[0]}' reads ${edges(n)} here, ${edges(t)} there`);
    else if (t[2] !== n[2]) out.push(`operator '${n[0]}' has parallelism ${n[2] || 'default'} here, ${t[2] || 'default'} there`);
    else if (t[3] !== n[3]) out.push(`operator '${n[0]}' has onError '${n[3]}' here, '${t[3]}' there`);
  }
  for (const t of theirs.nodes) if (!mineById.has(t[0])) out.push(`operator '${t[0]}' (${t[1]}) exists only there`);
  if (out.length === 0 && mine.nodes.map((n) => n[0]).join() !== theirs.nodes.map((n) => n[0]).join()) out.push('the operators are built in another order');
  return out.slice(0, max);
}
