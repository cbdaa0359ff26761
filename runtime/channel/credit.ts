/**
 * Credit-based flow control, as in Flink's network stack.
 *
 * Invariants:
 * - A sender never sends a data batch without credit: `credit` counts the
 *   receiver buffers it may fill. Control events (end-of-input) need none.
 * - The receiver starts the sender with `initialCredit` (its buffer count for
 *   the channel, known from the plan, so no round trip), and grants one credit
 *   back each time a batch has been consumed.
 * - Hence at most `initialCredit` batches of a channel are ever queued at the
 *   receiver or in flight, and memory per channel is bounded by
 *   initialCredit x batchSize records.
 *
 * Pure bookkeeping; the channel ends carry out the sends and grants.
 */
export class CreditLedger {
  /** Owned by the sending task's thread. */
  private credit: number;

  constructor(readonly initialCredit: number) {
    if (!Number.isInteger(initialCredit) || initialCredit < 1) throw new Error(`bug: initial credit must be >= 1, got ${initialCredit}`);
    this.credit = initialCredit;
  }

  get available(): number {
    return this.credit;
  }

  canSend(): boolean {
    return this.credit > 0;
  }

  /** Spend one credit on a batch. */
  spend(): void {
    if (this.credit <= 0) throw new Error('bug: sending without credit');
    this.credit--;
  }

  grant(n: number): void {
    if (!Number.isInteger(n) || n < 1) throw new Error(`bug: grant of ${n} credits`);
    this.credit += n;
    if (this.credit > this.initialCredit) throw new Error(`bug: credit ${this.credit} above the receiver's ${this.initialCredit} buffers`);
  }
}

/** Receiver side: counts queued batches against its buffers. */
export class BufferLedger {
  private queued = 0;
  constructor(readonly capacity: number) {}

  get length(): number {
    return this.queued;
  }

  receive(): void {
    if (this.queued >= this.capacity) throw new Error(`bug: batch received beyond ${this.capacity} buffers (sender ignored credit)`);
    this.queued++;
  }

  consume(): void {
    if (this.queued <= 0) throw new Error('bug: consumed a batch that was not queued');
    this.queued--;
  }
}
