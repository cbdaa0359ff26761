/**
 * `kafka.sink(...)`: writes records to a Kafka topic (kafkajs).
 *
 * Without `exactlyOnce`: an idempotent producer sends each batch and the
 * write completes when the broker acknowledged it: at-least-once (a replay
 * after a rollback sends again).
 *
 * With `exactlyOnce` (two-phase commit with weir's checkpoints):
 * - records of checkpoint epoch n are held, and kept IN the checkpoint as
 *   the sink's snapshot at barrier n (phase 1). kafkajs cannot resume another
 *   producer's transaction (kafkajs#1221), so a transaction is only opened
 *   once checkpoint n completed;
 * - then (phase 2) one transaction sends epoch n's records together with a
 *   marker: a transactional offset commit of n for the consumer group
 *   `<transactionalId>-<lineage>-epochs`, a lineage per fresh run kept in the
 *   checkpoint, so a rerun whose checkpoint ids start again at 1 never meets
 *   an earlier run's markers. Records and marker commit atomically;
 * - after a restore, an epoch from the checkpoint is sent only if the marker
 *   shows it was not committed yet: never lost, never twice;
 * - the transactional id is stable per job, sink and instance, so a
 *   restarted instance fences its zombie; after an indefinite error
 *   (timeout, lost connection mid-commit) the producer is re-created rather
 *   than reused (Jepsen's Kafka analyses). Keep the broker's
 *   transaction.max.timeout.ms above the checkpoint interval.
 * Consumers must read with isolation read_committed (kafkajs' default).
 */
import { randomUUID } from 'node:crypto';
import type { Producer, Message } from 'kafkajs';
import type { SinkConnector, SinkContext, SinkWriter } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import { connectFenced, connectOrExplain, createKafka, parseBrokers, requireTopic, retryPolicy, type KafkaConnection } from './client.js';
import { topicPartitions, type CreateTopic } from './topics.js';

export interface KafkaSinkOptions<T> extends KafkaConnection {
  topic: string;
  /** Message key per record (partitioning); default none. */
  key?: (record: T) => string | Buffer | null;
  /** Commit with checkpoints in Kafka transactions (default false: idempotent, at-least-once). */
  exactlyOnce?: boolean;
  /** Create the topic when missing. */
  createTopic?: CreateTopic;
}

/** What cluster mode (runtime/cluster) uses of a kafka.sink: it writes the topic in each task's transaction, encoded as the sink does. */
export interface KafkaSinkEndpoint {
  brokers: string | string[];
  topic: string;
  toMessage(record: never): { key: string | Buffer | null; value: string | Buffer };
}

interface Epoch {
  n: number;
  messages: { key: string | Buffer | null; value: string | Buffer }[];
}

/**
 * Snapshot of one instance: epochs pre-committed but maybe not yet sent, the
 * transactional id that sends them, and the lineage whose marker group tracks
 * them. A lineage starts with every fresh (not restored) run: checkpoint ids
 * start again at 1 then, and must not meet the markers of an earlier run.
 */
interface KafkaSinkState {
  txId: string;
  lineage: string;
  epochs: Epoch[];
}

/**
 * An epoch goes out in sends of at most this many value/key characters (a
 * UTF-8 character is at most 3 bytes: each partition's record batch stays
 * below the broker's default 1 MB message.max.bytes) ...
 */
const SEND_CHARS = 256 * 1024;
/** ... and at most this many messages. */
const SEND_MESSAGES = 10_000;

/** Consecutive slices of `messages` for one send each (see SEND_CHARS). */
export function sendSlices<M extends { key: string | Buffer | null; value: string | Buffer }>(messages: M[]): M[][] {
  const out: M[][] = [];
  let start = 0;
  let chars = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const c = m.value.length + (m.key?.length ?? 0) + 16;
    if (i > start && (chars + c > SEND_CHARS || i - start >= SEND_MESSAGES)) {
      out.push(messages.slice(start, i));
      start = i;
      chars = 0;
    }
    chars += c;
  }
  if (start < messages.length) out.push(messages.slice(start));
  return out;
}
/** How long a marker that reads "not committed" is given to settle before it is believed (see isCommitted). */
const MARKER_SETTLE_MS = 150;

function encodeValue(v: unknown): string | Buffer {
  if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  return JSON.stringify(v);
}

