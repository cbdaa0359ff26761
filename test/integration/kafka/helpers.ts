/**
 * Shared helpers for the Kafka connector integration tests: a kafkajs client
 * on the test broker (127.0.0.1:9092), unique topic names, topic creation and
 * deletion, producing, read_committed reading, the weir CLI, and polling.
 * The Kafka helpers take an optional broker list last (default BROKERS), for
 * tests with a private broker of their own (see broker-outage.test.ts).
 *
 * kafkajs logs retriable broker answers at ERROR and retries on its own; the
 * client here is silent (WEIR_KAFKAJS_LOG=1 shows them).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import './kafkajs-fixed.js';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';
import { KAFKA_BROKERS } from '../../services/kafka.mjs';
import { killIfRunning, spawnCli, type CliRun } from '../../support/cli-run.js';
import { pollUntil } from '../../support/wait-for.js';

/** Always an IP (kafkajs + "localhost" may resolve to ::1 first). */
export const BROKERS = KAFKA_BROKERS;
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/bundle/cli.js');
export const fixture = (name: string) => path.join(ROOT, 'test/fixtures', name);

export const runId = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
/** A topic / group name unique to this test run. */
export const unique = (name: string) => `weir-kit-${name}-${runId}`;

const clients = new Map<string, Kafka>();
/** The (silent) kafkajs client of these helpers on `brokers`, one per broker list. */
export function kafkaClient(brokers: string = BROKERS): Kafka {
  let k = clients.get(brokers);
  if (!k) {
    k = new Kafka({
      clientId: unique('test-client'),
      brokers: brokers.split(','),
      logLevel: process.env.WEIR_KAFKAJS_LOG ? logLevel.INFO : logLevel.NOTHING,
      retry: { initialRetryTime: 100, retries: 8 },
    });
    clients.set(brokers, k);
  }
  return k;
}
export const kafka = kafkaClient(BROKERS);

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` until true; throws naming `what` after `timeoutMs`. */
export function waitFor(cond: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 30_000, everyMs = 50): Promise<void> {
  return pollUntil(cond, what, timeoutMs, everyMs);
}

/** What this file created on one broker list, for `cleanupKafka()`. */
interface Scope {
  admin?: Promise<Admin>;
  topics: Set<string>;
  groups: Set<string>;
  groupPrefixes: Set<string>;
}
const scopes = new Map<string, Scope>();
function scope(brokers: string): Scope {
  let s = scopes.get(brokers);
  if (!s) scopes.set(brokers, (s = { topics: new Set(), groups: new Set(), groupPrefixes: new Set() }));
  return s;
}

/** One shared admin client per test file and broker list (closed by `cleanupKafka()`). */
export function admin(brokers: string = BROKERS): Promise<Admin> {
  const s = scope(brokers);
  s.admin ??= (async () => {
    const a = kafkaClient(brokers).admin();
    await a.connect();
    return a;
  })();
  return s.admin;
}

const closers: (() => Promise<unknown>)[] = [];
const dirs: string[] = [];

/** A fresh temp dir, removed by `cleanupKafka()`. */
export function tmp(prefix: string): string {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** Remember a topic or group (or every group whose name starts with `groupPrefix`) created by the code under test, for deletion at the end. */
export function track(what: { topic?: string; group?: string; groupPrefix?: string; brokers?: string }): void {
  const s = scope(what.brokers ?? BROKERS);
  if (what.topic) s.topics.add(what.topic);
  if (what.group) s.groups.add(what.group);
  if (what.groupPrefix) s.groupPrefixes.add(what.groupPrefix);
}

/** State and member ids of the groups named `group` or starting with `prefix` (all Stable -> stable). */
export async function groupMembers(sel: { group: string } | { prefix: string }, brokers: string = BROKERS): Promise<{ stable: boolean; members: string[]; groups: number }> {
  const a = await admin(brokers);
  const names = 'group' in sel ? [sel.group] : (await a.listGroups()).groups.map((g) => g.groupId).filter((g) => g.startsWith(sel.prefix));
  if (names.length === 0) return { stable: false, members: [], groups: 0 };
  const { groups: gs } = await a.describeGroups(names);
  return { stable: gs.every((g) => g.state === 'Stable'), members: gs.flatMap((g) => g.members.map((m) => m.memberId)), groups: gs.length };
}

/** Creates `topic` (deleted by `cleanupKafka()`) and waits until every partition has a leader. */
export async function createTopic(topic: string, partitions = 1, brokers: string = BROKERS): Promise<string> {
  const a = await admin(brokers);
  scope(brokers).topics.add(topic);
  // Not waitForLeaders: kafkajs gives up on the UNKNOWN_TOPIC_OR_PARTITION a KRaft broker answers until its
  // metadata catches up (seen on Kafka 4.4 and 3.9.1 on a freshly started broker); waitFor below rides it out.
  await a.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }] });
  await waitFor(async () => {
    try {
      const md = await a.fetchTopicMetadata({ topics: [topic] });
      const ps = md.topics.find((t) => t.name === topic)?.partitions ?? [];
      return ps.length === partitions && ps.every((p) => p.leader >= 0);
    } catch {
      return false; // UNKNOWN_TOPIC_OR_PARTITION while metadata propagates
    }
  }, `topic ${topic} to have ${partitions} partition(s) with leaders`, 15_000, 100);
  return topic;
}

/** Deletes `topic` when it exists and waits until the broker no longer lists it. */
export async function deleteTopicIfExists(topic: string, brokers: string = BROKERS): Promise<void> {
  const a = await admin(brokers);
  if (!(await a.listTopics()).includes(topic)) return;
  await a.deleteTopics({ topics: [topic], timeout: 10_000 });
  await waitFor(async () => !(await a.listTopics()).includes(topic), `topic ${topic} to be deleted`, 15_000, 100);
}

/** Sends `messages` to explicit partitions (or by the default partitioner), awaited in chunks. */
export async function produce(topic: string, messages: { value: string | Buffer; key?: string; partition?: number; headers?: Record<string, string>; timestamp?: string }[], brokers: string = BROKERS): Promise<void> {
  const producer: Producer = kafkaClient(brokers).producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    for (let i = 0; i < messages.length; i += 5000) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 5000) });
    }
  } finally {
    await producer.disconnect();
  }
}

/** Total records in a topic (sum of high - low watermarks; counts transaction markers too). */
export async function topicSize(topic: string, brokers: string = BROKERS): Promise<number> {
  const offs = await (await admin(brokers)).fetchTopicOffsets(topic);
  return offs.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
}

/** Sum of a group's committed offsets on `topic` (-1 entries count as 0). */
export async function committedSum(group: string, topic: string, brokers: string = BROKERS): Promise<number> {
  const res = await (await admin(brokers)).fetchOffsets({ groupId: group, topics: [topic] });
  return (res[0]?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
}

/**
 * A read_committed consumer reading `topic` from the beginning in a fresh
 * group, collecting values as they arrive (`values` grows live).
 */
export interface Reader {
  values: string[];
  /** Resolves once `values.length >= n`; rejects after `timeoutMs`. */
  atLeast(n: number, timeoutMs: number, what?: () => string): Promise<void>;
  /** Waits until no new value arrived for `quietMs` (after all data is in the log: catches trailing duplicates). */
  quiet(quietMs: number): Promise<void>;
  close(): Promise<void>;
}

export async function reader(topic: string, opts: { readUncommitted?: boolean; brokers?: string } = {}): Promise<Reader> {
  const group = unique(`reader-${randomBytes(3).toString('hex')}`);
  scope(opts.brokers ?? BROKERS).groups.add(group);
  const consumer: Consumer = kafkaClient(opts.brokers ?? BROKERS).consumer({ groupId: group, readUncommitted: opts.readUncommitted ?? false, maxWaitTimeInMs: 100, sessionTimeout: 10_000 });
  const values: string[] = [];
  let lastAt = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message }) => {
      values.push(message.value?.toString('utf8') ?? '<null>');
      lastAt = performance.now();
    },
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await consumer.disconnect().catch(() => {});
  };
  closers.push(close);
  return {
    values,
    atLeast: (n, timeoutMs, what) => waitFor(() => values.length >= n, () => `${n} values on ${topic} (have ${values.length})${what ? `; ${what()}` : ''}`, timeoutMs, 50),
    async quiet(quietMs) {
      lastAt = Math.max(lastAt, performance.now());
      await waitFor(() => performance.now() - lastAt >= quietMs, `${topic} to be quiet`, quietMs * 20, 50);
    },
    close,
  };
}

export type { CliRun };

/** A spawned `weir` CLI process with its output collected live; killed by cleanupKafka() if still running. */
export function weir(args: string[], env: Record<string, string | undefined> = {}): CliRun {
  const run = spawnCli(args, env);
  closers.push(() => killIfRunning(run)); // never leave a job process behind a failed test
  return run;
}

/** A CLI run to its end, with a timeout that kills it. */
export async function weirSync(args: string[], env: Record<string, string | undefined> = {}, timeoutMs = 60_000) {
  const r = weir(args, env);
  const timer = setTimeout(() => r.child.kill('SIGKILL'), timeoutMs);
  const { code, signal } = await r.exit;
  clearTimeout(timer);
  return { code, signal, stdout: r.stdout(), stderr: r.stderr() };
}

/**
 * Forget a broker list: its admin client is disconnected and what was created
 * there is not deleted by `cleanupKafka()` (for a private broker the test
 * removes itself, which may be down by then).
 */
export async function forgetBroker(brokers: string): Promise<void> {
  const s = scopes.get(brokers);
  scopes.delete(brokers);
  clients.delete(brokers);
  if (s?.admin) await (await s.admin.catch(() => undefined))?.disconnect().catch(() => {});
}

/** Deletes the topics and groups this file created, closes clients, kills leftover processes, removes temp dirs. */
export async function cleanupKafka(): Promise<void> {
  for (const c of closers.splice(0)) await c().catch(() => {});
  for (const s of scopes.values()) {
    if (!s.admin) continue;
    const a = await s.admin;
    if (s.topics.size) await a.deleteTopics({ topics: [...s.topics], timeout: 10_000 }).catch(() => {});
    // Groups with no members only (a job still shutting down leaves a member for a moment).
    if (s.groupPrefixes.size) {
      const all = (await a.listGroups().catch(() => ({ groups: [] as { groupId: string }[] }))).groups.map((g) => g.groupId);
      for (const g of all) if ([...s.groupPrefixes].some((p) => g.startsWith(p))) s.groups.add(g);
    }
    for (const g of s.groups) await a.deleteGroups([g]).catch(() => {});
    await a.disconnect();
  }
  scopes.clear();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Counts of each line; `diff` names missing / extra lines (with a few examples). */
export function multisetDiff(actual: string[], expected: string[]): { missing: number; extra: number; examples: string[] } {
  const want = new Map<string, number>();
  for (const l of expected) want.set(l, (want.get(l) ?? 0) + 1);
  for (const l of actual) want.set(l, (want.get(l) ?? 0) - 1);
  let missing = 0;
  let extra = 0;
  const examples: string[] = [];
  for (const [l, c] of want) {
    if (c > 0) missing += c;
    if (c < 0) extra += -c;
    if (c !== 0 && examples.length < 8) examples.push(`${c > 0 ? 'missing' : 'extra'} ${l} x${Math.abs(c)}`);
  }
  return { missing, extra, examples };
}

/** The fault-free output: for each word w with n occurrences, "w,1" .. "w,n". */
export function expectedLines(words: string[]): string[] {
  const n = new Map<string, number>();
  return words.map((w) => {
    const c = (n.get(w) ?? 0) + 1;
    n.set(w, c);
    return `${w},${c}`;
  });
}
