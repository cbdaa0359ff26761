/**
 * Watermarks in channels (as Flink's Watermark and WatermarkStatus): an
 * in-band event after the records it follows. `ts` says no record with a
 * timestamp <= ts will follow on this channel; `idle` says the channel has
 * no data for now and must not hold back its receiver's event time (its
 * `ts` is then the last watermark it sent). Like barriers, watermarks need
 * no credit: a sender emits them periodically, not per record.
 *
 * Invariant: on one channel, `ts` never decreases (senders clamp).
 */
export class Watermark {
  constructor(
    readonly ts: number,
    readonly idle: boolean,
  ) {}
}

/** End of event time: a bounded input has ended, every event-time timer and window may fire. */
export const MAX_WATERMARK = Number.POSITIVE_INFINITY;
/** No watermark yet. */
export const MIN_WATERMARK = Number.NEGATIVE_INFINITY;
