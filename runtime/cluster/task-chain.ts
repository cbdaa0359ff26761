/**
 * The operators of one task (sub-topology s on partition p), run on the
 * thread the task is placed on: a batch read from one input topic goes
 * through the sub-topology's operators in build order, and what leaves it is
 * returned as data (records for sink topics, records for repartition topics
 * with their partition), for the task's transaction to write. No I/O here.
 *
 * Keyed operators get the key groups of partition p (keyGroupRange(p, maxP,
 * partitions)): the upstream task chose partition p for a key with
 * instanceForKey(key, maxP, partitions), so state and records agree, as
 * Flink's key groups do across instances.
 *
 * Time, as in one process (operator-task.ts), per task: an operator's event
 * time is the minimum over its inputs (watermark-valve.ts); when it advances
 * the operator's onWatermark fires its timers and windows, and the watermark
 * goes on downstream after the records emitted with it. Across a cut edge
 * the watermark travels in-band, as Flink sends it in its channels: a task
 * writes a watermark marker (its partition, watermark, idle) into every
 * partition of the repartition topic, after its records; the reading task
 * keeps the last marker of each upstream task and takes the minimum over
 * all of them (an upstream task not heard from yet holds it back). Timers,
 * windows, watermarks and those markers are task state: they go into the
 * changelog with the rest, so a takeover restores them. Processing time is
 * the wall clock; the runner asks for `tick` when `nextProcessingTime` is due.
 */
import type { Collector, Logger, Operator, OperatorContext, TimeContext } from '../../actors/contract.js';
import { instanceForKey, keyGroupRange } from '../../actors/key-groups.js';
import { KeyedStateStore, type KeyedSnapshot } from '../../actors/state/keyed-state.js';
import { TimerService, type TimerServiceSnapshot } from '../../actors/time/timer-service.js';
import { combineWatermarks, type InputWatermark } from '../../actors/time/watermark-valve.js';
import { MIN_WATERMARK } from '../channel/watermark.js';
import { encodeBatch } from '../channel/codec.js';
import type { LogicalGraph, LogicalNode } from '../dsl/graph.js';
import { wallClock } from '../host/env.js';
import { createOperator } from '../host/operator-factory.js';
import type { SubTopology } from './subtopologies.js';

/** Per operator: keyed state, operator state, timers, [event time, watermark sent, idle sent], and per cut input the upstream tasks' last markers. */
export type TaskState = Record<string, { keyed?: KeyedSnapshot; op?: unknown; timers?: TimerServiceSnapshot; wm?: [number, number, boolean]; cut?: [number, number, number, boolean][] }>;

export interface RepartitionRecord {
  topic: string;
  partition: number;
  /** msgpack of [inputIndex, record], or of a watermark marker [inputIndex, null, [upstream partition, watermark, idle]]. */
  value: Uint8Array;
}

export interface ChainOutput {
  /** Sink node id -> records, in order. */
  sinks: Map<string, unknown[]>;
  repartition: RepartitionRecord[];
}

/** What every task of a member shares: the job and the layout of its topics. */
export interface ChainSetup {
  graph: LogicalGraph;
  /** Partition count of each repartition topic. */
  repartitionPartitions: ReadonlyMap<string, number>;
  /** Node id -> task count of the sub-topology holding it (upstream tasks a cut input hears watermarks from). */
  tasksOfNode: ReadonlyMap<string, number>;
  log: Logger;
}

interface Route {
  to: LogicalNode;
  inputIndex: number;
  /** Set for a cut edge: the topic and how to pick its partition. */
  cut?: { topic: string; partitions: number; key?: (v: unknown) => unknown };
}

interface Running {
  node: LogicalNode;
  op: Operator;
  ctx: OperatorContext & { time: TimeContext };
  /** By input index: a local input's watermark, or a cut input's per upstream task. */
  inputs: (InputWatermark | InputWatermark[])[];
  out: { ts: number; idle: boolean };
  /** A watermark the operator emitted while running: sent after the records it emitted with it. */
  pending?: { ts: number; idle: boolean };
}

export class TaskChain {
  private readonly ops = new Map<string, Running>();
  private readonly routes = new Map<string, Route[]>();
  private readonly nodes: Map<string, LogicalNode>;
  private roundRobin = 0;
  private out: ChainOutput = { sinks: new Map(), repartition: [] };

