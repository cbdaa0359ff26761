/**
 * Build-time validation of a logical graph. Each error names the operator and
 * the fix. Pure: throws TopologyError or returns.
 */
import { TopologyError } from '../../actors/errors.js';
import type { LogicalGraph } from './graph.js';

const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function validateName(name: unknown, what: string): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new TopologyError(
      `${what} name ${JSON.stringify(name)} is invalid. Fix: use 1-100 characters from A-Z a-z 0-9 _ . - (it names state and metrics)`,
      { operator: String(name) },
    );
  }
  return name;
}

export function validateParallelism(p: unknown, operator: string): void {
  if (p === undefined) return;
  if (typeof p !== 'number' || !Number.isInteger(p) || p < 1) {
    throw new TopologyError(
      `operator '${operator}' has parallelism ${String(p)}. Fix: give an integer >= 1 (or leave it out for the job default)`,
      { operator },
    );
  }
}

export function validateGraph(g: LogicalGraph): void {
  if (!Number.isInteger(g.maxParallelism) || g.maxParallelism < 1) {
    throw new TopologyError(`topology '${g.name}' has maxParallelism ${g.maxParallelism}. Fix: give an integer >= 1 (default 128)`);
  }
  const byId = new Map<string, (typeof g.nodes)[number]>();
  for (const n of g.nodes) {
    if (byId.has(n.id)) {
      throw new TopologyError(`two operators are named '${n.id}' in topology '${g.name}'. Fix: give each operator a unique name`, { operator: n.id });
    }
    byId.set(n.id, n);
    validateParallelism(n.parallelism, n.id);
    if (n.parallelism !== undefined && n.parallelism > g.maxParallelism) {
      throw new TopologyError(
        `operator '${n.id}' has parallelism ${n.parallelism} above the topology's maxParallelism ${g.maxParallelism}. Fix: lower it or raise maxParallelism`,
        { operator: n.id },
      );
    }
  }
  const sources = g.nodes.filter((n) => n.kind === 'source');
  const sinks = g.nodes.filter((n) => n.kind === 'sink');
  if (sources.length === 0) {
    throw new TopologyError(`topology '${g.name}' has no source. Fix: start it with t.source('name', connector)`);
  }
  if (sinks.length === 0) {
    throw new TopologyError(`topology '${g.name}' has no sink, so its results go nowhere. Fix: end each stream with .sink('name', connector)`);
  }
  const consumed = new Set<string>();
  for (const n of g.nodes) {
    if (n.kind === 'source' && n.inputs.length > 0) throw new TopologyError(`source '${n.id}' has inputs`, { operator: n.id });
    if (n.kind !== 'source' && n.inputs.length === 0) {
      throw new TopologyError(`operator '${n.id}' has no input. Fix: create it from a stream (stream.${n.kind}(...))`, { operator: n.id });
    }
    for (const e of n.inputs) {
      if (!byId.has(e.from)) {
        throw new TopologyError(`operator '${n.id}' reads from '${e.from}', which is not in topology '${g.name}'. Fix: only combine streams of the same topology`, { operator: n.id });
      }
      if (e.partitioning === 'hash' && !e.keySelector) throw new TopologyError(`bug: hash edge into '${n.id}' without key selector`, { operator: n.id });
      consumed.add(e.from);
    }
  }
  for (const n of g.nodes) {
    if (n.kind !== 'sink' && !consumed.has(n.id)) {
      throw new TopologyError(
        `operator '${n.id}' has no downstream sink, so its output would be dropped. Fix: end that stream with .sink('name', connector) or remove the operator`,
        { operator: n.id },
      );
    }
  }
  assertAcyclic(g);
}

/** Kahn's algorithm; names an operator on the cycle. */
function assertAcyclic(g: LogicalGraph): void {
  const indeg = new Map<string, number>();
  const out = new Map<string, string[]>();
  for (const n of g.nodes) {
    indeg.set(n.id, n.inputs.length);
    for (const e of n.inputs) out.set(e.from, [...(out.get(e.from) ?? []), n.id]);
  }
  const ready = g.nodes.filter((n) => n.inputs.length === 0).map((n) => n.id);
  let seen = 0;
  while (ready.length) {
    const id = ready.pop()!;
    seen++;
    for (const d of out.get(id) ?? []) {
      const k = indeg.get(d)! - 1;
      indeg.set(d, k);
      if (k === 0) ready.push(d);
    }
  }
  if (seen !== g.nodes.length) {
    const stuck = [...indeg].filter(([, k]) => k > 0).map(([id]) => id);
    throw new TopologyError(
      `topology '${g.name}' has a cycle through ${stuck.map((s) => `'${s}'`).join(', ')}. Fix: streams must flow one way; feed results back through an external system (e.g. a Kafka topic) instead`,
      { operator: stuck[0] },
    );
  }
}
