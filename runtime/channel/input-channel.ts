/**
 * Receiver end of one channel: a FIFO of batches ending in an end event.
 * Each consumed batch returns one credit to the sender. Owned by the
 * receiving task's worker thread.
 */
import { BufferLedger } from './credit.js';
import type { ChannelReceiver, CreditLink } from './transport.js';

export class InputChannel implements ChannelReceiver {
  private readonly queue: unknown[][] = [];
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
    for (let i = this.head; i < this.queue.length; i++) n += this.queue[i].length;
    return n;
  }

  hasData(): boolean {
    return this.head < this.queue.length;
  }

  /** Ended and fully consumed. */
  get finished(): boolean {
    return this.endReceived && this.head >= this.queue.length;
  }

  /** Take the next batch; call `release()` once it has been processed. */
  take(): unknown[] {
    if (this.head >= this.queue.length) throw new Error('bug: take() on an empty channel');
    const b = this.queue[this.head];
    this.queue[this.head++] = undefined as never;
    if (this.head > 64 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    return b;
  }

  /** The batch taken last has been consumed: give its buffer back. */
  release(): void {
    this.ledger.consume();
    this.credits.grant(1);
  }
}
