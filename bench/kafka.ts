/**
 * Benchmark 6, `kafka`: Kafka -> map -> Kafka against a real broker.
 *
 * Throughput. 1 M records ("Message i") are produced once per bench run
 * into an input topic with 2 partitions. Each side then reads the whole
 * topic and writes "Processed: Message i" to its own fresh output topic
 * (2 partitions):
 * - weir: bench/jobs/kafka-map.ts, `run(path, { workers: 2, parallelism: 2,
 *   checkpointInterval: 1000, state: 'memory' })`, sink exactly-once;
 * - kafkajs: bench/peers/kafkajs-loop.ts, two worker threads with one
 *   consumer each in one group, idempotent producer: at-least-once;
 * - Flink 1.20 (bench/peers/flink, built with Maven on first use): the same
 *   job on a local MiniCluster, parallelism 2, checkpoints every 1 s,
 *   KafkaSink EXACTLY_ONCE.
 * A side's time runs from its start (run(), new Worker, spawn of the JVM)
 * until every record is committed in its output topic. That moment is read
 * cheaply: the bench polls the topic's end offsets with isolation
 * read_committed (the last stable offset, which includes transaction
 * markers) every 50 ms; the output is complete when that sum reached
 * at least N and did not move for STABLE_MS, and the completion time is
 * the poll that first saw the final value (the last commit). After the
 * side is stopped, a read_committed consumer reads the whole output topic
 * and checks the record count and the sum of value lengths; and the end
 * offsets must not have moved since.
 *
 * Latency. For each side, fresh topics; a probe thread
 * (lib/kafka-latency-probe.ts) produces "Message i <t>" at LATENCY_RATE
 * records/s, and measures p50/p99 of (seen by a read_committed consumer of
 * the output - t) over a window after a warm-up. Sides: weir exactly-once,
 * weir at-least-once, kafkajs, Flink exactly-once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { Kafka, logLevel, type Admin, type Message } from 'kafkajs';
import { run } from '../runtime/index.js';
import type { LatencyReport } from './lib/kafka-latency-probe.js';
import { ensureFlink, FLINK_CLASSPATH, JAVA17_OPENS, type FlinkBuild } from './lib/flink.js';
import { expectedChars, JOBS, median, ROOT, round, sleep, wallNow } from './lib/util.js';

export const KAFKA_BROKERS = process.env.WEIR_BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092';
export const KAFKA_PARTITIONS = 2;
export const KAFKA_CHECKPOINT_MS = 1000;
export const LATENCY_RATE = 5000;
/** The output counts as complete once its committed end offsets held still this long (2 checkpoint intervals). */
const STABLE_MS = 2 * KAFKA_CHECKPOINT_MS;
const POLL_MS = 50;
/** A side fails when its output does not grow for this long (before its first record: FIRST_OUTPUT_TIMEOUT_MS). */
const STALL_MS = 20_000;
const FIRST_OUTPUT_TIMEOUT_MS = 60_000;
/** kafkajs peer: messages per producer.send (see bench/peers/kafkajs-loop.ts). */
const PEER_CHUNK = 1000;


export type Log = (s: string) => void;
const brokers = (): string[] => KAFKA_BROKERS.split(',').map((b) => b.trim());
export const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

// ---------------------------------------------------------------------------
// results

export type SideId = 'weir' | 'weirAtLeastOnce' | 'kafkajs' | 'flink';

export interface KafkaSample {
  /** Start of the side (run(), new Worker, JVM spawn) -> every record committed in the output topic. */
  wallMs: number;
  /** Start -> first committed record in the output topic. */
  firstOutputMs: number;
  /** First committed output -> complete. */
  steadyMs: number;
  /** Flink: JVM spawn -> job submitted to the MiniCluster (JVM and cluster start), and submitted -> complete. */
  submitMs?: number;
  fromSubmitMs?: number;
  /** Records read back (read_committed) and the sum of their lengths. */
  count: number;
  chars: number;
  /** Committed end offsets summed over partitions, minus the records: transaction markers (and aborted records). */
  controlRecords: number;
  /** Ms the read_committed check of the output took (not timed in wallMs). */
  verifyMs: number;
  /** weir: JobResult.restarts and checkpoints completed. */
  restarts?: number;
  checkpoints?: number;
}

