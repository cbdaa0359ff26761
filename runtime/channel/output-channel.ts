/**
 * Sender end of one channel. Records are appended to an open buffer; a full
 * buffer (batchSize records) is sealed into a batch; batches go out only
 * against credit (see credit.ts). A channel with sealed batches waiting for
 * credit is `blocked`, which stops its actor from running: backpressure.
 * Owned by the sending task's worker thread.
 */
import { Barrier } from './barrier.js';
import { CreditLedger } from './credit.js';
import { Watermark } from './watermark.js';
import type { ChannelLink, CreditReceiver } from './transport.js';

export class OutputChannel implements CreditReceiver {
  private buffer: unknown[] = [];
  /** Batches waiting for credit, and barriers queued behind them (order is kept). */
  private readonly sealed: (unknown[] | Barrier | Watermark)[] = [];
  private readonly ledger: CreditLedger;
  private ending = false;
  private ended = false;
  private blockedSince = -1;
  /** Ms of the waits for credit that ended. */
  private waitedMs = 0;

  constructor(
    readonly id: number,
    private readonly link: ChannelLink,
    initialCredit: number,
    private readonly batchSize: number,
    private readonly onUnblocked: () => void,
    private readonly now: () => number,
  ) {
    this.ledger = new CreditLedger(initialCredit);
  }

  /** Total ms this channel held sealed batches without credit, the wait in progress included (a channel blocked for a whole metrics interval reports it). */
  get backpressuredMs(): number {
    return this.waitedMs + (this.blockedSince >= 0 ? this.now() - this.blockedSince : 0);
  }

  push(record: unknown): void {
    const b = this.buffer;
    b.push(record);
    if (b.length >= this.batchSize) this.seal();
  }

  /** push() of each record, in order, with whole batches cut as slices (one copy, no per-record call). */
  pushAll(records: readonly unknown[]): void {
    const n = records.length;
    const size = this.batchSize;
    let i = 0;
    while (i < n) {
      const b = this.buffer;
      if (b.length === 0 && n - i >= size) {
        this.sealed.push(records.slice(i, i + size));
        i += size;
        continue;
      }
      const end = Math.min(n, i + size - b.length);
      for (; i < end; i++) b.push(records[i]);
      if (b.length >= size) {
        this.sealed.push(b);
        this.buffer = [];
      }
    }
    this.drain();
  }

  get buffered(): number {
    return this.buffer.length;
  }

  /** Seal the open buffer (if any) and send what credit allows. */
  seal(): void {
    if (this.buffer.length > 0) {
      this.sealed.push(this.buffer);
      this.buffer = [];
    }
    this.drain();
  }

  /** Sealed batches waiting for credit: the actor must not produce more. */
  get blocked(): boolean {
    return this.sealed.length > 0;
  }

  get credit(): number {
    return this.ledger.available;
  }

  /** Checkpoint barrier: flush, then send the barrier after the last batch before it. */
  barrier(id: number): void {
    if (this.buffer.length > 0) {
      this.sealed.push(this.buffer);
      this.buffer = [];
    }
    this.sealed.push(new Barrier(id));
    this.drain();
  }

  /** Watermark: flush, then send it after the last batch before it (no credit needed, as barriers). */
  watermark(ts: number, idle: boolean): void {
    if (this.buffer.length > 0) {
      this.sealed.push(this.buffer);
      this.buffer = [];
    }
    this.sealed.push(new Watermark(ts, idle));
    this.drain();
  }

  /** End of input: flush, then send the end event after the last batch. */
  end(): void {
    this.ending = true;
    this.seal();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  grant(n: number): void {
    this.ledger.grant(n);
    const wasBlocked = this.sealed.length > 0;
    this.drain();
    if (wasBlocked && this.sealed.length === 0) this.onUnblocked();
  }

  private drain(): void {
    for (;;) {
      const head = this.sealed[0];
      if (head === undefined) break;
      if (head instanceof Barrier) {
        this.sealed.shift();
        this.link.sendBarrier(head.id);
        continue;
      }
      if (head instanceof Watermark) {
        this.sealed.shift();
        this.link.sendWatermark(head.ts, head.idle);
        continue;
      }
      if (!this.ledger.canSend()) break;
      this.ledger.spend();
      this.link.sendBatch(this.sealed.shift() as unknown[]);
    }
    if (this.sealed.length > 0) {
      if (this.blockedSince < 0) this.blockedSince = this.now();
    } else {
      if (this.blockedSince >= 0) {
        this.waitedMs += this.now() - this.blockedSince;
        this.blockedSince = -1;
      }
      if (this.ending && !this.ended) {
        this.ended = true;
        this.link.sendEnd();
      }
    }
  }
}
