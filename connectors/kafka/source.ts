/**
 * `kafka.source(...)`: a replayable Kafka source (kafkajs).
 *
 * - Partitions are assigned by weir, not by a consumer group, as Flink's
 *   KafkaSource does: partition p goes to instance p mod parallelism. kafkajs
 *   has no manual assign() (kafkajs#373), so each instance consumes through a
 *   group of its own, fresh on every open (`<groupId>.weir-<instance>-<random>`),
 *   of which it is the only member: joining takes one round trip, no
 *   rebalance ever pauses the other instances, and a replacement never waits
 *   for a dead predecessor's session to expire (a shared group stalled
 *   recovery for the whole session timeout). Such a group never commits, so
 *   the broker forgets it once it is empty.
 * - Positions (next offset per partition) are weir's checkpoint state; the
 *   consumer seeks to them on joining, so no committed offset decides what is
 *   read. After each completed checkpoint they are committed to `groupId`,
 *   for monitoring tools (lag) and `startFrom: 'committed'`: through a
 *   transactional offset commit (kafkajs can only commit as a group member,
 *   and `groupId` has no members), with the transactional id
 *   `weir-<job>-<operator>-<instance>-offsets`. A failed commit is logged and
 *   left to the next checkpoint.
 * - Backpressure: records wait in a bounded queue; when it is full the
 *   partitions are paused and `eachBatch` waits, calling heartbeat() so the
 *   group does not rebalance under backpressure (kafkajs#387).
 * - Values decode as 'string' (default), 'json' or 'buffer'; a value that does
 *   not decode follows the source's onError ('skip' dead-letters it).
 * - Isolation is read_committed: records of aborted transactions are never read.
 */
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import type { PullResult, SourceConnector, SourceContext, SourceReader } from '../../actors/contract.js';
import { ConfigError, UserFunctionError } from '../../actors/errors.js';
import { randomBytes } from 'node:crypto';
import { instanceAssigner } from './assigner.js';
import { offsetMonitor } from './offset-monitor.js';
import { connectBudgetMs, connectOrExplain, createKafka, parseBrokers, requireTopic, retryPolicy, unreachableError, type KafkaConnection } from './client.js';
import { topicPartitions, type CreateTopic } from './topics.js';

export type StartFrom = 'earliest' | 'latest' | 'committed';
export type ValueFormat = 'string' | 'json' | 'buffer';

export interface KafkaSourceOptions extends KafkaConnection {
  topic: string;
  /**
   * Event time from each Kafka record's timestamp, with bounded-out-of-orderness
   * watermarks per partition, as Flink's KafkaSource: the source instance's
   * watermark is the minimum over its partitions, leaving out those idle for
   * `idleTimeout` ms; each assigned partition counts from the source's start,
   * so an empty one holds event time back until `idleTimeout` (as in Flink).
   * An assigner chained right after the source. Needs `envelope: true`: the
   * timestamp travels in the record.
   */
  timestamps?: { outOfOrderness?: number; idleTimeout?: number };
  /** Consumer group (default `weir-<operator>`) the positions are committed to after each checkpoint, for monitoring and startFrom 'committed'. */
  groupId?: string;
  /** Where a job with no checkpoint starts: 'committed' offsets of the group falling back to earliest (default), 'earliest' or 'latest'. */
  startFrom?: StartFrom;
  /** How values decode (default 'string'). */
  format?: ValueFormat;
  /** Emit `{ key, value, headers, timestamp, topic, partition, offset }` instead of the value alone. */
  envelope?: boolean;
  /** Create the topic when missing. */
  createTopic?: CreateTopic;
  /** Records buffered per instance before partitions are paused (default 4096). */
  bufferRecords?: number;
  /** Session timeout of each instance's private consumer group (default 10000); only a hung consumer is noticed by it. */
  sessionTimeoutMs?: number;
}

/** What cluster mode (runtime/cluster) reads of a kafka.source: it consumes the topic itself, one task per partition. */
export interface KafkaSourceEndpoint {
  brokers: string | string[];
  topic: string;
  format: ValueFormat;
  envelope: boolean;
  startFrom: StartFrom;
  /** The groupId option (its default, `weir-<operator>`, is the node's id there). */
  groupId?: string;
}