export interface KafkaSide {
  name: string;
  samples: KafkaSample[];
  medianWallMs: number;
  recordsPerSec: number;
  medianFirstOutputMs: number;
  steadyRecordsPerSec: number;
  medianSubmitMs?: number;
  /** Flink: records/s from job submission (JVM and MiniCluster start excluded). */
  fromSubmitRecordsPerSec?: number;
  errors: string[];
}

export interface LatencySide {
  name: string;
  report?: LatencyReport;
  error?: string;
}

export interface KafkaResult {
  brokers: string;
  records: number;
  repetitions: number;
  partitions: number;
  checkpointIntervalMs: number;
  input: { topic: string; produceMs: number };
  flink: FlinkBuild;
  throughput: Partial<Record<SideId, KafkaSide>>;
  /** weir records/s / kafkajs records/s, end to end (median wall times). */
  ratioVsKafkajs: number;
  /** weir records/s / Flink records/s, end to end (Flink timed from the JVM's spawn). */
  ratioVsFlink: number;
  /** Diagnostic: against Flink timed from job submission (its JVM and MiniCluster start excluded). */
  ratioVsFlinkFromSubmit: number;
  /** Diagnostic: weir with an at-least-once sink / kafkajs, end to end. */
  atLeastOnceRatioVsKafkajs: number;
  /** Diagnostic: first committed output -> complete, both sides. */
  steadyRatioVsKafkajs: number;
  steadyRatioVsFlink: number;
  latency: { ratePerSec: number; warmupMs: number; measureMs: number; sides: Partial<Record<SideId, LatencySide>> };
  errors: string[];
}

export interface KafkaSkipped {
  skipped: string;
}

// ---------------------------------------------------------------------------
// broker

/** undefined when a broker answers at KAFKA_BROKERS, else why not. */
export async function kafkaUnreachable(timeoutMs = 3000): Promise<string | undefined> {
  const [host, port] = brokers()[0].split(':');
  const tcp = await new Promise<string | undefined>((resolve) => {
    const s = net.connect({ host, port: Number(port), timeout: timeoutMs });
    s.once('connect', () => (s.destroy(), resolve(undefined)));
    s.once('timeout', () => (s.destroy(), resolve(`no answer within ${timeoutMs} ms`)));
    s.once('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
  });
  if (tcp) return `Kafka broker not reachable at ${KAFKA_BROKERS} (${tcp}); start one with \`npm run kafka:start\``;
  const kafka = new Kafka({ clientId: 'bench-kafka-check', brokers: brokers(), logLevel: logLevel.NOTHING, connectionTimeout: timeoutMs, retry: { retries: 1 } });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return undefined;
  } catch (e) {
    return `Kafka broker at ${KAFKA_BROKERS} does not answer Kafka requests (${errText(e)})`;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export const newKafka = (clientId: string): Kafka => new Kafka({ clientId, brokers: brokers(), logLevel: logLevel.ERROR });

export async function createTopics(admin: Admin, topics: string[]): Promise<void> {
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: KAFKA_PARTITIONS, replicationFactor: 1 })) });
}

/** "Message i" for i < n, partition i mod 2, in sends of 2,000 messages, 4 in flight. */
export async function produceInput(kafka: Kafka, topic: string, n: number): Promise<void> {
  const producer = kafka.producer(); // not idempotent: several requests in flight
  await producer.connect();
  try {
    const CHUNK = 2000;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < n) {
        const start = next;
        next = Math.min(n, next + CHUNK);
        const messages: Message[] = [];
        for (let i = start; i < next; i++) messages.push({ partition: i % KAFKA_PARTITIONS, value: `Message ${i}` });
        await producer.send({ topic, acks: -1, messages });
      }
    };
    await Promise.all([lane(), lane(), lane(), lane()]);
  } finally {
    await producer.disconnect();
  }
}

