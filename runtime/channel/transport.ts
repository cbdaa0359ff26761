/**
 * The tiny push interface between a channel's two ends (as timely-dataflow's
 * communication layer): the sender end pushes batches and events through a
 * `ChannelLink`; the receiver end returns credit through a `CreditLink`.
 * Implementations: in-memory (same worker, no serialization) here, and
 * MessagePort (another worker, msgpackr) in the worker host's port router.
 */
export interface ChannelLink {
  sendBatch(records: unknown[]): void;
  sendBarrier(id: number): void;
  /** Watermark `ts` (see watermark.ts); `idle`: the sender has no data for now. */
  sendWatermark(ts: number, idle: boolean): void;
  sendEnd(): void;
}

export interface CreditLink {
  grant(n: number): void;
}

/** What a receiver end accepts (called by a link). */
export interface ChannelReceiver {
  deliverBatch(records: unknown[]): void;
  deliverBarrier(id: number): void;
  deliverWatermark(ts: number, idle: boolean): void;
  deliverEnd(): void;
}

/** What a sender end accepts (called by a credit link). */
export interface CreditReceiver {
  grant(n: number): void;
}

/** Same-worker link: hands the array itself to the receiver. */
export function localLink(receiver: () => ChannelReceiver): ChannelLink {
  return {
    sendBatch: (records) => receiver().deliverBatch(records),
    sendBarrier: (id) => receiver().deliverBarrier(id),
    sendWatermark: (ts, idle) => receiver().deliverWatermark(ts, idle),
    sendEnd: () => receiver().deliverEnd(),
  };
}

export function localCreditLink(sender: () => CreditReceiver | undefined): CreditLink {
  // A release that lands after its region was reset finds no sender: the rebuilt channel starts with full credit.
  return { grant: (n) => sender()?.grant(n) };
}
