/**
 * The operators of one task (sub-topology s on partition p), run inline on
 * the member's thread: a batch read from one input topic goes through the
 * sub-topology's operators in build order, and what leaves it is returned as
 * data (records for sink topics, records for repartition topics with their
 * partition), for the task's transaction to write. No I/O here.
 *
 * Keyed operators get the key groups of partition p (keyGroupRange(p, maxP,
 * partitions)): the upstream task chose partition p for a key with
 * instanceForKey(key, maxP, partitions), so state and records agree, as
 * Flink's key groups do across instances.
 */
import type { Collector, Logger, Operator, OperatorContext } from '../../actors/contract.js';
import { instanceForKey, keyGroupRange } from '../../actors/key-groups.js';
import { KeyedStateStore, type KeyedSnapshot } from '../../actors/state/keyed-state.js';
import type { TimerService } from '../../actors/time/timer-service.js';
import { ConfigError } from '../../actors/errors.js';
import { encodeBatch } from '../channel/codec.js';
import type { LogicalGraph, LogicalNode } from '../dsl/graph.js';
import { createOperator } from '../host/operator-factory.js';
import type { SubTopology } from './subtopologies.js';

/** State of one task: per operator, its keyed state and operator state (msgpack-encodable). */
export type TaskState = Record<string, { keyed?: KeyedSnapshot; op?: unknown }>;

export interface RepartitionRecord {
  topic: string;
  partition: number;
  /** msgpack of [inputIndex, record]. */
  value: Uint8Array;
}

export interface ChainOutput {
  /** Sink node id -> records, in order. */
  sinks: Map<string, unknown[]>;
  repartition: RepartitionRecord[];
}

interface Route {
  to: LogicalNode;
  inputIndex: number;
  /** Set for a cut edge: the topic and how to pick its partition. */
  cut?: { topic: string; partitions: number; key?: (v: unknown) => unknown };
}

export class TaskChain {
  private readonly ops = new Map<string, { op: Operator; ctx: OperatorContext }>();
  private readonly routes = new Map<string, Route[]>();
  private roundRobin = 0;
  private out: ChainOutput = { sinks: new Map(), repartition: [] };

  constructor(
    private readonly graph: LogicalGraph,
    readonly sub: SubTopology,
    readonly partition: number,
    /** Tasks of this sub-topology (its input topics' partition count). */
    readonly partitions: number,
    /** Partition count of each repartition topic this sub-topology writes. */
    repartitionPartitions: ReadonlyMap<string, number>,
    log: Logger,
    restored: TaskState | undefined,
  ) {
    const inSub = new Set(sub.nodes);
    const byId = new Map(graph.nodes.map((n) => [n.id, n]));
    for (const n of graph.nodes) {
      n.inputs.forEach((e, inputIndex) => {
        if (!inSub.has(e.from)) return;
        const cut = sub.repartitions.find((r) => r.from === e.from && r.to === n.id && r.inputIndex === inputIndex);
        const route: Route = { to: n, inputIndex };
        if (cut) route.cut = { topic: cut.topic, partitions: repartitionPartitions.get(cut.topic)!, key: cut.partitioning === 'hash' ? e.keySelector : undefined };
        const list = this.routes.get(e.from) ?? [];
        list.push(route);
        this.routes.set(e.from, list);
      });
    }
    const range = keyGroupRange(partition, graph.maxParallelism, partitions);
    for (const id of sub.nodes) {
      const node = byId.get(id)!;
      if (node.kind === 'source' || node.kind === 'sink') continue;
      const keyedState = node.keySelector ? new KeyedStateStore(graph.maxParallelism) : undefined;
      const ctx: OperatorContext = {
        operator: id,
        instance: partition,
        parallelism: partitions,
        clock: { now: () => Date.now() },
        log,
        keyedState,
        timers: keyedState ? noTimers(id) : undefined,
        time: { watermark: -Infinity, processingTime: () => Date.now() },
        emitWatermark: () => {},
        deadLetter: (record, error) => log.warn({ operator: id, partition, record, err: error }, `operator '${id}' skipped a record (onError: 'skip'): ${error.message}`),
      };
      const op = createOperator(node);
      op.open?.(ctx);
      const saved = restored?.[id];
      if (saved?.keyed && keyedState) keyedState.restore([saved.keyed], range);
      if (saved?.op !== undefined) op.restore?.([saved.op]);
      this.ops.set(id, { op, ctx });
    }
  }

  /** Records read by input node `node` (a source, or the operator behind a cut) on its input `inputIndex`; returns what leaves the task. */
  process(node: string, inputIndex: number, records: unknown[]): ChainOutput {
    this.out = { sinks: new Map(), repartition: [] };
    const n = this.graph.nodes.find((x) => x.id === node);
    if (!n) throw new Error(`bug: task ${this.sub.id}.${this.partition} has no node '${node}'`);
    if (n.kind === 'source') this.route(node, records);
    else this.push(n, inputIndex, records);
    return this.out;
  }

  snapshot(): TaskState {
    const s: TaskState = {};
    for (const [id, { op, ctx }] of this.ops) {
      const keyed = ctx.keyedState?.snapshot();
      const opState = op.snapshot?.();
      if (keyed !== undefined || opState !== undefined) s[id] = { keyed, op: opState };
    }
    return s;
  }

  close(): void {
    for (const { op } of this.ops.values()) op.close?.();
  }

  private push(node: LogicalNode, inputIndex: number, records: readonly unknown[]): void {
    if (records.length === 0) return;
    if (node.kind === 'sink') {
      const list = this.out.sinks.get(node.id) ?? [];
      for (const r of records) list.push(r);
      this.out.sinks.set(node.id, list);
      return;
    }
    const entry = this.ops.get(node.id);
    if (!entry) throw new Error(`bug: operator '${node.id}' is not in task ${this.sub.id}.${this.partition}`);
    const emitted: unknown[] = [];
    const collector: Collector = { emit: (r) => void emitted.push(r) };
    entry.op.processBatch(records, collector, inputIndex);
    this.route(node.id, emitted);
  }

  private route(from: string, records: unknown[]): void {
    for (const r of this.routes.get(from) ?? []) {
      if (!r.cut) {
        this.push(r.to, r.inputIndex, records);
        continue;
      }
      const { topic, partitions, key } = r.cut;
      for (const rec of records) {
        const partition = key ? instanceForKey(key(rec), this.graph.maxParallelism, partitions) : this.roundRobin++ % partitions;
        this.out.repartition.push({ topic, partition, value: encodeBatch([r.inputIndex, rec], { operator: from, instance: this.partition }) });
      }
    }
  }
}

/**
 * Timers do not fire in cluster mode yet (no watermarks cross repartition
 * topics, no processing-time loop per task): setting one fails the task with
 * this error rather than never firing.
 */
function noTimers(operator: string): TimerService {
  const refuse = () => {
    throw new ConfigError(`operator '${operator}' sets a timer, and timers do not fire in cluster mode yet. Fix: run this job as one process (without --cluster)`, { operator });
  };
  const domain = { register: refuse, delete: refuse, size: 0, peek: () => undefined };
  return { event: domain, processing: domain, queue: refuse, snapshot: () => undefined, restore: () => {} } as unknown as TimerService;
}
