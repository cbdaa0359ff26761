/**
 * Cluster mode (`weir run --cluster`), on the Kafka broker at 127.0.0.1:9092,
 * in steady state: every side is started and ready first (members joined
 * with their 12 tasks running; the single process with its job running),
 * then N words are produced to a fresh 6-partition topic, and the side is
 * timed from the first word produced to the last output record committed.
 *
 * - throughput of 1, 2 and 3 member processes against the same job in
 *   single-process mode (`weir run`, 2 workers, checkpoints every second,
 *   exactly-once sink), each side in a process of its own;
 * - per-record overhead: CPU time of the side's processes (utime + stime of
 *   /proc/<pid>/stat, all threads) per 1,000 records: a ratio that load on
 *   the machine disturbs less than wall time; and, from the members' own
 *   /metrics, records per transaction and the mean commit latency;
 * - rebalance time: 2 members, one killed with SIGKILL -> the last of its
 *   tasks running on the survivor (the survivor's own log timestamps), with
 *   the session timeout it includes; and the same after a graceful leave (SIGTERM).
 * Kafka Streams documents the same two costs: a dead member is noticed after
 * session.timeout.ms (45 s by default since 3.0), a leaving one at once.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel, type Admin, type Message } from 'kafkajs';
import { ROOT, round } from './lib/util.js';

type Log = (s: string) => void;
const BROKERS = process.env.WEIR_BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092';
const PARTITIONS = 6;
const TASKS = 12;
const SESSION_MS = 6000;
const CLI = path.join(ROOT, 'dist/bundle/cli.js');
const JOB = path.join(ROOT, 'bench/jobs/cluster-count.ts');

export interface SideResult {
  /** First word produced -> last output record committed. */
  ms: number;
  recordsPerSec: number;
  /** CPU time (user + system, all threads) of the side's processes per 1,000 records. */
  cpuMsPer1k: number;
}

export interface ClusterResult {
  records: number;
  /** 1-minute load average before and after. */
  load: { start: number; end: number };
  singleProcess: SideResult;
  members: (SideResult & { n: number; transactions: number; recordsPerTransaction: number; meanCommitLatencyMs: number })[];
  /** Cluster mode with 1 member / single-process mode (throughput). */
  oneMemberRatio: number;
  /** CPU per record, 1 member / single process. */
  oneMemberCpuRatio: number;
  rebalance: { killedMs: number[]; leftMs: number[]; sessionTimeoutMs: number };
}

