/**
 * Commits a Kafka source's checkpointed positions to its consumer group, for
 * monitoring tools (consumer lag) and `startFrom: 'committed'`; weir itself
 * resumes from its checkpoints, never from these.
 *
 * kafkajs commits offsets only as a member of the group, and weir's sources
 * are members of private groups (source.ts), so the commit goes through a
 * transaction instead: TxnOffsetCommit carries no member id or generation
 * and is accepted for a group without members (as Flink's KafkaSource
 * commits with no group membership). One producer per source instance,
 * created on the first commit; commits are serialized and coalesced, so a
 * slow broker costs at most one commit in flight plus the latest positions.
 */
import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '../../actors/contract.js';

export interface OffsetMonitor {
  /** Commit `offsets` (partition -> next offset); resolves when committed or given up (logged). */
  commit(offsets: Record<number, number>): Promise<void>;
  close(): Promise<void>;
}

export function offsetMonitor(kafka: Kafka, o: { topic: string; groupId: string; transactionalId: string; log: Logger }): OffsetMonitor {
  let producer: Producer | undefined;
  let latest: Record<number, number> | undefined;
  let running: Promise<void> | undefined;
  let warned = false;
  let closed = false;

  const commitOnce = async (offsets: Record<number, number>): Promise<void> => {
    // The coordinator answers CONCURRENT_TRANSACTIONS while it still completes the previous commit
    // (milliseconds; seen more often on Kafka 4): that is no failure, so try again shortly, quietly.
    for (let attempt = 0; ; attempt++) {
      const error = await tryCommit(offsets);
      if (!error) return;
      if (attempt < 5 && (error as { type?: string }).type === 'CONCURRENT_TRANSACTIONS') {
        await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
        continue;
      }
      const line = `kafka.source: committing positions to consumer group '${o.groupId}' (for monitoring only) failed; the next checkpoint tries again`;
      if (warned) o.log.debug({ err: error }, line);
      else o.log.warn({ err: error }, line);
      warned = true;
      return;
    }
  };

  /** One transaction that commits `offsets`; the error, if it failed (the producer is then dropped). */
  const tryCommit = async (offsets: Record<number, number>): Promise<unknown> => {
    producer ??= kafka.producer({ transactionalId: o.transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 30_000, retry: { retries: 3 } });
    const p = producer;
    try {
      await p.connect();
      const tx = await p.transaction();
      try {
        await tx.sendOffsets({ consumerGroupId: o.groupId, topics: [{ topic: o.topic, partitions: Object.entries(offsets).map(([partition, offset]) => ({ partition: Number(partition), offset: String(offset) })) }] });
        await tx.commit();
      } catch (e) {
        await tx.abort().catch(() => {});
        throw e;
      }
      return undefined;
    } catch (e) {
      producer = undefined;
      await p.disconnect().catch(() => {});
      return e;
    }
  };

  const drain = async (): Promise<void> => {
    while (latest && !closed) {
      const offsets = latest;
      latest = undefined;
      await commitOnce(offsets);
    }
    running = undefined;
  };

  return {
    commit(offsets) {
      if (closed || Object.keys(offsets).length === 0) return Promise.resolve();
      latest = offsets;
      running ??= drain();
      return running;
    },
    async close() {
      closed = true;
      await running?.catch(() => {});
      await producer?.disconnect().catch(() => {});
    },
  };
}