export async function committedEnd(admin: Admin, topic: string): Promise<number> {
  // ListOffsets, read_committed: the last stable offsets. A leader change in the single broker's
  // metadata (NOT_LEADER_FOR_PARTITION, seen once in a full run) is retried, not a failed sample.
  for (let attempt = 0; ; attempt++) {
    try {
      const offs = await admin.fetchTopicOffsets(topic);
      return offs.reduce((s, p) => s + Number(p.offset), 0);
    } catch (e) {
      if (attempt >= 10 || !/leader|LEADER|UNKNOWN_TOPIC/.test(`${(e as { type?: string }).type ?? ''} ${errText(e)}`)) throw e;
      await sleep(100);
    }
  }
}

interface Completion {
  firstOutputWall: number;
  completeWall: number;
  end: number;
}

/**
 * Poll the output's committed end offsets until they reached `n` and held
 * still for STABLE_MS. Rejects on a stall, or when `failed` rejects.
 */
async function watchOutput(admin: Admin, topic: string, n: number, startWall: number, failed: Promise<never>): Promise<Completion> {
  let stop = false;
  const watch = (async (): Promise<Completion> => {
    let last = 0;
    let lastChangeWall = startWall;
    let firstOutputWall = NaN;
    while (!stop) {
      const end = await committedEnd(admin, topic);
      const now = wallNow();
      if (end !== last) {
        if (Number.isNaN(firstOutputWall) && end > 0) firstOutputWall = now;
        last = end;
        lastChangeWall = now;
      } else if (end >= n && now - lastChangeWall >= STABLE_MS) {
        return { firstOutputWall, completeWall: lastChangeWall, end };
      } else if (end === 0 && now - startWall > FIRST_OUTPUT_TIMEOUT_MS) {
        throw new Error(`no committed output within ${FIRST_OUTPUT_TIMEOUT_MS / 1000} s`);
      } else if (end > 0 && end < n && now - lastChangeWall > STALL_MS) {
        throw new Error(`output stalled at ${end} of ${n} committed offsets for ${STALL_MS / 1000} s`);
      }
      await sleep(POLL_MS);
    }
    throw new Error('stopped');
  })();
  try {
    return await Promise.race([watch, failed]);
  } finally {
    stop = true;
    await watch.catch(() => {});
  }
}

/** Read the whole topic read_committed: record count and sum of value lengths (ASCII: bytes = chars). */
async function countOutput(kafka: Kafka, topic: string, n: number, timeoutMs = 60_000): Promise<{ count: number; chars: number }> {
  const consumer = kafka.consumer({ groupId: `bench-count-${topic}`, maxWaitTimeInMs: 100 });
  let count = 0;
  let chars = 0;
  let lastGrowth = performance.now();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) chars += m.value?.length ?? 0;
        count += batch.messages.length;
        lastGrowth = performance.now();
      },
    });
    const t0 = performance.now();
    // All of it is there already: read until n, then a little longer to see extra (duplicate) records.
    while (count < n && performance.now() - t0 < timeoutMs && performance.now() - lastGrowth < 15_000) await sleep(20);
    const settle = performance.now();
    while (performance.now() - settle < 300 || performance.now() - lastGrowth < 300) await sleep(20);
  } finally {
    await consumer.disconnect().catch(() => {});
  }
  return { count, chars };
}

// ---------------------------------------------------------------------------
// sides

interface RunningSide {
  startWall: number;
  /** Rejects when the side dies on its own. */
  failed: Promise<never>;
  /** Flink: when the job was submitted to the MiniCluster (wall ms). */
  submitted?: () => number | undefined;
  stop(): Promise<{ restarts?: number; checkpoints?: number }>;
}

interface SideIo {
  inTopic: string;
  outTopic: string;
  groupId: string;
}

type Starter = (io: SideIo) => Promise<RunningSide>;

let seq = 0;
export const uniq = (): string => `${process.pid}-${Date.now().toString(36)}-${++seq}`;

