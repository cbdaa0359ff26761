/**
 * One task (sub-topology s, partition p) on this member: consume, process,
 * produce, exactly once, as Kafka Streams' EOS does.
 *
 * Protocol, in this order on every start (also a takeover):
 * 1. a transactional producer with the task's own transactional id
 *    `<prefix><job>-task-s.p` connects: InitProducerId bumps the epoch, so a
 *    zombie still running this task is fenced and its open transaction is
 *    aborted (PRODUCER_FENCED on its next send or commit);
 * 2. the input offsets committed to the group `<prefix><job>` are read (now
 *    stable: the zombie's transaction is aborted); an input without one
 *    starts where kafka.source's startFrom says, committed at once
 *    (start-positions.ts);
 * 3. a stateful task restores its state from the changelog record written
 *    with exactly those offsets (changelog.ts);
 * 4. it reads its input partitions from those offsets and ships each fetched
 *    batch to the task's chain (on a worker thread, task-workers.ts; at most
 *    `inFlight` batches outstanding: a full window holds the reader, whose
 *    next fetch waits). Outputs come back in order; one transaction sends
 *    the output of every batch that is back (sink and repartition topics),
 *    the changelog record of the last of them (its state and input offsets)
 *    and those input offsets (sendOffsets), and commits. While it commits,
 *    the chain runs the next batches: the CPU work of the task overlaps its
 *    broker round trips. The position committed is past the transaction
 *    markers and aborted records a fetch held after its last record (as
 *    Kafka's consumer position is): a read_committed reader never receives
 *    them, so a caught-up task has no lag left (a fetch of nothing else
 *    commits that position alone).
 * Any failure aborts the transaction and fails the task: the member starts it
 * again from step 1, which reads the last committed position. A fenced task
 * is not restarted: it runs elsewhere now.
 */
