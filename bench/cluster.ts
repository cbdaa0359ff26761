/**
 * Cluster mode (`weir run --cluster`), on the Kafka broker at 127.0.0.1:9092:
 *
 * - throughput of 1, 2 and 3 member processes on a 6-partition topic
 *   (keyed count, 12 tasks), against the same job in single-process mode
 *   (`run()`, 2 workers, checkpoints every second, exactly-once sink) run in the
 *   same session: time from start to the last of N output records committed;
 * - rebalance time: 2 members, one killed with SIGKILL -> the last of its tasks
 *   running on the survivor (the survivor's own log timestamps), with the
 *   session timeout it includes; and the same after a graceful leave (SIGTERM).
 * Kafka Streams documents the same two costs: a dead member is noticed after
 * session.timeout.ms (45 s by default since 3.0), a leaving one at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Kafka, logLevel, type Admin, type Message } from 'kafkajs';
import { run } from 'weir';
import { JOBS, ROOT, round } from './lib/util.js';

type Log = (s: string) => void;
const BROKERS = process.env.WEIR_BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092';
const PARTITIONS = 6;
const SESSION_MS = 6000;
const CLI = path.join(ROOT, 'dist/bundle/cli.js');
const JOB = path.join(ROOT, 'bench/jobs/cluster-count.ts');

export interface ClusterResult {
  records: number;
  singleProcess: { ms: number; recordsPerSec: number };
  members: { n: number; ms: number; recordsPerSec: number }[];
  /** Cluster mode with 1 member / single-process mode (throughput). */
  oneMemberRatio: number;
  rebalance: { killedMs: number[]; leftMs: number[]; sessionTimeoutMs: number };
}