export function kafkaSink<T = unknown>(options: KafkaSinkOptions<T>): SinkConnector<T> {
  parseBrokers(options.brokers, 'kafka.sink');
  const topic = requireTopic(options.topic, 'kafka.sink');
  const exactlyOnce = options.exactlyOnce === true;
  const toMessage = (r: T) => ({ key: options.key ? options.key(r) : null, value: encodeValue(r) });
  const connector: SinkConnector<T> & { kafkaEndpoint: KafkaSinkEndpoint } = {
    role: 'sink',
    type: 'kafka',
    guarantee: exactlyOnce ? 'exactly-once' : 'at-least-once',
    kafkaEndpoint: { brokers: options.brokers, topic, toMessage },
    async open(ctx: SinkContext): Promise<SinkWriter<T>> {
      const kafka = await createKafka(`weir-${ctx.job}-${ctx.operator}-${ctx.instance}`, options, ctx.log, `kafka.sink '${ctx.operator}'`, { readCommitted: false });
      const admin = kafka.admin();
      await connectOrExplain(() => admin.connect(), options, `kafka.sink '${ctx.operator}'`);
      try {
        await topicPartitions(admin, topic, options.createTopic, `kafka.sink '${ctx.operator}'`);
      } catch (e) {
        await admin.disconnect();
        throw e;
      }
      if (!exactlyOnce) {
        await admin.disconnect();
        const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
        await producer.connect();
        return {
          async write(records) {
            await producer.send({ topic, acks: -1, messages: records.map(toMessage) as Message[] });
          },
          close: () => producer.disconnect(),
        };
      }

      const txId = `weir-${ctx.job}-${ctx.operator}-${ctx.instance}`;
      const markerGroup = (id: string, lineage: string) => `${id}-${lineage}-epochs`;
      const restored = (ctx.restored ?? []) as KafkaSinkState[];
      const lineage = restored.find((s) => s.txId === txId)?.lineage ?? restored[0]?.lineage ?? randomUUID().slice(0, 8);
      let producer: Producer | undefined;
      const connect = async (): Promise<Producer> => {
        if (producer) return producer;
        // Retries start small: CONCURRENT_TRANSACTIONS right after a commit clears in milliseconds
        // (kafkajs retries it itself), while the budget still covers a broker outage.
        const p = kafka.producer({ transactionalId: txId, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 120_000, retry: retryPolicy(options, 20, 2000) });
        await connectFenced(p); // before any marker is read
        producer = p;
        return p;
      };
      const committedEpoch = async (id: string, lin: string): Promise<number> => {
        const res = await admin.fetchOffsets({ groupId: markerGroup(id, lin), topics: [topic] });
        const off = Number(res[0]?.partitions.find((x) => x.partition === 0)?.offset ?? -1);
        return Number.isFinite(off) ? off : -1;
      };
      /**
       * The epochs of `epochs` not committed yet, by the marker of `owner`. Called only after
       * fencing (connect): InitProducerId completes (commits or aborts) whatever transaction an
       * earlier incarnation or attempt left, so the marker is final. The broker still applies a
       * completed transaction's offset commit to its group cache asynchronously, and kafkajs'
       * OffsetFetch cannot ask for stable offsets (KIP-447 requireStable), so a marker that says
       * "not yet" is read again after a short settle.
       */
      const notCommitted = async (owner: string, lin: string, epochs: Epoch[]): Promise<Epoch[]> => {
        const last = epochs[epochs.length - 1].n;
        let m = await committedEpoch(owner, lin);
        if (m < last) {
          await new Promise((r) => setTimeout(r, MARKER_SETTLE_MS));
          m = await committedEpoch(owner, lin);
        }
        return epochs.filter((e) => e.n > m);
      };
      /**
       * Send epochs (ascending) in ONE transaction, with the marker of the last: a commit that
       * finds several epochs due (a backlog after a broker outage, or a restore) costs one
       * transaction, not one each. `mayBeDone`: some may be committed already (restored from a
       * checkpoint, or a retry after an indefinite failure), so the marker is checked first.
       * CONCURRENT_TRANSACTIONS (the coordinator still completing the previous commit) is retried
       * on the same producer at once; other retriable errors make the outcome indefinite: a fresh
       * producer fences, and the marker decides what is left.
       */
      const send = async (owner: string, lin: string, epochs: Epoch[], mayBeDone: boolean): Promise<void> => {
        let check = mayBeDone;
        for (let attempt = 0, delay = 50; ; attempt++) {
          try {
            return await sendOnce(owner, lin, epochs, check);
          } catch (err) {
            const type = String((err as { type?: string }).type ?? '');
            const concurrent = type === 'CONCURRENT_TRANSACTIONS' && (err as { definite?: boolean }).definite === true;
            const retriable = (err as { retriable?: boolean }).retriable === true || /CONCURRENT_TRANSACTIONS|COORDINATOR_LOAD|NOT_COORDINATOR/.test(type);
            const what = `epoch${epochs.length > 1 ? 's' : ''} ${epochs[0].n}${epochs.length > 1 ? `..${epochs[epochs.length - 1].n}` : ''}`;
            if (!retriable || attempt >= 20) {
              throw new WeirError('KAFKA_COMMIT_FAILED', `kafka.sink '${ctx.operator}' instance ${ctx.instance}: committing ${what} to topic '${topic}' failed after ${attempt + 1} attempt(s): ${err instanceof Error ? err.message : String(err)}. The records stay in the checkpoint and are committed after the restart. Fix: check the broker(s) ${parseBrokers(options.brokers, 'kafka').join(',')}`, { retriable: true, cause: err });
            }
            if (!concurrent) check = true;
            const wait = concurrent ? 20 : delay;
            if (!concurrent) delay = Math.min(delay * 2, 2000);
            (attempt < 3 ? ctx.log.debug : ctx.log.warn).call(ctx.log, { err, attempt }, `kafka.sink '${ctx.operator}': transaction for ${what} failed (retriable: ${type || 'connection'}); retrying in ${wait} ms`);
            await new Promise((r) => setTimeout(r, wait));
          }
        }
      };
      const sendOnce = async (owner: string, lin: string, epochs: Epoch[], check: boolean): Promise<void> => {
        // Fence before reading the marker, never after: see notCommitted.
        const p = await connect();
        const todo = check ? await notCommitted(owner, lin, epochs) : epochs;
        // Nothing to deliver (all committed, or only empty epochs): no transaction. A later
        // marker covers skipped empty epochs; a restore finds nothing to send in them either.
        if (!todo.some((e) => e.messages.length > 0)) return;
        const messages = todo.length === 1 ? todo[0].messages : todo.flatMap((e) => e.messages);
        const tx = await p.transaction();
        try {
          for (const slice of sendSlices(messages)) await tx.send({ topic, acks: -1, messages: slice as Message[] });
          await tx.sendOffsets({ consumerGroupId: markerGroup(owner, lin), topics: [{ topic, partitions: [{ partition: 0, offset: String(todo[todo.length - 1].n) }] }] });
          await tx.commit();
        } catch (err) {
          const aborted = await tx.abort().then(
            () => true,
            () => false,
          );
          if (aborted && (err as { type?: string }).type === 'CONCURRENT_TRANSACTIONS') {
            (err as { definite?: boolean }).definite = true; // rejected and aborted: nothing of it committed
            throw err;
          }
          // Indefinite outcome: never reuse this producer.
          producer = undefined;
          await p.disconnect().catch(() => {});
          throw err;
        }
      };

      // Fence first, so a restarted instance's zombie (or the killed process's open transaction) is
      // finished before anything is read or sent.
      await connect();
      // Restore: finish the epochs of completed checkpoints (old instances' too after a rescale).
      for (const s of restored) {
        const oldInstance = Number(s.txId.slice(s.txId.lastIndexOf('-') + 1));
        if (restored.length > 1 && oldInstance % ctx.parallelism !== ctx.instance) continue;
        if (s.epochs.length) await send(s.txId, s.lineage, s.epochs, true);
      }

      let open: Epoch['messages'] = [];
      let pending: Epoch[] = [];
      return {
        // commit(n) sends only epochs <= n, which later writes and snapshots do not touch.
        commitsConcurrently: true,
        write(records) {
          for (const r of records) open.push(toMessage(r));
        },
        snapshot(n): KafkaSinkState {
          pending.push({ n, messages: open });
          open = [];
          return { txId, lineage, epochs: pending.slice() };
        },
        async commit(n) {
          const due = pending.filter((e) => e.n <= n);
          if (due.length) await send(txId, lineage, due, false);
          pending = pending.filter((e) => e.n > n);
        },
        async close() {
          await producer?.disconnect().catch(() => {});
          await admin.disconnect().catch(() => {});
        },
      };
    },
  };
  return connector;
}
