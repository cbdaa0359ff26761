/**
 * kafkajs clients as weir uses them: 127.0.0.1-style broker lists, retries
 * with capped exponential backoff (broker down at start or mid-run), and
 * kafkajs' own log lines routed into weir's logger instead of the console.
 * kafkajs is loaded on first use, so jobs without Kafka never pay for it.
 */
import type { Kafka, LogEntry, Producer } from 'kafkajs';
import type { Logger } from '../../actors/contract.js';
import { ConfigError, WeirError } from '../../actors/errors.js';
import { requireKafkajsFix } from './kafkajs-fix.js';

export interface KafkaConnection {
  /** Broker list, e.g. ['127.0.0.1:9092'] or '127.0.0.1:9092,127.0.0.1:9093'. */
  brokers: string | string[];
  /** Give up on an unreachable broker after this many ms of retries (default 30000); the job then fails, its checkpoint kept. */
  connectTimeoutMs?: number;
}

export function parseBrokers(brokers: unknown, who: string): string[] {
  const list = typeof brokers === 'string' ? brokers.split(',').map((b) => b.trim()).filter(Boolean) : brokers;
  if (!Array.isArray(list) || list.length === 0 || !list.every((b) => typeof b === 'string' && /^[^\s:]+:\d+$/.test(b))) {
    throw new ConfigError(`${who} brokers ${JSON.stringify(brokers)} are invalid. Fix: give 'host:port' entries, e.g. brokers: ['127.0.0.1:9092']`, { field: 'brokers' });
  }
  return list as string[];
}

export function requireTopic(topic: unknown, who: string): string {
  if (typeof topic !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(topic)) {
    throw new ConfigError(`${who} topic ${JSON.stringify(topic)} is invalid. Fix: a Kafka topic name (A-Z a-z 0-9 . _ -)`, { field: 'topic' });
  }
  return topic;
}

/**
 * A kafkajs client for `who` (e.g. "kafka.source 'orders'"), after weir's kafkajs fixes are
 * checked: a `readCommitted` reader is refused without the aborted-record filter (kafkajs-fix.ts).
 */
export async function createKafka(clientId: string, c: KafkaConnection, log: Logger, who: string, opts: { readCommitted: boolean }): Promise<Kafka> {
  requireKafkajsFix(who, { readCommitted: opts.readCommitted, log });
  const { Kafka, logLevel } = await import('kafkajs');
  const brokers = parseBrokers(c.brokers, 'kafka');
  return new Kafka({
    clientId,
    brokers,
    connectionTimeout: 3000,
    requestTimeout: 30_000,
    retry: retryPolicy(c, 300, 5000),
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...rest } = entry.log;
      const line = { kafka: entry.namespace, ...rest };
      // kafkajs logs every error response at error level, also CONCURRENT_TRANSACTIONS, which the
      // transactional sink and the offset monitor retry themselves: that one is no warning.
      if (entry.level <= logLevel.ERROR && !CONCURRENT_TXN.test(String(rest.error ?? ''))) log.warn(line, `kafka: ${message}`);
      else log.debug(line, `kafka: ${message}`);
    },
  });
}

const CONCURRENT_TXN = /another concurrent operation on the same transaction/;

/** How long a connection retries an unreachable broker before its connector fails (connectTimeoutMs, default 30 s). */
export const connectBudgetMs = (c: KafkaConnection): number => c.connectTimeoutMs ?? 30_000;

/**
 * kafkajs retries after initialRetryTime * 2^n (+ jitter), capped by maxRetryTime: enough
 * retries to cover the connection's budget (connectTimeoutMs, default 30 s), whatever the start.
 */
export function retryPolicy(c: KafkaConnection, initialRetryTime: number, maxRetryTime: number): { initialRetryTime: number; maxRetryTime: number; retries: number } {
  const budget = connectBudgetMs(c);
  let retries = 0;
  for (let spent = 0, d = initialRetryTime; spent < budget; retries++, d = Math.min(d * 2, maxRetryTime)) spent += d;
  return { initialRetryTime, maxRetryTime, retries };
}

/** The error of a connector that cannot reach its broker(s) within its budget: names them and the fix. */
export function unreachableError(c: KafkaConnection, who: string, cause: unknown): WeirError {
  const brokers = parseBrokers(c.brokers, 'kafka').join(',');
  return new WeirError(
    'KAFKA_UNREACHABLE',
    `${who}: cannot reach the Kafka broker(s) ${brokers} within ${connectBudgetMs(c)} ms (${cause instanceof Error ? cause.message : String(cause)}). Fix: start the broker (npm run kafka:start), check the brokers option, or raise connectTimeoutMs`,
    { retriable: true, cause, context: { brokers, budgetExhausted: true } },
  );
}

/**
 * Connects a transactional producer and fences every earlier producer with its transactional id (a
 * zombie's open transaction is ended). kafkajs' connect() alone does not: it initializes a plain
 * idempotent producer, and InitProducerId with the transactional id goes out only when a first
 * transaction begins, so one is begun and aborted, empty. Call before reading anything a zombie may
 * still change (markers, committed offsets).
 */
export async function connectFenced(producer: Producer): Promise<void> {
  await producer.connect();
  await (await producer.transaction()).abort();
}

/** Connect, or fail with an error that names the connector, the brokers and what to check. */
export async function connectOrExplain(connect: () => Promise<void>, c: KafkaConnection, who: string): Promise<void> {
  try {
    await connect();
  } catch (e) {
    throw unreachableError(c, who, e);
  }
}
