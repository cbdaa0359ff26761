/**
 * `weir produce`: the reference producer. Sends `count` messages made from a
 * template ("Message {i}" -> "Message 0" .. "Message 99") to a topic, in
 * order, with an idempotent producer, and reports what it sent.
 */
import type { Logger } from '../../actors/contract.js';
import { createKafka, requireTopic } from './client.js';
import { topicPartitions } from './topics.js';

export interface ProduceOptions {
  brokers: string;
  topic: string;
  count: number;
  template: string;
  /** Create the topic (with this many partitions) when missing. */
  createTopic?: number;
  /** Message key template; none by default. */
  keyTemplate?: string;
}

export async function produce(o: ProduceOptions, log: Logger): Promise<number> {
  const topic = requireTopic(o.topic, 'weir produce');
  const kafka = await createKafka('weir-produce', { brokers: o.brokers }, log, 'weir produce', { readCommitted: false });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await topicPartitions(admin, topic, o.createTopic ? { partitions: o.createTopic } : undefined, 'weir produce');
  } finally {
    await admin.disconnect();
  }
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const fill = (t: string, i: number) => t.replaceAll('{i}', String(i));
  try {
    for (let start = 0; start < o.count; start += 1000) {
      const n = Math.min(1000, o.count - start);
      const messages = Array.from({ length: n }, (_, k) => ({ key: o.keyTemplate ? fill(o.keyTemplate, start + k) : null, value: fill(o.template, start + k) }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  return o.count;
}
