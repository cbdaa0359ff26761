// Regression test: this reproduced a bug (see the description below), now fixed.
/**
 * BUG REPRO, low severity (fails while the bug is present; run with
 *   npx vitest run --config test/integration/kafka/vitest.bugs.config.ts):
 *
 * An unreachable broker fails the job in bounded time (errors.test.ts), but
 * the error is kafkajs' own: code 'INTERNAL', name
 * 'KafkaJSNumberOfRetriesExceeded', message "Connection error: connect
 * ECONNREFUSED 127.0.0.1:1". Unlike weir's other errors (a missing topic:
 * "kafka.source 'in': Kafka topic 'x' does not exist. Fix: ...") it names
 * neither the connector/operator nor the setting to fix, and the CLI prints
 * it after kafkajs' retry warnings as JSON log lines.
 *
 * Cause: connectors/kafka/source.ts and sink.ts `open()` let the error of
 * `admin.connect()` (and consumer/producer connect) propagate as is; it
 * reaches the coordinator as a worker failure without an actor
 * (worker-entry.ts init -> fail(undefined, e)) and is wrapped as INTERNAL.
 * Fix: in open(), catch connection failures (KafkaJSConnectionError,
 * KafkaJSNumberOfRetriesExceeded, KafkaJSBrokerNotFound) and throw e.g.
 *   new WeirError('KAFKA_UNREACHABLE', `kafka.source '${ctx.operator}': cannot reach Kafka brokers
 *     127.0.0.1:1 within ${connectTimeoutMs} ms (${cause}). Fix: check brokers (host:port of a
 *     listener, e.g. 127.0.0.1:9092) and that Kafka runs; connectTimeoutMs sets the wait`,
 *     { retriable: true, context: { operator, instance, brokers }, cause })
 */
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { fixture, unique } from './helpers.js';

describe('BUG: an unreachable broker fails with a raw kafkajs error', () => {
  afterAll(() => {
    delete process.env.WEIR_KAFKA_JOB;
  });

  it('names the operator, the brokers and the fix, with a weir error code', async () => {
    process.env.WEIR_KAFKA_JOB = JSON.stringify({ brokers: '127.0.0.1:1', topic: unique('unreachable'), connectTimeoutMs: 3000, sink: 'collect' });
    const h = run(fixture('kafka-stdout.ts'), { workers: 1, state: 'memory', logLevel: 'silent' });
    const err = (await h.done.then(
      () => undefined,
      (e: unknown) => e,
    )) as (Error & { code?: string }) | undefined;
    expect(err).toBeInstanceOf(Error);
    expect(err!.message).toContain('127.0.0.1:1');
    // Actual (bug): "Connection error: connect ECONNREFUSED 127.0.0.1:1", code INTERNAL.
    expect(err!.message).toContain("kafka.source 'in'");
    expect(err!.message).toContain('Fix:');
    expect(err!.code).not.toBe('INTERNAL');
  }, 30_000);
});
