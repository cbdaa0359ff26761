/**
 * All outputs of one actor: one edge per downstream operator, each with a
 * partitioner choosing the channel(s) for a record. It is the `Collector`
 * the operator emits into.
 *
 * Buffer flushing (the latency knob):
 * - a buffer is sealed when it holds `batchSize` records;
 * - when the actor runs out of input (idle), all buffers are sealed at once,
 *   so a trickle of records is not held back;
 * - while the actor stays busy, no record waits longer than `bufferTimeout`
 *   ms; `bufferTimeout: 0` seals after every record (lowest latency).
 */
import type { Collector } from '../../actors/contract.js';
import { instanceForKey, type Key } from '../../actors/key-groups.js';
import type { ChannelPartitioning } from '../plan/plan.js';
import type { OutputChannel } from './output-channel.js';

export interface OutputEdge {
  partitioning: ChannelPartitioning;
  channels: OutputChannel[];
  keySelector?: (value: unknown) => Key;
  maxParallelism: number;
  /** Round-robin cursor for rebalance. */
  next: number;
}

export class OutputGate implements Collector {
  private readonly all: OutputChannel[];
  private readonly single: OutputChannel | undefined;
  recordsOut = 0;
  private oldestUnflushed = -1;
  private cancelFlush: (() => void) | undefined;

  constructor(
    private readonly edges: OutputEdge[],
    private readonly bufferTimeout: number,
    private readonly now: () => number,
  ) {
    this.all = edges.flatMap((e) => e.channels);
    // Fast path: one forward edge, the common chained case.
    this.single = edges.length === 1 && edges[0].partitioning === 'forward' ? edges[0].channels[0] : undefined;
  }

  emit(record: unknown): void {
    this.recordsOut++;
    if (this.single) this.single.push(record);
    else for (let i = 0; i < this.edges.length; i++) this.route(this.edges[i], record);
    if (this.bufferTimeout === 0) this.sealAll();
    else if (this.oldestUnflushed < 0) this.oldestUnflushed = this.now();
  }

  /**
   * emit() of each record, in order, at batch cost: the per-record checks run once, a forward
   * edge takes whole slices, a hash edge partitions in one tight loop. With bufferTimeout 0
   * every record is still sealed on its own.
   */
  emitAll(records: readonly unknown[]): void {
    const n = records.length;
    if (n === 0) return;
    if (this.bufferTimeout === 0) {
      for (let i = 0; i < n; i++) this.emit(records[i]);
      return;
    }
    if (this.single) this.single.pushAll(records);
    else for (let i = 0; i < this.edges.length; i++) this.routeAll(this.edges[i], records);
    this.recordsOut += n;
    if (this.oldestUnflushed < 0) this.oldestUnflushed = this.now();
  }

  private routeAll(edge: OutputEdge, records: readonly unknown[]): void {
    const chs = edge.channels;
    switch (edge.partitioning) {
      case 'forward':
        chs[0].pushAll(records);
        return;
      case 'hash': {
        const select = edge.keySelector!;
        const maxP = edge.maxParallelism;
        const p = chs.length;
        for (let i = 0; i < records.length; i++) chs[instanceForKey(select(records[i]), maxP, p)].push(records[i]);
        return;
      }
      case 'broadcast':
        for (let i = 0; i < chs.length; i++) chs[i].pushAll(records);
        return;
      default:
        for (let i = 0; i < records.length; i++) this.route(edge, records[i]);
    }
  }

  private route(edge: OutputEdge, record: unknown): void {
    const chs = edge.channels;
    switch (edge.partitioning) {
      case 'forward':
        chs[0].push(record);
        return;
      case 'hash':
        chs[instanceForKey(edge.keySelector!(record), edge.maxParallelism, chs.length)].push(record);
        return;
      case 'rebalance':
        chs[edge.next].push(record);
        edge.next = edge.next + 1 === chs.length ? 0 : edge.next + 1;
        return;
      case 'broadcast':
        for (let i = 0; i < chs.length; i++) chs[i].push(record);
        return;
    }
  }

  /** Any channel holds batches without credit: the actor must wait. */
  get blocked(): boolean {
    const chs = this.all;
    for (let i = 0; i < chs.length; i++) if (chs[i].blocked) return true;
    return false;
  }

  /** Called by the task after each step. */
  afterStep(idle: boolean): void {
    if (this.oldestUnflushed < 0) return;
    if (idle || this.now() - this.oldestUnflushed >= this.bufferTimeout) this.sealAll();
  }

  /** While the actor stays busy, flush open buffers by bufferTimeout at the latest (a timer). */
  armFlush(timers: { set(ms: number, fn: () => void): () => void }): void {
    const due = this.flushDueIn();
    if (due < 0 || this.cancelFlush) return;
    this.cancelFlush = timers.set(due, () => {
      this.cancelFlush = undefined;
      this.afterStep(false);
      this.armFlush(timers);
    });
  }

  cancelFlushTimer(): void {
    this.cancelFlush?.();
    this.cancelFlush = undefined;
  }

  /** Ms until the oldest unflushed record reaches bufferTimeout, or -1 if none. */
  flushDueIn(): number {
    if (this.oldestUnflushed < 0) return -1;
    return Math.max(0, this.bufferTimeout - (this.now() - this.oldestUnflushed));
  }

  sealAll(): void {
    for (let i = 0; i < this.all.length; i++) this.all[i].seal();
    this.oldestUnflushed = -1;
  }

  /** Forward checkpoint barrier `id` on every channel, after the records before it. */
  barrier(id: number): void {
    for (const c of this.all) c.barrier(id);
    this.oldestUnflushed = -1;
  }

  /** Forward a watermark (or idleness) on every channel, after the records before it. */
  watermark(ts: number, idle: boolean): void {
    for (const c of this.all) c.watermark(ts, idle);
    this.oldestUnflushed = -1;
  }

  endAll(): void {
    for (const c of this.all) c.end();
    this.oldestUnflushed = -1;
  }

  get channels(): readonly OutputChannel[] {
    return this.all;
  }

  get backpressuredMs(): number {
    let ms = 0;
    for (const c of this.all) ms += c.backpressuredMs;
    return ms;
  }
}
