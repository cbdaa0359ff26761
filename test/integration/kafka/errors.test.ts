/**
 * Kafka connector errors as a user meets them, on a real broker:
 *
 * - a source topic that does not exist: `weir run` exits 1 within seconds,
 *   naming the topic and the fix, and creates nothing; with --create-topics
 *   the same run creates the topic and reads what is produced to it;
 *   a missing sink topic fails the same way (kafka.sink);
 * - values that do not decode (format 'json'): with onError 'skip' they go
 *   to the dead letters (raw value, operator, partition/offset, the parse
 *   error) while every good record flows, in order; with onError 'stop' the
 *   job fails naming the operator and the record;
 * - an unreachable broker (a closed port, connectTimeoutMs 3000): the job
 *   fails within a bounded time with an error naming the address.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type JobResult, type OperatorMetrics } from 'weir';
import { admin, BROKERS, cleanupKafka, createTopic, fixture, produce, track, unique, waitFor, weir, weirSync } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const JOB = fixture('kafka-stdout.ts');
const job = (cfg: object) => ({ WEIR_KAFKA_JOB: JSON.stringify(cfg) });

/** Runs the fixture from code; `cfg` reaches the workers through WEIR_KAFKA_JOB. */
function runFixture(cfg: object, extra: Parameters<typeof run>[1] = {}) {
  process.env.WEIR_KAFKA_JOB = JSON.stringify(cfg);
  return run(JOB, { workers: 1, state: 'memory', metricsIntervalMs: 100, logLevel: 'silent', ...extra });
}

const source = (h: ReturnType<typeof run>): OperatorMetrics | undefined => h.metrics()?.operators.find((o) => o.operator === 'in');

