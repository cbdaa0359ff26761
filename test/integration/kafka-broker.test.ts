// A real Kafka broker (test/services/kafka.mjs) driven with kafkajs: topic
// creation, ordered produce/consume of 100 records, and transactions seen
// through a read_committed consumer. Proves the test broker is fit for the
// Kafka connector's and the scale-out transport's integration tests.
//
// The broker normally comes from the vitest globalSetup
// test/services/kafka-global-setup.mjs; beforeAll also calls startKafka(),
// which reuses a running broker (a cheap probe) or starts one, so this file
// also works on its own.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type KafkaMessage } from 'kafkajs';
import { KAFKA_BROKERS, startKafka } from '../services/kafka.mjs';

const brokers = [process.env.WEIR_TEST_KAFKA_BROKERS ?? KAFKA_BROKERS];
const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
/** Bound on polls for broker-side readiness (a leader, transaction markers): a hang detector, far above the ~100 ms idle / seconds loaded they take. */
const READY_BOUND_MS = 40_000;
const unique = (name: string) => `weir-it-${name}-${runId}`;

// kafkajs logs retriable broker answers (a coordinator still loading on first
// use, CONCURRENT_TRANSACTIONS right after a commit) at ERROR and then retries;
// real failures surface as rejected promises. Set WEIR_KAFKAJS_LOG=1 to see them.
const kafka = new Kafka({
  clientId: unique('client'),
  brokers,
  logLevel: process.env.WEIR_KAFKAJS_LOG ? logLevel.INFO : logLevel.NOTHING,
  retry: { initialRetryTime: 100, retries: 8 },
});

let admin: Admin;
const createdTopics: string[] = [];
const consumers: Consumer[] = [];

async function createTopic(name: string): Promise<string> {
  const topic = unique(name);
  const created = await admin.createTopics({
    topics: [{ topic, numPartitions: 1, replicationFactor: 1 }],
    waitForLeaders: false, // not kafkajs' wait: kafkajs gives up on the UNKNOWN_TOPIC_OR_PARTITION a broker answers until its metadata catches up
  });
  expect(created).toBe(true);
  createdTopics.push(topic);
  // Wait until metadata shows the partition with a leader. READY_BOUND_MS only turns a broker that
  // never elects one into a clear failure (idle: ~100 ms; a loaded CI machine: seconds).
  const deadline = performance.now() + READY_BOUND_MS;
  for (;;) {
    try {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const partitions = md.topics.find((t) => t.name === topic)?.partitions ?? [];
      if (partitions.length === 1 && partitions[0].leader >= 0) return topic;
    } catch {
      // UNKNOWN_TOPIC_OR_PARTITION while metadata propagates
    }
    if (performance.now() > deadline) throw new Error(`topic ${topic} has no leader after ${READY_BOUND_MS} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Consume `topic` from the beginning with a fresh group until `done(values)`; return the values. */
async function consumeUntil(
  topic: string,
  options: { readUncommitted: boolean },
  done: (values: string[]) => boolean,
  timeoutMs = 30_000,
): Promise<string[]> {
  const consumer = kafka.consumer({
    groupId: unique(`group-${randomBytes(2).toString('hex')}`),
    readUncommitted: options.readUncommitted,
    maxWaitTimeInMs: 100,
  });
  consumers.push(consumer);
  const values: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let finished!: () => void;
  const finishedP = new Promise<void>((resolve) => (finished = resolve));
  await consumer.run({
    eachMessage: async ({ message }: { message: KafkaMessage }) => {
      values.push(message.value?.toString() ?? '<null>');
      if (done(values)) finished();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${timeoutMs} ms; got ${values.length} values: ${values.slice(0, 20).join(', ')}`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([finishedP, timeout]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return values;
}

describe('real Kafka broker (test/services/kafka.mjs)', () => {
  beforeAll(async () => {
    await startKafka();
    admin = kafka.admin();
    await admin.connect();
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(consumers.map((c) => c.disconnect()));
    if (admin) {
      if (createdTopics.length > 0) await admin.deleteTopics({ topics: createdTopics }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('produces 100 messages and consumes exactly those, in order, from the beginning', async () => {
    const topic = await createTopic('ordered');
    expect(await admin.listTopics()).toContain(topic);

    const expected = Array.from({ length: 100 }, (_, i) => `Message ${i}`);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      // Several sends, each awaited, so order across batches is part of the check.
      for (let i = 0; i < expected.length; i += 25) {
        await producer.send({ topic, acks: -1, messages: expected.slice(i, i + 25).map((value) => ({ value })) });
      }
    } finally {
      await producer.disconnect();
    }

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets).toHaveLength(1);
    expect(offsets[0].high).toBe('100');

    // The high watermark above already rules out duplicates in the log; `got`
    // also holds anything delivered after the 100th value, before disconnect.
    const got = await consumeUntil(topic, { readUncommitted: false }, (v) => v.length >= expected.length);
    expect(got).toEqual(expected);
  }, 120_000);

  it('a read_committed consumer sees committed transactions and not an aborted one', async () => {
    const topic = await createTopic('txn');
    const producer = kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      transactionalId: unique('txn-producer'),
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const committed1 = Array.from({ length: 5 }, (_, i) => `committed-a ${i}`);
    const aborted = Array.from({ length: 5 }, (_, i) => `aborted ${i}`);
    const committed2 = Array.from({ length: 5 }, (_, i) => `committed-b ${i}`);
    try {
      let txn = await producer.transaction();
      await txn.send({ topic, messages: committed1.map((value) => ({ value })) });
      await txn.commit();

      txn = await producer.transaction();
      await txn.send({ topic, messages: aborted.map((value) => ({ value })) });
      await txn.abort();

      // A later commit, so a read_committed reader must step over the aborted batch to reach it.
      txn = await producer.transaction();
      await txn.send({ topic, messages: committed2.map((value) => ({ value })) });
      await txn.commit();
    } finally {
      await producer.disconnect();
    }

    // 15 data records + 3 transaction markers end up in the log. The
    // coordinator writes the markers after EndTxn has answered, so poll (bounded as above).
    const deadline = performance.now() + READY_BOUND_MS;
    let high = '';
    while (performance.now() < deadline) {
      high = (await admin.fetchTopicOffsets(topic))[0].high;
      if (high === '18') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(high).toBe('18');

    const last = committed2[committed2.length - 1];
    const [readCommitted, readUncommitted] = await Promise.all([
      consumeUntil(topic, { readUncommitted: false }, (v) => v.includes(last)),
      consumeUntil(topic, { readUncommitted: true }, (v) => v.includes(last)),
    ]);

    expect(readCommitted).toEqual([...committed1, ...committed2]);
    expect(readCommitted.some((v) => v.startsWith('aborted'))).toBe(false);
    // The aborted records really are in the log: a read_uncommitted reader sees them.
    expect(readUncommitted).toEqual([...committed1, ...aborted, ...committed2]);
  }, 120_000);
});
