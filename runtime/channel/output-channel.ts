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

const NOT_BLOCKED = -Infinity;

export class OutputChannel implements CreditReceiver {
  /**
   * The open buffer: allocated at batchSize and filled by index up to `fill`, so a batch costs one
   * allocation (an array grown by push() reallocates about six times on the way to 256).
   */
  private buffer: unknown[];
  private fill = 0;
  /** Batches waiting for credit, and barriers queued behind them (order is kept). */
  private readonly sealed: (unknown[] | Barrier | Watermark)[] = [];
  private readonly ledger: CreditLedger;
  private ending = false;
  private ended = false;
  /**
   * When the wait for credit in progress began (NOT_BLOCKED: none). Both fields hold fractional ms
   * and start as doubles (-Infinity and -0, not -1 and 0): a field that turns from a small integer
   * into a double changes the class's hidden class mid-run, which deoptimized every function that
   * routes records into a channel (`--trace-deopt`: "wrong map" in routeAll and push).
   */
  private blockedSince = NOT_BLOCKED;
  /** Ms of the waits for credit that ended. */
  private waitedMs = -0;

  constructor(
    readonly id: number,
    private readonly link: ChannelLink,
    initialCredit: number,
    private readonly batchSize: number,
    private readonly onUnblocked: () => void,
    private readonly now: () => number,
  ) {
    this.ledger = new CreditLedger(initialCredit);
    this.buffer = newBuffer(batchSize);
  }

  /** Total ms this channel held sealed batches without credit, the wait in progress included (a channel blocked for a whole metrics interval reports it). */
  get backpressuredMs(): number {
    return this.waitedMs + (this.blockedSince >= 0 ? this.now() - this.blockedSince : 0);
  }

  push(record: unknown): void {
    this.buffer[this.fill++] = record;
    if (this.fill >= this.batchSize) this.seal();
  }

  /** push() of each record, in order, with whole batches cut as slices (one copy, no per-record call). */
  pushAll(records: readonly unknown[]): void {
    const n = records.length;
    const size = this.batchSize;
    let i = 0;
    while (i < n) {
      if (this.fill === 0 && n - i >= size) {
        this.sealed.push(records.slice(i, i + size));
        i += size;
        continue;
      }
      const b = this.buffer;
      const end = Math.min(n, i + size - this.fill);
      for (; i < end; i++) b[this.fill++] = records[i];
      if (this.fill >= size) this.sealOpen();
    }
    this.drain();
  }

  get buffered(): number {
    return this.fill;
  }

  /**
   * Move the open buffer's records to the sealed queue. A full buffer goes as it is; a partial one
   * (a flush: bufferTimeout, idle, barrier) as a copy of its records, and the buffer is kept, so a
   * trickle of small batches does not allocate batchSize slots each.
   */
  private sealOpen(): void {
    const n = this.fill;
    if (n === 0) return;
    const b = this.buffer;
    if (n === this.batchSize) {
      this.sealed.push(b);
      this.buffer = newBuffer(this.batchSize);
    } else {
      this.sealed.push(b.slice(0, n));
      b.fill(undefined, 0, n); // drop the references: the records belong to the batch now
    }
    this.fill = 0;
  }

  /** Seal the open buffer (if any) and send what credit allows. */
  seal(): void {
    this.sealOpen();
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
    this.sealOpen();
    this.sealed.push(new Barrier(id));
    this.drain();
  }

  /** Watermark: flush, then send it after the last batch before it (no credit needed, as barriers). */
  watermark(ts: number, idle: boolean): void {
    this.sealOpen();
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
        this.blockedSince = NOT_BLOCKED;
      }
      if (this.ending && !this.ended) {
        this.ended = true;
        this.link.sendEnd();
      }
    }
  }
}

/**
 * Slots for a batch; a very large batchSize grows its buffer by appends past this. The first slot
 * is set here so the array leaves V8's small-integer elements kind at once: the hot push() then
 * only ever sees one kind of array (a kind change there deoptimized the routing loop).
 */
function newBuffer(batchSize: number): unknown[] {
  const b = new Array<unknown>(Math.min(batchSize, 4096));
  b[0] = undefined;
  return b;
}
