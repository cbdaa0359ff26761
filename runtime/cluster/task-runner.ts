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
 * 4. it reads its input partitions from those offsets; for each fetched batch
 *    one transaction sends the output (sink and repartition topics), the
 *    task's state (changelog) and the input offsets (sendOffsets), and commits.
 *    The offset committed is past the transaction markers and aborted records
 *    the fetch held after the last record (as Kafka's consumer position is):
 *    a read_committed reader never receives them, so a caught-up task has no
 *    lag left (a fetch of nothing else commits that alone).
 * Any failure aborts the transaction and fails the task: the member starts it
 * again from step 1, which reads the last committed position. A fenced task
 * is not restarted: it runs elsewhere now.
 */
import type { Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { Logger } from '../../actors/contract.js';
import { decodeBatch } from '../channel/codec.js';
import type { LogicalGraph } from '../dsl/graph.js';
import { CHANGELOG_KEY, encodeChangelog, restoreTaskState, type Offsets } from './changelog.js';
import { startOffsets } from './start-positions.js';
import { readCommittedAdmin } from './stable-offsets.js';
import type { TaskReport } from './task-meters.js';
import { sinkEndpoint, sourceEndpoint } from './endpoints.js';
import { readPartition, type PartitionReader } from './partition-reader.js';
import { TaskChain, type ChainOutput, type TaskState } from './task-chain.js';
import type { SubTopology } from './subtopologies.js';
import { decodeSourceValue } from './source-values.js';

export interface TaskDeps {
  kafka: Kafka;
  graph: LogicalGraph;
  sub: SubTopology;
  partition: number;
  partitions: number;
  repartitionPartitions: ReadonlyMap<string, number>;
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

export class TaskRunner {
  readonly id: string;
  readonly stats: TaskStats = { records: 0, transactions: 0, offsets: {} };
  private producer: Producer | undefined;
  private reader: PartitionReader | undefined;
  private chain: TaskChain | undefined;
  private closed = false;
  private failed = false;
  /** The batch being processed, so close() lets its transaction finish. */
  private inFlight: Promise<void> = Promise.resolve();

  constructor(private readonly d: TaskDeps) {
    this.id = `${d.sub.id}.${d.partition}`;
  }

  async start(): Promise<void> {
    const { kafka, sub, partition, log } = this.d;
    const t0 = Date.now();
    // Retries start small: CONCURRENT_TRANSACTIONS right after the previous commit clears in milliseconds (as in kafka.sink).
    const producer = kafka.producer({ transactionalId: this.d.transactionalId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 60_000, retry: { initialRetryTime: 20, maxRetryTime: 2000, retries: 12 } });
    this.producer = producer;
    await producer.connect(); // fences the zombie (step 1)
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
    this.chain = new TaskChain(this.d.graph, sub, partition, this.d.partitions, this.d.repartitionPartitions, log, state);
    // Inputs the group had no offset for: their start is committed before anything is read, so it is decided once.
    if (Object.keys(fresh).length > 0) await this.transact({ sinks: new Map(), repartition: [] }, fresh, 0);
    this.d.meter?.restored(Date.now() - t0);
    this.reader = await readPartition(kafka, {
      group: `${this.d.group}.task-${this.id}`,
      topics,
      partition,
      partitions: this.d.partitions,
      from: () => new Map(Object.entries(this.stats.offsets)),
      onBatch: (topic, messages, _high, lastOffset) => (this.inFlight = this.onBatch(topic, messages, lastOffset)),
      onCrash: (e) => this.fail(e),
    });
    if (this.closed) await this.reader.close(); // revoked while starting
    log.info({ task: this.id, ms: Date.now() - t0, restored: state !== undefined, offsets: committed }, `task ${this.id} running`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.inFlight.catch(() => {});
    await this.reader?.close();
    this.chain?.close();
    await this.producer?.disconnect().catch(() => {});
  }

  /** Ends the task with an error (once); ignored after close(). */
  fail(e: Error): void {
    if (this.closed || this.failed) return;
    this.failed = true;
    this.d.onFailed(e, isFenced(e));
  }

  private async onBatch(topic: string, fetched: KafkaMessage[], lastOffset: number): Promise<void> {
    if (this.closed || this.failed) return;
    // A reader that rejoined its private group (e.g. after a long pause) seeks to its start again:
    // records before the committed position were processed already.
    const at = this.stats.offsets[topic] ?? 0;
    const messages = fetched[0] && Number(fetched[0].offset) >= at ? fetched : fetched.filter((m) => Number(m.offset) >= at);
    const next = Math.max(lastOffset + 1, messages.length > 0 ? Number(messages[messages.length - 1].offset) + 1 : 0);
    if (next <= at) return;
    try {
      const out = messages.length > 0 ? this.process(topic, messages) : { sinks: new Map(), repartition: [] };
      await this.transact(out, { [topic]: next }, messages.length);
    } catch (e) {
      this.fail(e as Error);
    }
  }

  /** One transaction: the output, the state (stateful tasks) and the input offsets `advance` (on top of the committed ones). */
  private async transact(out: ChainOutput, advance: Offsets, recordsIn: number): Promise<void> {
    const producer = this.producer!;
    const t0 = performance.now();
    let txn: Awaited<ReturnType<Producer['transaction']>> | undefined;
    let stateBytes: number | undefined;
    let recordsOut = out.repartition.length;
    try {
      const offsets = { ...this.stats.offsets, ...advance };
      txn = await producer.transaction();
      const sends: Promise<unknown>[] = [];
      for (const [node, records] of out.sinks) {
        const ep = sinkEndpoint(this.d.graph.nodes.find((n) => n.id === node)!)!;
        recordsOut += records.length;
        sends.push(txn.send({ topic: ep.topic, acks: -1, messages: records.map((r) => ep.toMessage(r as never)) as Message[] }));
      }
      if (out.repartition.length > 0) {
        const byTopic = new Map<string, Message[]>();
        for (const r of out.repartition) {
          const list = byTopic.get(r.topic) ?? [];
          list.push({ partition: r.partition, value: Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength) });
          byTopic.set(r.topic, list);
        }
        for (const [t, msgs] of byTopic) sends.push(txn.send({ topic: t, acks: -1, messages: msgs }));
      }
      if (this.d.sub.stateful) {
        const v = encodeChangelog(offsets, this.chain!.snapshot(), { operator: this.d.sub.changelog, instance: this.d.partition });
        stateBytes = v.byteLength;
        sends.push(txn.send({ topic: this.d.sub.changelog, acks: -1, messages: [{ key: CHANGELOG_KEY, partition: this.d.partition, value: Buffer.from(v.buffer, v.byteOffset, v.byteLength) }] }));
      }
      await Promise.all(sends);
      const topics = Object.entries(advance).map(([topic, offset]) => ({ topic, partitions: [{ partition: this.d.partition, offset: String(offset) }] }));
      await txn.sendOffsets({ consumerGroupId: this.d.group, topics });
      await txn.commit();
      this.stats.offsets = offsets;
      this.stats.records += recordsIn;
      this.stats.transactions++;
      this.d.meter?.committed({ recordsIn, recordsOut, latencyMs: performance.now() - t0, stateBytes });
    } catch (e) {
      if (txn?.isActive()) await txn.abort().catch(() => {});
      if (txn) this.d.meter?.aborted();
      throw e;
    }
  }

  /** Decodes the batch and runs it through the chain; consecutive records of one input index go together. */
  private process(topic: string, messages: KafkaMessage[]): ChainOutput {
    const input = this.d.sub.inputs.find((i) => i.topic === topic);
    if (!input) throw new Error(`bug: task ${this.id} read topic '${topic}', not one of its inputs`);
    const chain = this.chain!;
    if (input.kind === 'source') {
      const node = this.d.graph.nodes.find((n) => n.id === input.node)!;
      const ep = sourceEndpoint(node)!;
      const records = messages.map((m) => decodeSourceValue(ep, topic, this.d.partition, m));
      return chain.process(input.node, 0, records);
    }
    const total: ChainOutput = { sinks: new Map(), repartition: [] };
    let run: unknown[] = [];
    let runIndex = -1;
    const flush = () => {
      if (run.length === 0) return;
      const o = chain.process(input.node, runIndex, run);
      for (const [k, v] of o.sinks) total.sinks.set(k, [...(total.sinks.get(k) ?? []), ...v]);
      total.repartition.push(...o.repartition);
      run = [];
    };
    for (const m of messages) {
      const [index, record] = decodeBatch(m.value!) as [number, unknown];
      if (index !== runIndex) {
        flush();
        runIndex = index;
      }
      run.push(record);
    }
    flush();
    return total;
  }
}
