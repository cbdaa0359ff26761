/**
 * Reads partition p of some topics from given offsets, with read_committed:
 * a task's input, or its changelog while it restores.
 *
 * kafkajs has no manual assign() (kafkajs#373), so, as weir's kafka.source
 * does, the reader joins a private consumer group of its own (a fresh name,
 * one member, never committed to) with an assigner that hands it partition
 * p of every topic, and seeks to its start offsets when it joins. Positions
 * live in the task's transactions, not in this group.
 *
 * Each batch comes with the offset of the last entry the fetch held, records
 * kafkajs filtered out included (transaction markers, aborted records): the
 * reader's position is past them. A fetch that held nothing else (kafkajs
 * calls no eachBatch for it, only reports it) is handed over empty, in
 * order with the others.
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
  /** Handles one fetched batch (maybe empty: markers only); the next batch of the partition waits for it. */
  onBatch(topic: string, messages: KafkaMessage[], highWatermark: number, lastOffset: number): Promise<void>;
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
  // Batches are handled one at a time, the filtered-out ones (reported by an event kafkajs does not wait for) included.
  let tail: Promise<void> = Promise.resolve();
  const inOrder = (f: () => Promise<void>): Promise<void> => (tail = tail.then(f, f));
  consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
    const b = e.payload as { topic: string; batchSize: number; firstOffset: string | null; lastOffset: string; highWatermark: string };
    // firstOffset null: all below the fetch offset (compaction), nothing to skip.
    if (closed || b.batchSize > 0 || b.firstOffset === null) return;
    void inOrder(() => o.onBatch(b.topic, [], Number(b.highWatermark), Number(b.lastOffset))).catch((err: Error) => o.onCrash(err));
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
      await inOrder(() => o.onBatch(batch.topic, batch.messages, Number(batch.highWatermark), Number(batch.lastOffset())));
    },
  });
  return {
    async close() {
      closed = true;
      await consumer.disconnect().catch(() => {});
    },
  };
}