describe('Kafka connector errors (real broker)', () => {
  beforeAll(startKafka, 90_000);
  afterAll(async () => {
    delete process.env.WEIR_KAFKA_JOB;
    await cleanupKafka();
  });

  it('a missing source topic fails the job naming the topic and the fix; --create-topics creates it', async () => {
    const topic = unique('missing');
    track({ topic, group: unique('missing-group') });
    const cfg = { brokers: BROKERS, topic, groupId: unique('missing-group') };
    const t0 = performance.now();
    const r = await weirSync(['run', JOB, '--workers', '1', '--state', 'memory', '--no-status'], job(cfg), 30_000);
    const failMs = performance.now() - t0;
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`kafka.source 'in': Kafka topic '${topic}' does not exist.`);
    expect(r.stderr).toContain('Fix: create it');
    expect(r.stderr).toContain('--create-topics');
    // It failed by itself: a job that waited for the topic would have been killed by weirSync after
    // 30 s, with no exit code 1.
    expect(await (await admin()).listTopics()).not.toContain(topic);

    // Same job with --create-topics: the topic appears (1 partition) and what is sent to it is read.
    const live = weir(['run', JOB, '--workers', '1', '--state', 'memory', '--no-status', '--create-topics'], job(cfg));
    await waitFor(async () => (await (await admin()).listTopics()).includes(topic), () => `topic ${topic} to be created; stderr: ${live.stderr()}`, 20_000, 100);
    const meta = await (await admin()).fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0].partitions).toHaveLength(1);
    await produce(topic, ['a', 'b', 'c'].map((value) => ({ value })));
    await waitFor(() => live.stdout().split('\n').filter(Boolean).length >= 3, () => `3 lines; stdout ${JSON.stringify(live.stdout())} stderr ${live.stderr()}`, 20_000, 25);
    live.child.kill('SIGTERM');
    const { code } = await live.exit;
    expect(code, live.stderr()).toBe(0);
    expect(live.stdout()).toBe('Processed: a\nProcessed: b\nProcessed: c\n');
    console.log(`missing topic: failed after ${Math.round(failMs)} ms`);
  }, 60_000);

  it('a missing sink topic fails the job naming the topic and the fix', async () => {
    const input = await createTopic(unique('sink-missing-in'), 1);
    const output = unique('sink-missing-out');
    track({ topic: output });
    process.env.WEIR_KAFKA_EO = JSON.stringify({ brokers: BROKERS, input, output, group: unique('sink-missing-group') });
    const h = run(fixture('kafka-keyed-count.ts'), { workers: 1, state: 'memory', logLevel: 'silent', jobId: unique('sink-missing') });
    const err = await h.done.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    delete process.env.WEIR_KAFKA_EO;
    expect(err?.message).toContain(`kafka.sink 'out': Kafka topic '${output}' does not exist.`);
    expect(err?.message).toContain('Fix: create it');
    expect(await (await admin()).listTopics()).not.toContain(output);
  }, 30_000);

  it("format 'json' with onError 'skip': undecodable values go to the dead letters, good records flow in order", async () => {
    const topic = await createTopic(unique('json'), 1);
    const values = Array.from({ length: 40 }, (_, i) => (i % 7 === 3 ? `not json {${i}` : JSON.stringify({ n: i, s: `v${i}` })));
    const bad = values.map((v, i) => [v, i] as const).filter(([v]) => v.startsWith('not json'));
    const good = values.filter((v) => !v.startsWith('not json'));
    await produce(topic, values.map((value) => ({ value })));
    const h = runFixture({ brokers: BROKERS, topic, groupId: unique('json-group'), format: 'json', onError: 'skip', sink: 'collect' });
    track({ group: unique('json-group') });
    // The source emits only the records that decoded; the drain then ends the job.
    await waitFor(() => (source(h)?.recordsOut ?? 0) >= good.length, () => `${good.length} records out of the source (metrics: ${JSON.stringify(source(h))})`, 30_000);
    const result: JobResult = await h.stop();
    expect(result.outputs.out).toEqual(good.map((v) => JSON.stringify(JSON.parse(v))));
    expect(result.deadLetters.map((d) => d.record)).toEqual(bad.map(([v]) => v));
    for (const [d, [, offset]] of result.deadLetters.map((d, k) => [d, bad[k]] as const)) {
      expect(d.operator).toBe('in');
      expect(d.error.context).toMatchObject({ operator: 'in', partition: 0, offset });
      expect(d.error.message).toMatch(/JSON|Unexpected token|not valid/i);
    }
    expect(result.restarts).toBe(0);
  }, 45_000);

  it("format 'json' with onError 'stop': an undecodable value fails the job naming the operator and the record", async () => {
    const topic = await createTopic(unique('json-stop'), 1);
    await produce(topic, ['{"ok":1}', '{"ok":2}', 'oops, not json', '{"ok":4}'].map((value) => ({ value })));
    const h = runFixture({ brokers: BROKERS, topic, groupId: unique('json-stop-group'), format: 'json', onError: 'stop', sink: 'collect' });
    track({ group: unique('json-stop-group') });
    const timer = setTimeout(() => void h.stop().catch(() => {}), 25_000);
    const err = await h.done.then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string },
    );
    clearTimeout(timer);
    expect(err?.message).toContain("operator 'in' (instance 0) threw on record \"oops, not json\"");
    expect(err?.code).toBe('USER_FUNCTION_FAILED');
  }, 45_000);

  it('an unreachable broker (closed port, connectTimeoutMs 3000) fails the job within a bounded time, naming the address', async () => {
    const t0 = performance.now();
    const h = runFixture({ brokers: '127.0.0.1:1', topic: unique('unreachable'), connectTimeoutMs: 3000, sink: 'collect' });
    // A job that ignored its connect budget would retry until this stop, which ends it without an error.
    const timer = setTimeout(() => void h.stop().catch(() => {}), 40_000);
    const err = await h.done.then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    clearTimeout(timer);
    const ms = performance.now() - t0;
    expect(err, 'the job must fail').toBeInstanceOf(Error);
    expect(err!.message).toContain('127.0.0.1:1');
    expect(err!.message).toMatch(/ECONNREFUSED|connect/i);
    // Budget 3 s of retries: the job used it (more than 2 s), and failed well before the stop at
    // 40 s (3 s plus a margin of 25 s for kafkajs' backoff and a loaded machine's late timers).
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(28_000);
    console.log(`unreachable broker: failed after ${Math.round(ms)} ms: ${err!.message}`);
  }, 60_000);
});
