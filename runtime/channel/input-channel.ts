/**
 * Receiver end of one channel: a FIFO of batches, barriers and watermarks
 * ending in an end event. A barrier at the head holds the channel for
 * alignment. A watermark takes effect when it reaches the head (after the
 * records before it were taken): it then sets the channel's `watermark` and
 * `idle` and raises `watermarkChanged` for the task. Each consumed batch
 * returns one credit to the sender. Owned by the receiving task's worker thread.
 */
import { Barrier } from './barrier.js';
import { MIN_WATERMARK, Watermark } from './watermark.js';
import { BufferLedger } from './credit.js';
import type { ChannelReceiver, CreditLink } from './transport.js';

export class InputChannel implements ChannelReceiver {
  private readonly queue: (unknown[] | Barrier | Watermark)[] = [];
  /** The last watermark that reached the head, and whether the sender is idle. */
  watermark = MIN_WATERMARK;
  idle = false;
  /** Set when watermark or idle changed; the task clears it after reading. */
  watermarkChanged = false;
  private head = 0;
  private readonly ledger: BufferLedger;
  private endReceived = false;

  constructor(
    readonly id: number,
    /** Index of the logical input of the receiving operator. */
    readonly inputIndex: number,
    capacity: number,
    private readonly credits: CreditLink,
    private readonly onData: () => void,
  ) {
    this.ledger = new BufferLedger(capacity);
  }

  deliverBatch(records: unknown[]): void {
    if (this.endReceived) throw new Error(`bug: batch after end on channel ${this.id}`);
    this.ledger.receive();
    this.queue.push(records);
    this.onData();
  }

  deliverBarrier(id: number): void {
    if (this.endReceived) throw new Error(`bug: barrier after end on channel ${this.id}`);
    this.queue.push(new Barrier(id));
    this.onData();
  }

  deliverWatermark(ts: number, idle: boolean): void {
    if (this.endReceived) throw new Error(`bug: watermark after end on channel ${this.id}`);
    if (this.head >= this.queue.length) {
      this.apply(ts, idle);
      this.onData();
    } else this.queue.push(new Watermark(ts, idle));
  }

  private apply(ts: number, idle: boolean): void {
    if (ts > this.watermark) this.watermark = ts;
    this.idle = idle;
    this.watermarkChanged = true;
  }

  deliverEnd(): void {
    this.endReceived = true;
    this.onData();
  }

  get queued(): number {
    return this.ledger.length;
  }

  /** Queued records (for metrics). */
  get queuedRecords(): number {
    let n = 0;
    for (let i = this.head; i < this.queue.length; i++) {
      const q = this.queue[i];
      if (Array.isArray(q)) n += q.length;
    }
    return n;
  }

  /** A data batch is at the head (a barrier at the head blocks the channel). */
  hasData(): boolean {
    return this.head < this.queue.length && Array.isArray(this.queue[this.head]);
  }

  /** The id of the barrier at the head, if one is. */
  headBarrier(): number | undefined {
    const q = this.queue[this.head];
    return this.head < this.queue.length && q instanceof Barrier ? q.id : undefined;
  }

  popBarrier(): void {
    if (this.headBarrier() === undefined) throw new Error('bug: popBarrier() without a barrier at the head');
    this.advance();
  }

  /** Ended and fully consumed. */
  get finished(): boolean {
    return this.endReceived && this.head >= this.queue.length;
  }

  /** Take the next batch; call `release()` once it has been processed. */
  take(): unknown[] {
    if (!this.hasData()) throw new Error('bug: take() without a batch at the head');
    const b = this.queue[this.head] as unknown[];
    this.advance();
    return b;
  }

  private advance(): void {
    this.queue[this.head++] = undefined as never;
    for (let q = this.queue[this.head]; q instanceof Watermark; q = this.queue[this.head]) {
      this.apply(q.ts, q.idle);
      this.queue[this.head++] = undefined as never;
    }
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The batch taken last has been consumed: give its buffer back. */
  release(): void {
    this.ledger.consume();
    this.credits.grant(1);
  }
}