const uniq = () => `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU ms (user + system, every thread) a process has used, from /proc (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await Promise.resolve().then(cond).catch(() => false))) {
    if (Date.now() > end) throw new Error(`bench cluster: ${what} within ${ms / 1000} s`);
    await sleep(100);
  }
}

/** A side: its processes, when it is ready to take input, and what its /metrics say at the end. */
interface Side {
  pids: number[];
  ready(): Promise<void>;
  metrics?(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function benchCluster(records: number, log: Log): Promise<ClusterResult> {
  const kafka = new Kafka({ clientId: 'bench-cluster', brokers: [BROKERS], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  const created: string[] = [];
  const loadStart = round(os.loadavg()[0], 2);
  try {
    const single = await measured(admin, kafka, created, records, (input, output) => {
      const p = proc(['run', JOB, '--workers', '2', '--state', 'memory', '--checkpoint-interval', '1s', '--job-id', `bench-cluster-${uniq()}`, '--http', '0', '--no-status'], input, output);
      return {
        pids: [p.child.pid!],
        ready: () => until(async () => /weir_job_running\{[^}]*\} 1/.test(await scrape(p.url(), 'metrics')), 'the single-process job to run'),
        stop: () => stopProc(p.child),
      };
    });
    log(`  single process: ${single.ms} ms, ${single.recordsPerSec} rec/s, ${single.cpuMsPer1k} CPU ms / 1k records`);
    const members: ClusterResult['members'] = [];
    for (const n of [1, 2, 3]) {
      const prefix = `bench-${uniq()}`;
      let tx: ClusterResult['members'][number] | undefined;
      const r = await measured(admin, kafka, created, records, (input, output) => {
        const procs = Array.from({ length: n }, () => proc(['run', JOB, '--cluster', `kafka://${BROKERS}/${prefix}`, '--session-timeout', `${SESSION_MS}`, '--http', '0', '--log-level', 'info'], input, output));
        return {
          pids: procs.map((p) => p.child.pid!),
          // Every task started and its start position committed (fresh tasks commit it at once).
          ready: () =>
            until(async () => {
              const st = await Promise.all(procs.map(async (p) => JSON.parse(await scrape(p.url(), 'api/status')) as { tasks: Record<string, { offsets: Record<string, number> }> }));
              const tasks = st.flatMap((s) => Object.values(s.tasks));
              return tasks.length === TASKS && tasks.every((t) => Object.keys(t.offsets).length > 0);
            }, `${n} member(s) to run the ${TASKS} tasks`),
          metrics: () => Promise.all(procs.map((p) => scrape(p.url(), 'metrics'))),
          stop: async () => void (await Promise.all(procs.map((p) => stopProc(p.child)))),
        };
      }, (texts) => {
        const sum = (name: string) => texts.reduce((acc, t) => acc + [...t.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0), 0);
        const transactions = sum('weir_task_transactions_committed_total');
        tx = { n, ms: 0, recordsPerSec: 0, cpuMsPer1k: 0, transactions, recordsPerTransaction: round(sum('weir_task_records_in_total') / Math.max(1, transactions), 1), meanCommitLatencyMs: round((sum('weir_task_commit_latency_seconds_sum') * 1000) / Math.max(1, sum('weir_task_commit_latency_seconds_count')), 1) };
      });
      created.push(`${prefix}.bench-cluster-count-count-repartition`, `${prefix}.bench-cluster-count-count-changelog`);
      const m = { ...tx!, ...r };
      members.push(m);
      log(`  ${n} member(s): ${r.ms} ms, ${r.recordsPerSec} rec/s, ${r.cpuMsPer1k} CPU ms / 1k records; ${m.transactions} transactions, ${m.recordsPerTransaction} records each (both sub-topologies), mean commit ${m.meanCommitLatencyMs} ms`);
    }
    const rbInput = `bench-cluster-rb-in-${uniq()}`;
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: rbInput, numPartitions: PARTITIONS, replicationFactor: 1 }] });
    created.push(rbInput);
    await produceWords(kafka, rbInput, 6000);
    const killedMs: number[] = [];
    const leftMs: number[] = [];
    for (let i = 0; i < 2; i++) {
      killedMs.push(await rebalanceOnce(rbInput, 'SIGKILL'));
      leftMs.push(await rebalanceOnce(rbInput, 'SIGTERM'));
      log(`  rebalance: killed ${killedMs[i]} ms, left ${leftMs[i]} ms`);
    }
    const m1 = members[0];
    return {
      records,
      load: { start: loadStart, end: round(os.loadavg()[0], 2) },
      singleProcess: single,
      members,
      oneMemberRatio: round(m1.recordsPerSec / single.recordsPerSec, 3),
      oneMemberCpuRatio: round(m1.cpuMsPer1k / single.cpuMsPer1k, 3),
      rebalance: { killedMs, leftMs, sessionTimeoutMs: SESSION_MS },
    };
  } finally {
    await admin.deleteTopics({ topics: created, timeout: 10_000 }).catch(() => {});
    await admin.disconnect();
  }

  /** A ready side on fresh topics; `n` words produced; timed until all `n` outputs are readable read_committed. */
  async function measured(a: Admin, k: Kafka, topics: string[], n: number, start: (input: string, output: string) => Side, atEnd?: (metrics: string[]) => void): Promise<SideResult> {
    const input = `bench-cluster-in-${uniq()}`;
    const output = `bench-cluster-out-${uniq()}`;
    await a.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: PARTITIONS, replicationFactor: 1 }, { topic: output, numPartitions: 1, replicationFactor: 1 }] });
    topics.push(input, output);
    const consumer = k.consumer({ groupId: `bench-cluster-read-${uniq()}`, maxWaitTimeInMs: 100 });
    let count = 0;
    let resolveAll!: () => void;
    const all = new Promise<void>((r) => (resolveAll = r));
    await consumer.connect();
    await consumer.subscribe({ topics: [output], fromBeginning: true });
    await consumer.run({ eachBatch: async ({ batch }) => void ((count += batch.messages.length) >= n && resolveAll()) });
    const side = start(input, output);
    try {
      await side.ready();
      await sleep(1000); // the same settling time for every side
      const cpu0 = side.pids.reduce((s, p) => s + cpuMs(p), 0);
      const t0 = performance.now();
      await produceWords(k, input, n);
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`only ${count} of ${n} output records after 300 s`)), 300_000)));
      await Promise.race([all, late]).finally(() => clearTimeout(timer)); // a pending timer would keep the bench alive
      const ms = Math.round(performance.now() - t0);
      const cpu = side.pids.reduce((s, p) => s + cpuMs(p), 0) - cpu0;
      if (side.metrics && atEnd) atEnd(await side.metrics());
      return { ms, recordsPerSec: Math.round((n / ms) * 1000), cpuMsPer1k: round((cpu / n) * 1000, 2) };
    } finally {
      await side.stop();
      await consumer.disconnect();
    }
  }
}

async function scrape(url: string | undefined, route: string): Promise<string> {
  if (!url) throw new Error('not listening yet');
  const r = await fetch(`${url}/${route}`);
  return r.text();
}

/** A `weir` CLI process on the bench job; `url()`: where its --http endpoint listens, once it does. */
function proc(args: string[], input: string, output: string): { child: ChildProcess; err: () => string; url: () => string | undefined } {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, WEIR_BENCH_CLUSTER: JSON.stringify({ brokers: BROKERS, input, output }) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { child, err: () => err, url: () => /weir: (?:dashboard and metrics|member metrics) at (http:\/\/[^\s/]+)/.exec(err)?.[1] };
}

function member(prefix: string, input: string, output: string): { child: ChildProcess; err: () => string } {
  return proc(['run', JOB, '--cluster', `kafka://${BROKERS}/${prefix}`, '--session-timeout', `${SESSION_MS}`, '--log-level', 'info'], input, output);
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