export function weirStarter(exactlyOnce: boolean, checkpointMs = KAFKA_CHECKPOINT_MS): Starter {
  return async (io) => {
    Object.assign(process.env, {
      WEIR_BENCH_KAFKA_BROKERS: KAFKA_BROKERS,
      WEIR_BENCH_KAFKA_IN: io.inTopic,
      WEIR_BENCH_KAFKA_OUT: io.outTopic,
      WEIR_BENCH_KAFKA_GROUP: io.groupId,
      WEIR_BENCH_KAFKA_EXACTLY_ONCE: exactlyOnce ? '1' : '0',
    }); // workers copy process.env when they start
    let stopping = false;
    const startWall = wallNow();
    const handle = run(new URL('kafka-map.ts', JOBS), {
      workers: 2,
      parallelism: 2,
      checkpointInterval: checkpointMs,
      state: 'memory',
      jobId: `bench-kafka-${uniq()}`, // own transactional ids and epoch markers per run
      logLevel: 'warn',
    });
    const failed = handle.done.then(
      () => {
        if (!stopping) throw new Error('the weir job ended before the bench stopped it');
        return new Promise<never>(() => {});
      },
      (e) => {
        throw new Error(`the weir job failed: ${errText(e)}`);
      },
    );
    failed.catch(() => {});
    return {
      startWall,
      failed,
      async stop() {
        stopping = true;
        const first = handle.stop().catch(() => undefined);
        const r = await Promise.race([first, sleep(20_000).then(() => 'timeout' as const)]);
        if (r === 'timeout') {
          void handle.stop().catch(() => {}); // a second stop ends at once
          throw new Error('weir: stop() did not drain within 20 s (stopped at once instead)');
        }
        const result = await handle.done.catch(() => undefined);
        return { restarts: result?.restarts, checkpoints: result?.checkpoints.completed };
      },
    };
  };
}

const kafkajsStarter: Starter = async (io) => {
  const startWall = wallNow();
  const file = new URL('./peers/kafkajs-loop.js', import.meta.url);
  const workers = [0, 1].map(
    () => new Worker(file, { workerData: { brokers: brokers(), inTopic: io.inTopic, outTopic: io.outTopic, groupId: io.groupId, chunk: PEER_CHUNK } }),
  );
  let stopping = false;
  const failed = new Promise<never>((_, reject) => {
    for (const w of workers) {
      w.on('message', (m: { type: string; error?: string }) => {
        if (m.type === 'error') reject(new Error(`kafkajs peer: ${m.error}`));
      });
      w.on('error', (e) => reject(new Error(`kafkajs peer thread: ${errText(e)}`)));
      w.on('exit', (code) => {
        if (!stopping) reject(new Error(`kafkajs peer thread exited (code ${code})`));
      });
    }
  });
  failed.catch(() => {});
  return {
    startWall,
    failed,
    async stop() {
      stopping = true;
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              const t = setTimeout(resolve, 10_000);
              w.on('message', (m: { type: string }) => {
                if (m.type === 'stopped') (clearTimeout(t), resolve());
              });
              w.postMessage('stop');
            }),
        ),
      );
      await Promise.all(workers.map((w) => w.terminate()));
      return {};
    },
  };
};

function flinkStarter(exactlyOnce: boolean): Starter {
  return async (io) => {
    const startWall = wallNow();
    const args = [
      ...JAVA17_OPENS,
      '-cp',
      FLINK_CLASSPATH,
      'weir.bench.KafkaMapJob',
      '--brokers',
      KAFKA_BROKERS,
      '--in',
      io.inTopic,
      '--out',
      io.outTopic,
      '--group',
      io.groupId,
      '--parallelism',
      '2',
      '--checkpoint-ms',
      String(KAFKA_CHECKPOINT_MS),
      '--guarantee',
      exactlyOnce ? 'exactly-once' : 'at-least-once',
      '--tx-prefix',
      `bench-flink-${io.groupId}`,
    ];
    const child: ChildProcess = spawn('java', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let submittedWall: number | undefined;
    let stopping = false;
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (submittedWall === undefined && out.includes('"event":"submitted"')) submittedWall = wallNow();
    });
    child.stderr!.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString()).slice(-8000);
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const failed = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new Error(`flink: cannot start java: ${errText(e)}`)));
      child.once('exit', (code, signal) => {
        if (!stopping) reject(new Error(`flink: the JVM exited (code ${code}, signal ${signal}) before the bench stopped it:\n${stderr.split('\n').slice(-30).join('\n')}`));
      });
    });
    failed.catch(() => {});
    return {
      startWall,
      failed,
      submitted: () => submittedWall,
      async stop() {
        stopping = true;
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const r = await Promise.race([exited.then(() => 'exited' as const), sleep(10_000).then(() => 'timeout' as const)]);
          if (r === 'timeout') {
            child.kill('SIGKILL');
            await exited;
          }
        }
        return {};
      },
    };
  };
}