export interface KafkaRecord<V = unknown> {
  key: string | null;
  value: V;
  headers: Record<string, string>;
  timestamp: number;
  topic: string;
  partition: number;
  offset: number;
}

/** Checkpointed position of one instance: next offset per partition. */
interface KafkaPosition {
  i: number;
  offsets: Record<number, number>;
}

interface Queued {
  partition: number;
  offset: number;
  message: KafkaMessage;
}

export function kafkaSource<V = string>(options: KafkaSourceOptions & { envelope: true }): SourceConnector<KafkaRecord<V>>;
export function kafkaSource<V = string>(options: KafkaSourceOptions & { envelope?: false }): SourceConnector<V>;
export function kafkaSource<V = string>(options: KafkaSourceOptions): SourceConnector<V | KafkaRecord<V>>;
export function kafkaSource<V = string>(options: KafkaSourceOptions): SourceConnector<V | KafkaRecord<V>> {
  parseBrokers(options.brokers, 'kafka.source');
  const topic = requireTopic(options.topic, 'kafka.source');
  const startFrom = options.startFrom ?? 'committed';
  if (!['earliest', 'latest', 'committed'].includes(startFrom)) {
    throw new ConfigError(`kafka.source startFrom ${JSON.stringify(startFrom)} is invalid. Fix: 'earliest', 'latest' or 'committed'`, { field: 'startFrom' });
  }
  const format = options.format ?? 'string';
  if (!['string', 'json', 'buffer'].includes(format)) throw new ConfigError(`kafka.source format ${JSON.stringify(format)} is invalid. Fix: 'string', 'json' or 'buffer'`, { field: 'format' });
  const capacity = options.bufferRecords ?? 4096;
  if (options.timestamps !== undefined && options.envelope !== true) {
    throw new ConfigError('kafka.source timestamps come from the Kafka record, which the stream only carries with envelope: true. Fix: kafka.source({ ..., envelope: true, timestamps: { outOfOrderness } }) and read r.value', { field: 'timestamps' });
  }
  // Partitions per instance, registered at open for the watermark assigner chained after it (same worker, same module).
  const assigned = new Map<number, number[]>();
  const connector: SourceConnector<V | KafkaRecord<V>> & { kafkaEndpoint: KafkaSourceEndpoint } = {
    timestamps: options.timestamps && {
      of: (r: unknown) => (r as KafkaRecord).timestamp,
      split: { of: (r: unknown) => (r as KafkaRecord).partition, assigned: (instance: number) => assigned.get(instance) },
      options: options.timestamps,
    },
    role: 'source',
    type: 'kafka',
    kafkaEndpoint: { brokers: options.brokers, topic, format, envelope: options.envelope === true, startFrom, groupId: options.groupId },
    async open(ctx: SourceContext): Promise<SourceReader<V | KafkaRecord<V>>> {
      const groupId = options.groupId ?? `weir-${ctx.operator}`;
      const kafka = await createKafka(`weir-${ctx.operator}-${ctx.instance}`, options, ctx.log, `kafka.source '${ctx.operator}'`, { readCommitted: true });
      const { AssignerProtocol } = await import('kafkajs');
      const admin = kafka.admin();
      await connectOrExplain(() => admin.connect(), options, `kafka.source '${ctx.operator}'`);
      let all: number[];
      try {
        all = await topicPartitions(admin, topic, options.createTopic, `kafka.source '${ctx.operator}'`);
      } catch (e) {
        await admin.disconnect();
        throw e;
      }
      const mine = all.filter((p) => p % ctx.parallelism === ctx.instance);
      assigned.set(ctx.instance, mine);

      // Where each partition starts: the checkpoint, else startFrom.
      const next = new Map<number, number>(); // after the last record emitted downstream
      for (const s of (ctx.restored ?? []) as KafkaPosition[]) {
        for (const [p, off] of Object.entries(s.offsets)) if (mine.includes(Number(p))) next.set(Number(p), off);
      }
      const missing = mine.filter((p) => !next.has(p));
      if (missing.length) {
        const ends = await admin.fetchTopicOffsets(topic);
        const committed = startFrom === 'committed' ? await admin.fetchOffsets({ groupId, topics: [topic] }) : [];
        for (const p of missing) {
          const e = ends.find((x) => x.partition === p)!;
          const c = committed[0]?.partitions.find((x) => x.partition === p);
          const off = startFrom === 'latest' ? Number(e.high) : startFrom === 'committed' && c && Number(c.offset) >= 0 ? Number(c.offset) : Number(e.low);
          next.set(p, off);
        }
      }
      await admin.disconnect();
      if (mine.length === 0) {
        ctx.log.warn({ topic, instance: ctx.instance }, `kafka.source '${ctx.operator}' instance ${ctx.instance} has no partition of '${topic}' (${all.length} partitions); it stays idle`);
        return { pull: () => ({ records: [], waitMs: 1000 }), position: () => ({ i: ctx.instance, offsets: {} }) };
      }

      /**
       * kafkajs restarts a consumer after every failure, forever by default. An outage is ridden
       * out for connectTimeoutMs (retried with backoff, logged once), then the source fails with
       * KAFKA_UNREACHABLE and the job's restart strategy takes over; a closed source (its region
       * restarted) stops retrying at once.
       */
      let closed = false;
      let downSince: number | undefined;
      const budget = connectBudgetMs(options);
      const brokerList = parseBrokers(options.brokers, 'kafka').join(',');
      const restartAfter = (err: Error): boolean => {
        if (closed) return false;
        const now = Date.now();
        if (downSince === undefined) {
          downSince = now;
          ctx.log.warn({ err }, `kafka.source '${ctx.operator}' instance ${ctx.instance}: lost the Kafka broker(s) ${brokerList} (${err.message}); retrying for up to ${budget} ms`);
        }
        if (now - downSince < budget) return true;
        failure = unreachableError(options, `kafka.source '${ctx.operator}'`, err);
        return false;
      };
      const reachable = () => {
        if (downSince === undefined) return;
        ctx.log.info(`kafka.source '${ctx.operator}' instance ${ctx.instance}: reading from ${brokerList} again after ${Date.now() - downSince} ms`);
        downSince = undefined;
      };
      const monitor = offsetMonitor(kafka, { topic, groupId, transactionalId: `weir-${ctx.job}-${ctx.operator}-${ctx.instance}-offsets`, log: ctx.log });
      const fetched = new Map(next); // after the last record queued
      const highWatermarks = new Map<number, number>(); // per partition, as of its last fetched batch
      const queue: Queued[] = [];
      let head = 0;
      let paused = false;
      let wakeFetcher: (() => void) | undefined;
      let wakePuller: (() => void) | undefined;
      let failure: unknown;
      const byCheckpoint = new Map<number, Record<number, number>>();
      let finalOffsets: Record<number, number> | undefined;

      const consumer: Consumer = kafka.consumer({
        groupId: `${groupId}.weir-${ctx.instance}-${randomBytes(4).toString('hex')}`,
        partitionAssigners: [instanceAssigner({ instance: ctx.instance, parallelism: ctx.parallelism }, AssignerProtocol)],
        maxWaitTimeInMs: 50,
        sessionTimeout: options.sessionTimeoutMs ?? 10_000,
        retry: { ...retryPolicy(options, 300, 5000), restartOnFailure: async (err: Error) => restartAfter(err) },
      });
      consumer.on(consumer.events.FETCH, reachable);
      consumer.on(consumer.events.GROUP_JOIN, (e) => {
        const assigned: number[] = (e.payload.memberAssignment as Record<string, number[]>)[topic] ?? [];
        for (const p of assigned) consumer.seek({ topic, partition: p, offset: String(fetched.get(p) ?? next.get(p) ?? 0) });
      });
      consumer.on(consumer.events.CRASH, (e) => {
        if (!e.payload.restart && !closed) failure = e.payload.error;
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const size = () => queue.length - head;
      const pauseAll = () => {
        if (paused) return;
        paused = true;
        consumer.pause([{ topic, partitions: mine }]);
      };
      const resumeAll = () => {
        if (!paused) return;
        paused = false;
        consumer.resume([{ topic, partitions: mine }]);
      };
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload) => {
          const p = batch.partition;
          highWatermarks.set(p, Number(batch.highWatermark));
          for (const m of batch.messages) {
            if (!isRunning() || isStale()) return;
            const off = Number(m.offset);
            // Resolved = taken into the queue: kafkajs fetches on from there (nothing is committed by it).
            resolveOffset(m.offset);
            if (off < (fetched.get(p) ?? 0)) continue; // already queued or before our position
            queue.push({ partition: p, offset: off, message: m });
            fetched.set(p, off + 1);
          }
          wakePuller?.();
          // Full: stop fetching, and hold this batch while keeping the group membership alive.
          while (size() >= capacity && isRunning() && !isStale()) {
            pauseAll();
            await new Promise<void>((r) => {
              wakeFetcher = r;
              setTimeout(r, 1000);
            });
            wakeFetcher = undefined;
            await heartbeat();
          }
        },
      });

      const decode = (q: Queued): V | KafkaRecord<V> | typeof SKIP => {
        const raw = q.message.value;
        let value: unknown;
        try {
          value = format === 'buffer' ? raw : format === 'json' ? (raw === null ? null : JSON.parse(raw.toString('utf8'))) : raw?.toString('utf8') ?? null;
        } catch (e) {
          const err = new UserFunctionError({ operator: ctx.operator, instance: ctx.instance, record: raw?.toString('utf8'), onError: ctx.onError, partition: q.partition, offset: q.offset }, e);
          if (ctx.onError === 'skip') {
            ctx.deadLetter(raw?.toString('utf8'), err);
            return SKIP;
          }
          throw err;
        }
        if (!options.envelope) return value as V;
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(q.message.headers ?? {})) if (v !== undefined) headers[k] = Array.isArray(v) ? v.map(String).join(',') : String(v);
        return { key: q.message.key?.toString('utf8') ?? null, value: value as V, headers, timestamp: Number(q.message.timestamp), topic, partition: q.partition, offset: q.offset };
      };

      return {
        async pull(max): Promise<PullResult<V | KafkaRecord<V>>> {
          if (failure) throw failure;
          if (size() === 0) {
            // Wait a little for data, but return soon so barriers and stops get through.
            await new Promise<void>((r) => {
              wakePuller = r;
              setTimeout(r, 20);
            });
            wakePuller = undefined;
          }
          const records: (V | KafkaRecord<V>)[] = [];
          while (records.length < max && head < queue.length) {
            const q = queue[head];
            queue[head++] = undefined as never;
            next.set(q.partition, q.offset + 1);
            const r = decode(q);
            if (r !== SKIP) records.push(r);
          }
          if (head > 1024 && head * 2 > queue.length) {
            queue.splice(0, head);
            head = 0;
          }
          if (size() < capacity / 2) {
            resumeAll();
            wakeFetcher?.();
          }
          return { records };
        },
        position(checkpointId): KafkaPosition {
          const offsets = Object.fromEntries(next);
          // At end of input (a drain) the position is asked with no id yet: any later completion commits it.
          if (checkpointId === Number.MAX_SAFE_INTEGER) finalOffsets = offsets;
          else byCheckpoint.set(checkpointId, offsets);
          return { i: ctx.instance, offsets };
        },
        lag() {
          const lag: Record<string, number> = {};
          for (const [p, hw] of highWatermarks) {
            const at = next.get(p);
            if (at !== undefined) lag[p] = Math.max(0, hw - at);
          }
          return lag;
        },
        async checkpointComplete(id) {
          const offsets = byCheckpoint.get(id) ?? finalOffsets;
          for (const k of byCheckpoint.keys()) if (k <= id) byCheckpoint.delete(k);
          if (offsets) await monitor.commit(offsets);
        },
        async close() {
          closed = true;
          await Promise.all([consumer.disconnect().catch(() => {}), monitor.close()]);
        },
      };
    },
  };
  return connector;
}

const SKIP = Symbol('skip');
