/**
 * Reads partition p of some topics from given offsets, with read_committed:
 * a task's input, or its changelog while it restores.
 *
 * kafkajs has no manual assign() (kafkajs#373), so, as weir's kafka.source
 * does, the reader joins a private consumer group of its own (a fresh name,
 * one member, never committed to) with an assigner that hands it partition
 * p of every topic, and seeks to its start offsets when it joins. Positions
 * live in the task's transactions, not in this group.
 */
import { randomBytes } from 'node:crypto';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { instanceAssigner } from '../../connectors/kafka/assigner.js';

export interface ReaderOptions {
  /** Prefix of the private group's name. */
  group: string;
  topics: string[];
  partition: number;
  /** Partitions of each topic (they are co-partitioned). */
  partitions: number;
  /** Next offset to read per topic, asked on every (re)join; a topic without one is read from its start. */
  from: () => ReadonlyMap<string, number>;
  /** Handles one fetched batch; the next batch of the partition waits for it. */
  onBatch(topic: string, messages: KafkaMessage[], highWatermark: number): Promise<void>;
  onCrash(error: Error): void;
}

export interface PartitionReader {
  close(): Promise<void>;
}

export async function readPartition(kafka: Kafka, o: ReaderOptions): Promise<PartitionReader> {
  const { AssignerProtocol } = await import('kafkajs');
  let closed = false;
  const consumer: Consumer = kafka.consumer({
    groupId: `${o.group}.${o.partition}-${randomBytes(4).toString('hex')}`,
    partitionAssigners: [instanceAssigner({ instance: o.partition, parallelism: o.partitions }, AssignerProtocol)],
    maxWaitTimeInMs: 50,
    sessionTimeout: 10_000,
    retry: { retries: 5, restartOnFailure: async () => !closed },
  });
  consumer.on(consumer.events.GROUP_JOIN, () => {
    for (const [topic, offset] of o.from()) consumer.seek({ topic, partition: o.partition, offset: String(offset) });
  });
  consumer.on(consumer.events.CRASH, (e) => {
    if (!e.payload.restart && !closed) o.onCrash(e.payload.error);
  });
  await consumer.connect();
  await consumer.subscribe({ topics: o.topics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 1,
    eachBatch: async ({ batch, isRunning, isStale }) => {
      if (closed || !isRunning() || isStale() || batch.messages.length === 0) return;
      await o.onBatch(batch.topic, batch.messages, Number(batch.highWatermark));
    },
  });
  return {
    async close() {
      closed = true;
      await consumer.disconnect().catch(() => {});
    },
  };
}