// ---------------------------------------------------------------------------
// the benchmark

export interface SideDef {
  id: SideId;
  name: string;
  start: Starter;
}

export async function benchKafka(records: number, reps: number, latencyMeasureMs: number, log: Log): Promise<KafkaResult> {
  const errors: string[] = [];
  const kafka = newKafka('bench-kafka');
  const admin = kafka.admin();
  await admin.connect();
  const created: string[] = [];
  const flink = ensureFlink(log);
  if (!flink.available) log(`  Flink peer unavailable, measured without it: ${flink.reason}`);
  else log(`  Flink ${flink.version} + flink-connector-kafka ${flink.connector} on Java ${flink.java}${flink.buildMs ? ` (built in ${(flink.buildMs / 1000).toFixed(0)} s)` : ' (cached build)'}`);

  const sides: SideDef[] = [
    { id: 'weir', name: 'weir: kafka.source -> map -> kafka.sink exactly-once, workers 2, parallelism 2, checkpoints 1 s, memory state', start: weirStarter(true) },
    { id: 'kafkajs', name: `kafkajs: 2 threads, one consumer each in one group, eachBatch -> idempotent producer.send per ${PEER_CHUNK} (at-least-once)`, start: kafkajsStarter },
    // Diagnostic, no target: the same job with the sink at-least-once (idempotent producer, no transactions).
    { id: 'weirAtLeastOnce', name: 'weir: the same job, kafka.sink exactlyOnce: false (at-least-once), diagnostic', start: weirStarter(false) },
  ];
  if (flink.available) {
    sides.push({ id: 'flink', name: `Flink ${flink.version} MiniCluster: KafkaSource -> map -> KafkaSink EXACTLY_ONCE, parallelism 2, checkpoints 1 s`, start: flinkStarter(true) });
  }

  try {
    // ---- input, once ----
    const inTopic = `bench-kafka-in-${uniq()}`;
    await createTopics(admin, [inTopic]);
    created.push(inTopic);
    const p0 = performance.now();
    await produceInput(kafka, inTopic, records);
    const produceMs = Math.round(performance.now() - p0);
    const inEnd = await committedEnd(admin, inTopic);
    if (inEnd !== records) throw new Error(`input topic holds ${inEnd} records, expected ${records}`);
    log(`  input: ${records.toLocaleString('en')} records into ${inTopic} (${KAFKA_PARTITIONS} partitions) in ${produceMs} ms`);

    // ---- throughput: sides in rotating order ----
    const samples = new Map<SideId, KafkaSample[]>(sides.map((s) => [s.id, []]));
    const sideErrors = new Map<SideId, string[]>(sides.map((s) => [s.id, []]));
    for (let r = 0; r < reps; r++) {
      const order = sides.map((_, i) => sides[(i + r) % sides.length]);
      const line: string[] = [];
      for (const side of order) {
        if (sideErrors.get(side.id)!.length > 0) continue; // a side that broke once is not run again (time)
        try {
          const s = await throughputRun(kafka, admin, side, inTopic, records, created);
          samples.get(side.id)!.push(s);
          line.push(`${side.id} ${(s.wallMs / 1000).toFixed(1)} s`);
        } catch (e) {
          const msg = `${side.id}: ${errText(e)}`;
          sideErrors.get(side.id)!.push(msg);
          errors.push(`throughput ${msg}`);
          line.push(`${side.id} FAILED`);
          log(`  ${side.id} FAILED: ${errText(e)}`);
        }
      }
      log(`  rep ${r + 1}/${reps}: ${line.join(', ')}`);
    }
    const throughput: KafkaResult['throughput'] = {};
    for (const side of sides) throughput[side.id] = summarize(side.name, samples.get(side.id)!, records, sideErrors.get(side.id)!);
    const rate = (id: SideId): number => throughput[id]?.recordsPerSec ?? NaN;
    const steady = (id: SideId): number => throughput[id]?.steadyRecordsPerSec ?? NaN;

    // ---- latency at a fixed rate ----
    const latSides: SideDef[] = [
      { id: 'weir', name: 'weir exactly-once (checkpoints 1 s)', start: weirStarter(true) },
      { id: 'weirAtLeastOnce', name: 'weir at-least-once (kafka.sink exactlyOnce: false)', start: weirStarter(false) },
      { id: 'kafkajs', name: 'kafkajs loop (at-least-once)', start: kafkajsStarter },
    ];
    if (flink.available) latSides.push({ id: 'flink', name: 'Flink exactly-once (checkpoints 1 s)', start: flinkStarter(true) });
    const latency: KafkaResult['latency'] = { ratePerSec: LATENCY_RATE, warmupMs: 2000, measureMs: latencyMeasureMs, sides: {} };
    for (const side of latSides) {
      try {
        const report = await latencyRun(admin, side, latency.warmupMs, latencyMeasureMs, created);
        latency.sides[side.id] = { name: side.name, report };
        log(`  latency ${side.id}: p50 ${report.p50Ms.toFixed(0)} ms, p99 ${report.p99Ms.toFixed(0)} ms (${report.seen}/${report.measured} records, ${report.achievedRatePerSec} rec/s)`);
        if (report.seen !== report.measured || report.duplicates > 0) {
          errors.push(`latency ${side.id}: saw ${report.seen} of ${report.measured} measured records, ${report.duplicates} duplicates`);
        }
      } catch (e) {
        latency.sides[side.id] = { name: side.name, error: errText(e) };
        errors.push(`latency ${side.id}: ${errText(e)}`);
        log(`  latency ${side.id} FAILED: ${errText(e)}`);
      }
    }

    const flinkSide = throughput.flink;
    return {
      brokers: KAFKA_BROKERS,
      records,
      repetitions: reps,
      partitions: KAFKA_PARTITIONS,
      checkpointIntervalMs: KAFKA_CHECKPOINT_MS,
      input: { topic: inTopic, produceMs },
      flink,
      throughput,
      ratioVsKafkajs: round(rate('weir') / rate('kafkajs'), 3),
      ratioVsFlink: round(rate('weir') / rate('flink'), 3),
      ratioVsFlinkFromSubmit: round(rate('weir') / (flinkSide?.fromSubmitRecordsPerSec ?? NaN), 3),
      steadyRatioVsKafkajs: round(steady('weir') / steady('kafkajs'), 3),
      atLeastOnceRatioVsKafkajs: round(rate('weirAtLeastOnce') / rate('kafkajs'), 3),
      steadyRatioVsFlink: round(steady('weir') / steady('flink'), 3),
      latency,
      errors,
    };
  } finally {
    // Drop this run's topics (1 M records each) and counting groups; best effort.
    await admin.deleteTopics({ topics: created, timeout: 30_000 }).catch((e) => log(`  note: deleting topics ${created.join(', ')} failed: ${errText(e)}`));
    await admin.disconnect().catch(() => {});
  }
}

