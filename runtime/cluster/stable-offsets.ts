/**
 * A kafkajs admin whose ListOffsets ask for read_committed end offsets (the
 * last stable offset, LSO), as a read_committed consumer sees them: records
 * of open transactions are not "there" yet, so a task that has read
 * everything it can read is not counted as lagging behind them.
 *
 * kafkajs 2.2.4 has no option for it: its admin's cluster is built without an
 * isolation level, which encodes as read_uncommitted (the high watermark).
 * The Kafka client builds every cluster through one private factory; this
 * wraps it for the one admin it returns. package.json pins kafkajs to 2.2.4
 * (see connectors/kafka/kafkajs-fix.ts for the other fixes on that version).
 */
import type { Admin, Kafka } from 'kafkajs';

const READ_COMMITTED = 1;

export function readCommittedAdmin(kafka: Kafka): Admin {
  const k = kafka as unknown as Record<symbol, (o: Record<string, unknown>) => unknown>;
  const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!factory || typeof k[factory] !== 'function') throw new Error('bug: kafkajs has no private cluster factory (weir needs kafkajs 2.2.4 exactly)');
  const original = k[factory];
  k[factory] = (o) => original({ ...o, isolationLevel: READ_COMMITTED });
  try {
    return kafka.admin();
  } finally {
    k[factory] = original;
  }
}

/** Partition -> { low, end } of `topic`, end being the last stable offset. */
export async function stableOffsets(admin: Admin, topic: string): Promise<Map<number, { low: number; end: number }>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: Number(o.low), end: Number(o.high) }]));
}
