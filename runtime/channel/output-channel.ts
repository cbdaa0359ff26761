/**
 * Sender end of one channel. Records are appended to an open buffer; a full
 * buffer (batchSize records) is sealed into a batch; batches go out only
 * against credit (see credit.ts). A channel with sealed batches waiting for
 * credit is `blocked`, which stops its actor from running: backpressure.
 * Owned by the sending task's worker thread.
 */
import { CreditLedger } from './credit.js';
import type { ChannelLink, CreditReceiver } from './transport.js';

export class OutputChannel implements CreditReceiver {
  private buffer: unknown[] = [];
  private readonly sealed: unknown[][] = [];
  private readonly ledger: CreditLedger;
  private ending = false;
  private ended = false;
  private blockedSince = -1;
  /** Total ms this channel held sealed batches without credit. */
  backpressuredMs = 0;

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

  push(record: unknown): void {
    const b = this.buffer;
    b.push(record);
    if (b.length >= this.batchSize) this.seal();
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
    while (this.sealed.length > 0 && this.ledger.canSend()) {
      this.ledger.spend();
      this.link.sendBatch(this.sealed.shift()!);
    }
    if (this.sealed.length > 0) {
      if (this.blockedSince < 0) this.blockedSince = this.now();
    } else {
      if (this.blockedSince >= 0) {
        this.backpressuredMs += this.now() - this.blockedSince;
        this.blockedSince = -1;
      }
      if (this.ending && !this.ended) {
        this.ended = true;
        this.link.sendEnd();
      }
    }
  }
}