export async function throughputRun(kafka: Kafka, admin: Admin, side: SideDef, inTopic: string, n: number, created: string[]): Promise<KafkaSample> {
  const id = uniq();
  const outTopic = `bench-kafka-out-${side.id}-${id}`;
  await createTopics(admin, [outTopic]);
  created.push(outTopic);
  const running = await side.start({ inTopic, outTopic, groupId: `bench-kafka-${side.id}-${id}` });
  let done: Completion;
  let stopInfo: Awaited<ReturnType<RunningSide['stop']>>;
  try {
    done = await watchOutput(admin, outTopic, n, running.startWall, running.failed);
  } catch (e) {
    await running.stop().catch(() => {});
    throw e;
  }
  stopInfo = await running.stop();
  const endAfterStop = await committedEnd(admin, outTopic);
  const v0 = performance.now();
  const { count, chars } = await countOutput(kafka, outTopic, n);
  const verifyMs = round(performance.now() - v0, 0);
  const want = expectedChars(n);
  if (count !== n || chars !== want) throw new Error(`output holds ${count} records / ${chars} chars (read_committed), expected ${n} / ${want}`);
  if (endAfterStop !== done.end) throw new Error(`output end offsets moved after completion: ${done.end} -> ${endAfterStop}`);
  const submitted = running.submitted?.();
  return {
    wallMs: round(done.completeWall - running.startWall, 1),
    firstOutputMs: round(done.firstOutputWall - running.startWall, 1),
    steadyMs: round(done.completeWall - done.firstOutputWall, 1),
    ...(submitted !== undefined ? { submitMs: round(submitted - running.startWall, 1), fromSubmitMs: round(done.completeWall - submitted, 1) } : {}),
    count,
    chars,
    controlRecords: done.end - count,
    verifyMs,
    ...(stopInfo.restarts !== undefined ? { restarts: stopInfo.restarts } : {}),
    ...(stopInfo.checkpoints !== undefined ? { checkpoints: stopInfo.checkpoints } : {}),
  };
}

