/**
 * A checkpoint barrier travelling in a channel between data batches
 * (Chandy-Lamport, as Flink's CheckpointBarrier). Records before it belong
 * to checkpoint `id`'s state, records after it do not. Barriers need no
 * credit: at most one per checkpoint is in flight on a channel.
 */
export class Barrier {
  constructor(readonly id: number) {}
}
