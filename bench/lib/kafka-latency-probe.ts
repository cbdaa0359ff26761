/**
 * Latency probe of the `kafka` benchmark, run in its own worker thread (so
 * the job's coordinator on the main thread does not delay its timers).
 *
 * It produces "Message <i> <t>" at a fixed rate into the input topic (t =
 * this thread's performance.now() at send, partition i mod partitions), and
 * reads the output topic with a read_committed consumer. The latency of a
 * record is the time it was seen in the output minus t: produce, the job,
 * its commit and the consumer's fetch, end to end.
 *
 * Phases: until the first record shows in the output (the job is up and
 * has committed once), one record per 100 ms, so no backlog from the job's
 * startup is measured; then the fixed rate. The records sent in the first
 * `warmupMs` at that rate are not measured; the next `measureMs` of records
 * are. Then the probe waits until every measured record arrived (or
 * `drainTimeoutMs`) and posts a LatencyReport.
 *
 * workerData: { brokers, inTopic, outTopic, partitions, ratePerSec, warmupMs, measureMs, liveTimeoutMs, drainTimeoutMs }.
 */
import { Kafka, logLevel, type Message } from 'kafkajs';
import { parentPort, workerData } from 'node:worker_threads';

export interface LatencyReport {
  /** Ms from the probe's start (with the job's) to the first record in the output: the job's startup and first commit. */
  firstOutputMs: number;
  /** Records sent in the measured window, and how many of them were seen (each once). */
  measured: number;
  seen: number;
  duplicates: number;
  /** Records sent in all (warm-up included) and the send rate achieved in the measured window. */
  sent: number;
  achievedRatePerSec: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  minMs: number;
  meanMs: number;
  error?: string;
}

interface ProbeData {
  brokers: string[];
  inTopic: string;
  outTopic: string;
  partitions: number;
  ratePerSec: number;
  warmupMs: number;
  measureMs: number;
  liveTimeoutMs: number;
  drainTimeoutMs: number;
}

const d = workerData as ProbeData;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

async function main(): Promise<LatencyReport> {
  const kafka = new Kafka({ clientId: 'bench-latency-probe', brokers: d.brokers, logLevel: logLevel.ERROR });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const consumer = kafka.consumer({ groupId: `bench-latency-probe-${d.outTopic}`, maxWaitTimeInMs: 100 });
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topics: [d.outTopic], fromBeginning: true });

  const t0 = performance.now();
  let firstOutputAt = NaN;
  let measureFrom = Infinity; // index of the first measured record
  let measureTo = Infinity; // one past the last
  // Latency per record index, NaN until seen.
  const cap = Math.ceil(d.liveTimeoutMs / 100 + ((d.warmupMs + d.measureMs + 1000) / 1000) * d.ratePerSec) + 1024;
  const latency = new Float64Array(cap).fill(NaN);
  let duplicates = 0;
  let seenMeasured = 0;

  await consumer.run({
    eachBatch: async ({ batch }) => {
      const now = performance.now();
      if (Number.isNaN(firstOutputAt) && batch.messages.length > 0) firstOutputAt = now;
      for (const m of batch.messages) {
        // "Processed: Message <i> <t>"
        const parts = (m.value?.toString('utf8') ?? '').split(' ');
        const i = Number(parts[2]);
        const t = Number(parts[3]);
        if (!Number.isInteger(i) || i < 0 || i >= cap || !Number.isFinite(t)) continue;
        if (!Number.isNaN(latency[i])) duplicates++;
        else {
          latency[i] = now - t;
          if (i >= measureFrom && i < measureTo) seenMeasured++;
        }
      }
    },
  });

  // Until the job is live: a trickle of one record per 100 ms.
  let sent = 0;
  while (Number.isNaN(firstOutputAt)) {
    if (performance.now() - t0 > d.liveTimeoutMs) {
      throw new Error(`no output record within ${d.liveTimeoutMs} ms of the first input record (is the job running?)`);
    }
    await producer.send({ topic: d.inTopic, acks: -1, messages: [{ partition: sent % d.partitions, value: `Message ${sent} ${performance.now().toFixed(3)}` }] });
    sent++;
    await sleep(100);
  }
  // Paced sending: every 5 ms, send what the rate allows since the rate started.
  const rateFrom = performance.now();
  const sentBefore = sent;
  let measureStartAt = NaN;
  let measureEndAt = NaN;
  for (;;) {
    const now = performance.now();
    if (measureFrom === Infinity && now - rateFrom >= d.warmupMs) {
      measureFrom = sent;
      measureStartAt = now;
    }
    if (measureFrom !== Infinity && now - measureStartAt >= d.measureMs) {
      measureTo = sent;
      measureEndAt = now;
      break;
    }
    const due = Math.min(cap, sentBefore + Math.floor(((now - rateFrom) / 1000) * d.ratePerSec));
    if (due > sent) {
      const messages: Message[] = [];
      const at = performance.now();
      for (let i = sent; i < due; i++) messages.push({ partition: i % d.partitions, value: `Message ${i} ${at.toFixed(3)}` });
      await producer.send({ topic: d.inTopic, acks: -1, messages });
      sent = due;
    }
    await sleep(5);
  }
  // Records that arrived before the window closed were counted with measureTo = Infinity; recount exactly.
  const recount = (): number => {
    let c = 0;
    for (let i = measureFrom; i < measureTo; i++) if (!Number.isNaN(latency[i])) c++;
    return c;
  };
  seenMeasured = recount();
  const drainUntil = performance.now() + d.drainTimeoutMs;
  while (seenMeasured < measureTo - measureFrom && performance.now() < drainUntil) {
    await sleep(50);
    seenMeasured = recount();
  }
  await consumer.disconnect().catch(() => {});
  await producer.disconnect().catch(() => {});

  const xs: number[] = [];
  for (let i = measureFrom; i < measureTo; i++) if (!Number.isNaN(latency[i])) xs.push(latency[i]);
  const sorted = Float64Array.from(xs).sort();
  const measured = measureTo - measureFrom;
  const r2 = (x: number): number => Math.round(x * 100) / 100;
  return {
    firstOutputMs: r2(firstOutputAt - t0),
    measured,
    seen: xs.length,
    duplicates,
    sent,
    achievedRatePerSec: Math.round((measured * 1000) / (measureEndAt - measureStartAt)),
    p50Ms: r2(quantile(sorted, 0.5)),
    p90Ms: r2(quantile(sorted, 0.9)),
    p99Ms: r2(quantile(sorted, 0.99)),
    maxMs: r2(sorted.length ? sorted[sorted.length - 1] : NaN),
    minMs: r2(sorted.length ? sorted[0] : NaN),
    meanMs: r2(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)),
  };
}

main().then(
  (r) => parentPort!.postMessage(r),
  (e) => parentPort!.postMessage({ error: String((e as Error).stack ?? e) }),
);