const uniq = () => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function benchCluster(records: number, log: Log): Promise<ClusterResult> {
  const kafka = new Kafka({ clientId: 'bench-cluster', brokers: [BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const created: string[] = [];
  try {
    const input = `bench-cluster-in-${uniq()}`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    created.push(input);
    await produceWords(kafka, input, records);
    const single = await timed(admin, kafka, created, records, async (output) => {
      process.env.WEIR_BENCH_CLUSTER = JSON.stringify({ brokers: BROKERS, input, output });
      const h = run(new URL('cluster-count.ts', JOBS), { workers: 2, parallelism: 2, checkpointInterval: 1000, state: 'memory', jobId: `bench-cluster-${uniq()}` });
      return async () => {
        await h.stop().catch(() => {});
      };
    });
    log(`  single process: ${single.ms} ms`);
    const members: ClusterResult['members'] = [];
    for (const n of [1, 2, 3]) {
      const prefix = `bench-${uniq()}`;
      const r = await timed(admin, kafka, created, records, async (output) => {
        const procs = Array.from({ length: n }, () => member(prefix, input, output));
        return async () => void (await Promise.all(procs.map((p) => stopProc(p.child))));
      });
      created.push(`${prefix}.bench-cluster-count-count-repartition`, `${prefix}.bench-cluster-count-count-changelog`);
      members.push({ n, ...r });
      log(`  ${n} member(s): ${r.ms} ms`);
    }
    const killedMs: number[] = [];
    const leftMs: number[] = [];
    for (let i = 0; i < 2; i++) {
      killedMs.push(await rebalanceOnce(input, 'SIGKILL'));
      leftMs.push(await rebalanceOnce(input, 'SIGTERM'));
      log(`  rebalance: killed ${killedMs[i]} ms, left ${leftMs[i]} ms`);
    }
    const m1 = members[0].recordsPerSec;
    return { records, singleProcess: single, members, oneMemberRatio: round(m1 / single.recordsPerSec, 3), rebalance: { killedMs, leftMs, sessionTimeoutMs: SESSION_MS } };
  } finally {
    await admin.deleteTopics({ topics: created, timeout: 10_000 }).catch(() => {});
    await admin.disconnect();
  }

  /** Start a side writing to a fresh output topic; time until `n` records are readable read_committed. */
  async function timed(a: Admin, k: Kafka, topics: string[], n: number, start: (output: string) => Promise<() => Promise<void>>) {
    const output = `bench-cluster-out-${uniq()}`;
    await a.createTopics({ waitForLeaders: true, topics: [{ topic: output, numPartitions: 1, replicationFactor: 1 }] });
    topics.push(output);
    const consumer = k.consumer({ groupId: `bench-cluster-read-${uniq()}`, maxWaitTimeInMs: 100 });
    let count = 0;
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => (resolveAll = r));
    await consumer.connect();
    await consumer.subscribe({ topics: [output], fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => void ((count += batch.messages.length) >= n && resolveAll()) });
    const t0 = performance.now();
    const stop = await start(output);
    const timeout = sleep(300_000).then(() => {
      throw new Error(`only ${count} of ${n} output records after 300 s`);
    });
    try {
      await Promise.race([all, timeout]);
    } finally {
      await stop();
      await consumer.disconnect();
    }
    const ms = Math.round(performance.now() - t0);
    return { ms, recordsPerSec: Math.round((n / ms) * 1000) };
  }
}

function member(prefix: string, input: string, output: string): { child: ChildProcess; err: () => string } {
  const child = spawn(process.execPath, [CLI, 'run', JOB, '--cluster', `kafka://${BROKERS}/${prefix}`, '--session-timeout', `${SESSION_MS}`, '--log-level', 'info'], {
    cwd: ROOT,
    env: { ...process.env, WEIR_BENCH_CLUSTER: JSON.stringify({ brokers: BROKERS, input, output }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { child, err: () => err };
}

async function stopProc(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGTERM');
  await Promise.race([exited, sleep(15_000).then(() => c.kill('SIGKILL'))]);
}

/** Two members on a topic already consumed; `signal` one: ms until the survivor runs all 12 tasks (its log's timestamps). */
async function rebalanceOnce(input: string, signal: 'SIGKILL' | 'SIGTERM'): Promise<number> {
  const prefix = `bench-rb-${uniq()}`;
  const output = `bench-cluster-rb-${uniq()}`;
  const k = new Kafka({ clientId: 'bench-cluster-rb', brokers: [BROKERS], logLevel: logLevel.NOTHING });
  const a = k.admin();
  await a.connect();
  await a.createTopics({ waitForLeaders: true, topics: [{ topic: output, numPartitions: 1, replicationFactor: 1 }] });
  const [m1, m2] = [member(prefix, input, output), member(prefix, input, output)];
  const tasksOf = (err: string): string[] => {
    const lines = err.split('\n').filter((l) => l.includes('weir cluster: joined group'));
    return lines.length ? (JSON.parse(lines[lines.length - 1]).tasks as string[]) : [];
  };
  try {
    const until = Date.now() + 120_000;
    while (tasksOf(m1.err()).length + tasksOf(m2.err()).length !== 12 || tasksOf(m1.err()).length === 0 || tasksOf(m2.err()).length === 0) {
      if (Date.now() > until) throw new Error('two members did not share the 12 tasks within 120 s');
      await sleep(100);
    }
    await sleep(2000); // the tasks running, the group stable
    const victim = tasksOf(m2.err());
    const t0 = Date.now();
    m2.child.kill(signal);
    const running = (t: string) => {
      const line = m1.err().split('\n').reverse().find((l) => l.includes(`"msg":"task ${t} running"`));
      const time = line ? (JSON.parse(line).time as string | number) : undefined;
      return time === undefined ? undefined : new Date(time).getTime();
    };
    while (victim.some((t) => (running(t) ?? 0) < t0)) {
      if (Date.now() > t0 + 120_000) throw new Error(`the survivor did not run ${victim.join(', ')} within 120 s`);
      await sleep(50);
    }
    return Math.max(...victim.map((t) => running(t)!)) - t0;
  } finally {
    await Promise.all([stopProc(m1.child), stopProc(m2.child)]);
    await a.deleteTopics({ topics: [output, `${prefix}.bench-cluster-count-count-repartition`, `${prefix}.bench-cluster-count-count-changelog`], timeout: 10_000 }).catch(() => {});
    await a.disconnect();
  }
}

async function produceWords(kafka: Kafka, topic: string, n: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    for (let i = 0; i < n; i += 5000) {
      const messages: Message[] = [];
      for (let j = i; j < Math.min(n, i + 5000); j++) messages.push({ partition: j % PARTITIONS, value: `w${(j * 7919) % 1000}` });
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