function summarize(name: string, samples: KafkaSample[], n: number, errors: string[]): KafkaSide {
  const mWall = median(samples.map((s) => s.wallMs));
  const mSteady = median(samples.map((s) => s.steadyMs));
  const fromSubmit = samples.filter((s) => s.fromSubmitMs !== undefined).map((s) => s.fromSubmitMs!);
  return {
    name,
    samples,
    medianWallMs: round(mWall, 1),
    recordsPerSec: Math.round((n * 1000) / mWall),
    medianFirstOutputMs: round(median(samples.map((s) => s.firstOutputMs)), 1),
    steadyRecordsPerSec: Math.round((n * 1000) / mSteady),
    ...(fromSubmit.length
      ? { medianSubmitMs: round(median(samples.map((s) => s.submitMs!)), 1), fromSubmitRecordsPerSec: Math.round((n * 1000) / median(fromSubmit)) }
      : {}),
    errors,
  };
}

export async function latencyRun(admin: Admin, side: SideDef, warmupMs: number, measureMs: number, created: string[]): Promise<LatencyReport> {
  const id = uniq();
  const inTopic = `bench-kafka-lat-in-${side.id}-${id}`;
  const outTopic = `bench-kafka-lat-out-${side.id}-${id}`;
  await createTopics(admin, [inTopic, outTopic]);
  created.push(inTopic, outTopic);
  const running = await side.start({ inTopic, outTopic, groupId: `bench-kafka-lat-${side.id}-${id}` });
  const probe = new Worker(new URL('./lib/kafka-latency-probe.js', import.meta.url), {
    workerData: {
      brokers: brokers(),
      inTopic,
      outTopic,
      partitions: KAFKA_PARTITIONS,
      ratePerSec: LATENCY_RATE,
      warmupMs,
      measureMs,
      liveTimeoutMs: FIRST_OUTPUT_TIMEOUT_MS,
      drainTimeoutMs: 15_000,
    },
  });
  try {
    const report = await Promise.race([
      new Promise<LatencyReport>((resolve, reject) => {
        probe.once('message', (m: LatencyReport) => (m.error ? reject(new Error(m.error)) : resolve(m)));
        probe.once('error', reject);
        probe.once('exit', (code) => reject(new Error(`latency probe exited (code ${code}) before reporting`)));
      }),
      running.failed,
    ]);
    return report;
  } finally {
    await probe.terminate();
    await running.stop().catch(() => {});
  }
}

// ---------------------------------------------------------------------------
// targets and table rows (used by run.ts)

export interface KafkaTarget {
  metric: string;
  value: number;
  op: '>=';
  target: number;
  unit: string;
}