  constructor(
    private readonly setup: ChainSetup,
    readonly sub: SubTopology,
    readonly partition: number,
    /** Tasks of this sub-topology (its input topics' partition count). */
    readonly partitions: number,
    restored: TaskState | undefined,
  ) {
    const { graph, repartitionPartitions, log } = setup;
    const inSub = new Set(sub.nodes);
    this.nodes = new Map(graph.nodes.map((n) => [n.id, n]));
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
      const node = this.nodes.get(id)!;
      if (node.kind === 'source' || node.kind === 'sink') continue;
      const keyedState = node.keySelector ? new KeyedStateStore(graph.maxParallelism, wallClock) : undefined;
      const timers = keyedState ? new TimerService(graph.maxParallelism) : undefined;
      const r: Running = {
        node,
        op: createOperator(node),
        inputs: node.inputs.map((e) => (inSub.has(e.from) ? fresh() : Array.from({ length: setup.tasksOfNode.get(e.from) ?? 1 }, fresh))),
        out: { ts: MIN_WATERMARK, idle: false },
        ctx: {
          operator: id,
          instance: partition,
          parallelism: partitions,
          clock: { now: () => Date.now() },
          log,
          keyedState,
          timers,
          time: { watermark: MIN_WATERMARK, processingTime: () => wallClock.now() },
          emitWatermark: (ts, idle) => void (r.pending = { ts, idle }),
          deadLetter: (record, error) => log.warn({ operator: id, partition, record, err: error }, `operator '${id}' skipped a record (onError: 'skip'): ${error.message}`),
        },
      };
      r.op.open?.(r.ctx);
      const saved = restored?.[id];
      if (saved?.keyed && keyedState) keyedState.restore([saved.keyed], range);
      if (saved?.timers && timers) timers.restore([saved.timers], range);
      if (saved?.op !== undefined) r.op.restore?.([saved.op]);
      if (saved?.wm) {
        r.ctx.time.watermark = saved.wm[0];
        r.out = { ts: saved.wm[1], idle: saved.wm[2] };
      }
      for (const [index, from, ts, idle] of saved?.cut ?? []) {
        const slot = r.inputs[index];
        if (Array.isArray(slot) && slot[from]) slot[from] = { ts, idle, finished: false };
      }
      this.ops.set(id, r);
    }
    // A local input starts at what its upstream operator last sent (restored above).
    for (const r of this.ops.values()) {
      r.node.inputs.forEach((e, i) => {
        const up = this.ops.get(e.from);
        if (up && !Array.isArray(r.inputs[i])) r.inputs[i] = { ts: up.out.ts, idle: up.out.idle, finished: false };
      });
    }
  }

  /** Records read by input node `node` (a source, or the operator behind a cut) on its input `inputIndex`; returns what leaves the task. */
  process(node: string, inputIndex: number, records: unknown[]): ChainOutput {
    this.out = { sinks: new Map(), repartition: [] };
    const n = this.nodes.get(node);
    if (!n || !this.sub.nodes.includes(node)) throw new Error(`bug: task ${this.sub.id}.${this.partition} has no node '${node}'`);
    if (n.kind === 'source') this.route(node, records);
    else this.push(n, inputIndex, records);
    return this.out;
  }

  /** A watermark marker of upstream task `from`, read by `node` on its cut input `inputIndex`. */
  watermark(node: string, inputIndex: number, from: number, ts: number, idle: boolean): ChainOutput {
    this.out = { sinks: new Map(), repartition: [] };
    const r = this.ops.get(node);
    const slot = r?.inputs[inputIndex];
    if (!r || !Array.isArray(slot)) throw new Error(`bug: task ${this.sub.id}.${this.partition}: a watermark marker for '${node}' input ${inputIndex}, which is not a cut input`);
    if (slot[from]) {
      slot[from] = { ts: Math.max(ts, slot[from].ts), idle, finished: false };
      this.advance(r);
    }
    return this.out;
  }

  /** Processing time `now`: the operators whose processing-time work is due run it. */
  tick(now: number): ChainOutput {
    this.out = { sinks: new Map(), repartition: [] };
    for (const r of this.ops.values()) {
      const due = r.op.nextProcessingTime?.();
      if (due !== undefined && due <= now) this.invoke(r, (c) => r.op.onProcessingTime?.(now, c));
    }
    return this.out;
  }

  /** When the next tick is due (ms since the epoch), if any operator wants one. */
  nextProcessingTime(): number | undefined {
    let next: number | undefined;
    for (const r of this.ops.values()) {
      const t = r.op.nextProcessingTime?.();
      if (t !== undefined && (next === undefined || t < next)) next = t;
    }
    return next;
  }

  snapshot(): TaskState {
    const s: TaskState = {};
    for (const [id, r] of this.ops) {
      const e: TaskState[string] = {};
      const keyed = r.ctx.keyedState?.snapshot();
      if (keyed !== undefined) e.keyed = keyed;
      const op = r.op.snapshot?.();
      if (op !== undefined) e.op = op;
      const timers = r.ctx.timers?.snapshot();
      if (timers) e.timers = timers;
      if (r.ctx.time.watermark !== MIN_WATERMARK || r.out.ts !== MIN_WATERMARK || r.out.idle) e.wm = [r.ctx.time.watermark, r.out.ts, r.out.idle];
      const cut: [number, number, number, boolean][] = [];
      r.inputs.forEach((slot, i) => {
        if (Array.isArray(slot)) slot.forEach((w, from) => (w.ts !== MIN_WATERMARK || w.idle) && cut.push([i, from, w.ts, w.idle]));
      });
      if (cut.length) e.cut = cut;
      if (Object.keys(e).length) s[id] = e;
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
    const r = this.ops.get(node.id);
    if (!r) throw new Error(`bug: operator '${node.id}' is not in task ${this.sub.id}.${this.partition}`);
    this.invoke(r, (c) => r.op.processBatch(records, c, inputIndex));
  }

  /** Runs the operator, routes what it emitted, then the watermark it emitted meanwhile (records first: they are not late). */
  private invoke(r: Running, run: (c: Collector) => void): void {
    const emitted: unknown[] = [];
    run({ emit: (v) => void emitted.push(v) });
    this.route(r.node.id, emitted);
    const w = r.pending;
    r.pending = undefined;
    if (w) this.send(r, w.ts, w.idle);
  }

  /** An input's watermark changed: the operator's event time is the minimum over its inputs. */
  private advance(r: Running): void {
    const v = combineWatermarks(r.inputs.flat());
    if (v.ts !== undefined && v.ts > r.ctx.time.watermark) {
      const ts = (r.ctx.time.watermark = v.ts);
      this.invoke(r, (c) => r.op.onWatermark?.(ts, c));
    }
    if (!r.op.ownsWatermarks) this.send(r, r.ctx.time.watermark, v.idle);
  }

  /** Sends the operator's watermark downstream (monotonic; repeats are not sent). */
  private send(r: Running, ts: number, idle: boolean): void {
    if (ts < r.out.ts) ts = r.out.ts;
    if (ts === r.out.ts && idle === r.out.idle) return;
    r.out = { ts, idle };
    for (const route of this.routes.get(r.node.id) ?? []) {
      if (route.cut) {
        const marker = encodeBatch([route.inputIndex, null, [this.partition, ts, idle]], { operator: r.node.id, instance: this.partition });
        for (let q = 0; q < route.cut.partitions; q++) this.out.repartition.push({ topic: route.cut.topic, partition: q, value: marker });
        continue;
      }
      const down = this.ops.get(route.to.id);
      if (!down) continue; // a sink: Kafka records carry no watermark
      down.inputs[route.inputIndex] = { ts, idle, finished: false };
      this.advance(down);
    }
  }

  private route(from: string, records: unknown[]): void {
    if (records.length === 0) return;
    for (const r of this.routes.get(from) ?? []) {
      if (!r.cut) {
        this.push(r.to, r.inputIndex, records);
        continue;
      }
      const { topic, partitions, key } = r.cut;
      for (const rec of records) {
        const partition = key ? instanceForKey(key(rec), this.setup.graph.maxParallelism, partitions) : this.roundRobin++ % partitions;
        this.out.repartition.push({ topic, partition, value: encodeBatch([r.inputIndex, rec], { operator: from, instance: this.partition }) });
      }
    }
  }
}

const fresh = (): InputWatermark => ({ ts: MIN_WATERMARK, idle: false, finished: false });
