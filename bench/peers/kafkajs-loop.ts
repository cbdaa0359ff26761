/**
 * kafkajs peer of the `kafka` benchmark (bench/kafka.ts): a hand-written
 * consume -> map -> produce loop, the baseline a Node user would write
 * without weir. The bench starts two of these worker threads, one consumer
 * each in one consumer group (so each gets one of the input topic's two
 * partitions, as weir's two source instances do).
 *
 * - consumer: kafkajs defaults (read_committed, autoCommit every 5 s),
 *   `eachBatch`;
 * - map: `"Processed: " + value`;
 * - producer: idempotent (acks -1), the batch sent in chunks of `chunk`
 *   messages, each chunk awaited before the batch's offsets are resolved.
 *   Chunks because kafkajs groups a send's messages by partition in
 *   quadratic time (producer/groupMessagesPerPartition.js copies the array
 *   for every message), which takes seconds for one send of a whole fetch
 *   (tens of thousands of messages).
 *
 * At-least-once, not exactly-once: a crash between produce and offset
 * commit sends again. That is the guarantee of this baseline.
 *
 * workerData: { brokers, inTopic, outTopic, groupId, chunk }. The thread
 * posts { type: 'running' } once its consumer runs, { type: 'error', error }
 * on a crash, and on the message 'stop' disconnects, posts
 * { type: 'stopped', count } and exits.
 */
import { Kafka, logLevel, type Message } from 'kafkajs';
import { parentPort, workerData } from 'node:worker_threads';

const { brokers, inTopic, outTopic, groupId, chunk } = workerData as {
  brokers: string[];
  inTopic: string;
  outTopic: string;
  groupId: string;
  chunk: number;
};

const kafka = new Kafka({ clientId: `bench-kafkajs-peer-${groupId}`, brokers, logLevel: logLevel.NOTHING }); // failures arrive as CRASH events
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
const consumer = kafka.consumer({ groupId });
let count = 0;

consumer.on(consumer.events.CRASH, (e) => {
  parentPort!.postMessage({ type: 'error', error: String(e.payload.error?.stack ?? e.payload.error) });
});

parentPort!.on('message', async (m) => {
  if (m !== 'stop') return;
  await consumer.disconnect().catch(() => {});
  await producer.disconnect().catch(() => {});
  parentPort!.postMessage({ type: 'stopped', count });
  parentPort!.close();
});

try {
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [inTopic], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      const ms = batch.messages;
      for (let start = 0; start < ms.length; start += chunk) {
        if (!isRunning() || isStale()) return;
        const end = Math.min(ms.length, start + chunk);
        const out: Message[] = new Array(end - start);
        for (let i = start; i < end; i++) out[i - start] = { value: `Processed: ${ms[i].value?.toString('utf8') ?? ''}` };
        await producer.send({ topic: outTopic, acks: -1, messages: out });
        count += out.length;
        resolveOffset(ms[end - 1].offset);
        await heartbeat();
      }
    },
  });
  parentPort!.postMessage({ type: 'running' });
} catch (e) {
  parentPort!.postMessage({ type: 'error', error: String((e as Error).stack ?? e) });
}