import type { Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from '../../actors/contract.js';
import { connectFenced } from '../../connectors/kafka/client.js';
import type { LogicalGraph } from '../dsl/graph.js';
import { CHANGELOG_KEY, restoreTaskState, type Offsets } from './changelog.js';
import { sourceEndpoint } from './endpoints.js';
import { startOffsets } from './start-positions.js';
import { readCommittedAdmin } from './stable-offsets.js';
import type { TaskReport } from './task-meters.js';
import { readPartition, type PartitionReader } from './partition-reader.js';
import { bufferOf } from './source-values.js';
import type { SubTopology } from './subtopologies.js';
import { encodeRows, type TaskOutput } from './task-batch.js';
import type { TaskState } from './task-chain.js';
import type { TaskExecutor, TaskPlacement } from './task-executor.js';

export interface TaskDeps {
  kafka: Kafka;
  graph: LogicalGraph;
  sub: SubTopology;
  partition: number;
  partitions: number;
  /** Where the task's chain runs (the member's worker pool, or inline). */
  placement: TaskPlacement;
  /** Batches shipped to the chain and not yet committed, at most (credits). */
  inFlight: number;
  /** The job's consumer group: input offsets are committed to it. */
  group: string;
  transactionalId: string;
  log: Logger;
  /** The task ended with an error (not by close()); `fenced`: another member took it over. */
  onFailed(error: Error, fenced: boolean): void;
  /** Where the task reports its commits, aborts and restore time (metrics). */
  meter?: TaskReport;
}

export interface TaskStats {
  records: number;
  transactions: number;
  /** Input partition -> next offset, as last committed. */
  offsets: Offsets;
}

const FENCED = new Set(['PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);

export function isFenced(e: unknown): boolean {
  for (let x = e as { type?: string; cause?: unknown; originalError?: unknown } | undefined, i = 0; x && i < 5; i++) {
    if (x.type && FENCED.has(x.type)) return true;
    x = (x.originalError ?? x.cause) as typeof x;
  }
  return false;
}

/** A batch shipped to the chain: its output once back, and the input positions after it. */
interface Shipped {
  out?: TaskOutput;
  ready: Promise<unknown>;
  offsets: Offsets;
  records: number;
}

export class TaskRunner {
  readonly id: string;
  readonly stats: TaskStats = { records: 0, transactions: 0, offsets: {} };
  private producer: Producer | undefined;
  private reader: PartitionReader | undefined;
  private exec: TaskExecutor | undefined;
  private closed = false;
  private failed = false;
  /** Input positions after the last batch shipped (ahead of stats.offsets by the batches in flight). */
  private shippedTo: Offsets = {};
  private readonly shipped: Shipped[] = [];
  /** The reader waits here while `inFlight` batches are outstanding. */
  private creditWaiters: (() => void)[] = [];
  /** The commit loop, so close() lets its transaction finish; `looping` while it runs. */
  private committing: Promise<void> = Promise.resolve();
  private looping = false;
  /** Processing time: the chain's next tick (timers, windows, watermark intervals). */
  private tickTimer: NodeJS.Timeout | undefined;

  constructor(private readonly d: TaskDeps) {
    this.id = `${d.sub.id}.${d.partition}`;
  }

  async start(): Promise<void> {
    const { kafka, sub, partition, log } = this.d;
    const t0 = Date.now();
    // Retries start small: CONCURRENT_TRANSACTIONS right after the previous commit clears in milliseconds (as in kafka.sink).
    const producer = kafka.producer({ transactionalId: this.d.transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000, retry: { initialRetryTime: 20, maxRetryTime: 2000, retries: 12 } });
    this.producer = producer;
    // Step 1, before the offsets are read: without the fence the previous owner kept committing until this
    // task's first transaction, after its offsets had been read (output twice).
    await connectFenced(producer);
    const fencedAt = Date.now();
    const admin = readCommittedAdmin(kafka); // 'latest' starts at the last stable offset
    await admin.connect();
    const topics = sub.inputs.map((i) => i.topic);
    let committed: Offsets = {};
    let fresh: Offsets = {};
    try {
      const fetched = await admin.fetchOffsets({ groupId: this.d.group, topics });
      for (const t of fetched) {
        const p = t.partitions.find((x) => x.partition === partition);
        if (p && Number(p.offset) >= 0) committed[t.topic] = Number(p.offset);
      }
      const missing = sub.inputs.filter((i) => committed[i.topic] === undefined);
      if (missing.length > 0) fresh = await startOffsets(admin, this.d.graph, missing, partition);
    } finally {
      await admin.disconnect();
    }
    let state: TaskState | undefined;
    if (sub.stateful && Object.keys(committed).length > 0) {
      state = await restoreTaskState(kafka, { group: this.d.group, changelog: sub.changelog, partition, partitions: this.d.partitions, offsets: committed, task: this.id, timeoutMs: 30_000 });
    }
    if (this.closed) return;
    this.stats.offsets = { ...committed };
    this.shippedTo = { ...committed };
    this.exec = await this.d.placement.open({ task: this.id, sub, partition, partitions: this.d.partitions, state, onFailed: (e) => this.fail(e) });
    if (this.closed) return this.exec.close();
    // Inputs the group had no offset for: their start is committed before anything is read, so it is decided once.
    const freshTopics = Object.keys(fresh);
    if (freshTopics.length > 0) {
      this.shippedTo = { ...this.shippedTo, ...fresh };
      this.send(freshTopics[0], this.rows(freshTopics[0], []), 0);
      await this.committing;
      if (this.closed || this.failed) return;
    }
    this.d.meter?.restored(Date.now() - t0);
    this.reader = await readPartition(kafka, {
      group: `${this.d.group}.task-${this.id}`,
      topics,
      partition,
      partitions: this.d.partitions,
      // A rejoined reader (e.g. after a long pause) goes back to the committed position; batches in flight are redone.
      from: () => new Map(Object.entries(this.stats.offsets)),
      onBatch: (topic, messages, _high, lastOffset) => this.ship(topic, messages, lastOffset),
      onCrash: (e) => this.fail(e),
    });
    if (this.closed) await this.reader.close(); // revoked while starting
    void this.tick(); // learns when the restored chain wants processing time
    log.info({ task: this.id, ms: Date.now() - t0, fenceMs: fencedAt - t0, restored: state !== undefined, offsets: committed, on: this.exec.where }, `task ${this.id} running`);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.tickTimer);
    this.releaseCredits();
    await this.committing.catch(() => {});
    await this.reader?.close();
    this.exec?.close();
    await this.producer?.disconnect().catch(() => {});
  }

  /** Ends the task with an error (once); ignored after close(). */
  fail(e: Error): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    clearTimeout(this.tickTimer);
    this.releaseCredits();
    this.d.onFailed(e, isFenced(e));
  }

  private releaseCredits(): void {
    for (const w of this.creditWaiters.splice(0)) w();
  }

  /** Waits for a free credit; false once the task is closed or failed. */
  private async credit(): Promise<boolean> {
    while (!this.closed && !this.failed && this.shipped.length >= this.d.inFlight) await new Promise<void>((r) => this.creditWaiters.push(r));
    return !this.closed && !this.failed;
  }

  /**
   * Ships one fetched batch to the chain once a credit is free; the reader fetches on meanwhile. `lastOffset`:
   * the fetch's last offset, markers and aborted records included (a fetch of only those ships no record and
   * moves the position alone).
   */
  private async ship(topic: string, fetched: KafkaMessage[], lastOffset: number): Promise<void> {
    if (!(await this.credit())) return;
    // A reader that rejoined its private group seeks to the committed position: records shipped since are redone
    // only if they were not shipped yet (positions ahead of the committed one are skipped here).
    const at = this.shippedTo[topic] ?? 0;
    const messages = fetched[0] && Number(fetched[0].offset) >= at ? fetched : fetched.filter((m) => Number(m.offset) >= at);
    const next = Math.max(Number.isFinite(lastOffset) ? lastOffset + 1 : 0, messages.length > 0 ? Number(messages[messages.length - 1].offset) + 1 : 0);
    if (next <= at) return;
    this.shippedTo = { ...this.shippedTo, [topic]: next };
    this.send(topic, this.rows(topic, messages), messages.length);
  }

  /** The wire rows of `messages` read from `topic`. */
  private rows(topic: string, messages: KafkaMessage[]): Uint8Array {
    const input = this.d.sub.inputs.find((i) => i.topic === topic);
    const envelope = input?.kind === 'source' && sourceEndpoint(this.d.graph.nodes.find((n) => n.id === input.node)!)?.envelope === true;
    return encodeRows(messages, envelope, { operator: topic, instance: this.d.partition });
  }

  /** A tick of processing time, through the same window and transactions as batches (what it fires is output too). */
  private async tick(): Promise<void> {
    if (await this.credit()) this.send(null, null, 0);
  }

  private send(topic: string | null, rows: Uint8Array | null, records: number): void {
    const b: Shipped = { offsets: this.shippedTo, records, ready: Promise.resolve() };
    b.ready = this.exec!.process(topic, rows, b.offsets).then((out) => {
      b.out = out;
      // Outputs come back in order: the latest says when the chain next wants processing time.
      clearTimeout(this.tickTimer);
      if (out.next !== undefined && !this.closed && !this.failed) this.tickTimer = setTimeout(() => void this.tick(), Math.max(0, out.next - Date.now()));
    });
    b.ready.catch((e: Error) => this.fail(e));
    this.shipped.push(b);
    if (!this.looping) this.committing = this.commitLoop();
  }

  /** Commits what came back, in order, one transaction at a time, until nothing is outstanding. */
  private async commitLoop(): Promise<void> {
    this.looping = true;
    try {
      while (this.shipped.length > 0 && !this.closed && !this.failed) {
        try {
          await this.shipped[0].ready;
        } catch {
          return; // failed: ship() saw it
        }
        // Closed meanwhile (revoked): what is not committed is redone by the next owner.
        if (this.closed || this.failed) return;
        await this.commitReady();
      }
    } finally {
      // Cleared in the same step the loop ends, so a batch shipped right after starts a new loop.
      this.looping = false;
    }
  }

  /** One transaction for every output that is back; their credits return once it committed. */
  private async commitReady(): Promise<void> {
    let n = 0;
    while (n < this.shipped.length && this.shipped[n].out) n++;
    // Ticks that found nothing due change nothing: no transaction for them.
    const done = this.shipped.slice(0, n).filter((b) => !b.out!.noop);
    if (done.length > 0 && !(await this.commit(done))) return;
    this.shipped.splice(0, n);
    for (const w of this.creditWaiters.splice(0, n)) w();
  }

  /** One transaction for the outputs of `done` (in order) and the positions after the last of them. */
  private async commit(done: Shipped[]): Promise<boolean> {
    const producer = this.producer!;
    const last = done[done.length - 1];
    const t0 = performance.now();
    let recordsOut = 0;
    let txn: Awaited<ReturnType<Producer['transaction']>> | undefined;
    try {
      const byTopic = new Map<string, Message[]>();
      for (const b of done) {
        for (const [topic, msgs] of b.out!.sends) {
          const list = byTopic.get(topic) ?? [];
          recordsOut += msgs.length;
          for (const [key, value, partition] of msgs) list.push({ key: key === null ? null : typeof key === 'string' ? key : bufferOf(key), value: typeof value === 'string' ? value : bufferOf(value), partition });
          byTopic.set(topic, list);
        }
      }
      const changelog = last.out!.changelog;
      if (changelog) byTopic.set(this.d.sub.changelog, [{ key: CHANGELOG_KEY, partition: this.d.partition, value: bufferOf(changelog) }]);
      txn = await producer.transaction();
      await Promise.all([...byTopic].map(([topic, messages]) => txn!.send({ topic, acks: -1, messages })));
      const topics = Object.entries(last.offsets).map(([topic, offset]) => ({ topic, partitions: [{ partition: this.d.partition, offset: String(offset) }] }));
      // A tick's output before the task read anything (an idle watermark) has no position to commit.
      if (topics.length > 0) await txn.sendOffsets({ consumerGroupId: this.d.group, topics });
      await txn.commit();
      this.stats.offsets = last.offsets;
      for (const b of done) this.stats.records += b.records;
      this.stats.transactions++;
      const recordsIn = done.reduce((n, b) => n + b.records, 0);
      this.d.meter?.committed({ recordsIn, recordsOut, latencyMs: performance.now() - t0, stateBytes: changelog?.byteLength });
      return true;
    } catch (e) {
      if (txn?.isActive()) await txn.abort().catch(() => {});
      if (txn) this.d.meter?.aborted();
      this.fail(e as Error);
      return false;
    }
  }
}