export function kafkaTargets(r: KafkaResult): KafkaTarget[] {
  const t: KafkaTarget[] = [{ metric: 'throughput ratio weir exactly-once / kafkajs loop', value: r.ratioVsKafkajs, op: '>=', target: 0.9, unit: 'x' }];
  if (r.flink.available) t.push({ metric: 'throughput ratio weir exactly-once / Flink exactly-once', value: r.ratioVsFlink, op: '>=', target: 1.0, unit: 'x' });
  return t;
}

/** Table rows: [benchmark, weir, peer, ratio / figure, target, result]. `pass` maps a metric to PASS/FAIL. */
export function kafkaRows(r: KafkaResult | KafkaSkipped, pass: (metric: string) => string): string[][] {
  if ('skipped' in r) return [['6. kafka', 'SKIPPED', r.skipped, '', '', 'SKIP']];
  const fmt = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${(x / 1000).toFixed(1)}k rec/s`);
  const ratio = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(3)}x` : 'n/a');
  const w = r.throughput.weir;
  const k = r.throughput.kafkajs;
  const f = r.throughput.flink;
  const targets = kafkaTargets(r);
  const rows: string[][] = [
    [`6. kafka->map->kafka ${(r.records / 1e6).toFixed(1)} M`, `${fmt(w?.recordsPerSec)} (exactly-once)`, `${fmt(k?.recordsPerSec)} (kafkajs loop)`, ratio(r.ratioVsKafkajs), '>= 0.9x', pass(targets[0].metric)],
  ];
  if (r.flink.available) {
    rows.push(['   vs Flink', '', `${fmt(f?.recordsPerSec)} (Flink ${r.flink.version}, from JVM spawn)`, ratio(r.ratioVsFlink), '>= 1.0x', pass(targets[1].metric)]);
    rows.push(['   vs Flink from submit (diag.)', '', `${fmt(f?.fromSubmitRecordsPerSec)} (JVM+MiniCluster start ${((f?.medianSubmitMs ?? NaN) / 1000).toFixed(1)} s excl.)`, ratio(r.ratioVsFlinkFromSubmit), '', '']);
  } else {
    rows.push(['   vs Flink', '', `SKIPPED: ${r.flink.reason?.split('\n')[0] ?? 'unavailable'}`, '', '>= 1.0x', 'SKIP']);
  }
  rows.push([
    '   steady state (diag.)',
    fmt(w?.steadyRecordsPerSec),
    `${fmt(k?.steadyRecordsPerSec)} kafkajs${f ? `, ${fmt(f.steadyRecordsPerSec)} Flink` : ''}`,
    `${ratio(r.steadyRatioVsKafkajs)}${f ? ` / ${ratio(r.steadyRatioVsFlink)}` : ''}`,
    '',
    '',
  ]);
  const a = r.throughput.weirAtLeastOnce;
  if (a) rows.push(['   weir at-least-once (diag.)', fmt(a.recordsPerSec), `${fmt(k?.recordsPerSec)} kafkajs`, ratio(r.atLeastOnceRatioVsKafkajs), '', '']);
  const first = (s: KafkaSide | undefined): string => (s && Number.isFinite(s.medianFirstOutputMs) ? `${(s.medianFirstOutputMs / 1000).toFixed(1)} s` : 'n/a');
  rows.push(['   start -> 1st commit (diag.)', first(w), `${first(k)} kafkajs${f ? `, ${first(f)} Flink` : ''}`, a ? `${first(a)} weir ALO` : '', '', '']);
  const lat = (id: SideId): string => {
    const s = r.latency.sides[id];
    if (!s) return '';
    if (!s.report) return 'FAILED';
    return `p50 ${s.report.p50Ms.toFixed(0)} / p99 ${s.report.p99Ms.toFixed(0)} ms`;
  };
  rows.push([`   latency @ ${(r.latency.ratePerSec / 1000).toFixed(0)}k rec/s`, `${lat('weir')} (EO)`, `${lat('kafkajs')} kafkajs`, '', '', '']);
  rows.push(['', `${lat('weirAtLeastOnce')} (ALO)`, r.latency.sides.flink ? `${lat('flink')} Flink EO` : '', '', '', '']);
  return rows;
}
