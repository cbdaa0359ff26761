// Regression test: this reproduced a bug (see the description below), now fixed.
/**
 * After a worker thread dies (or hangs and is replaced), or after a whole
 * `weir run` process is killed and rerun, a job with a Kafka source resumes
 * at once. It used to make no progress for the consumer session timeout
 * (30 s, later 10 s): the dead consumer stayed a member of the sources'
 * shared group, and the replacement's JoinGroup waited in PreparingRebalance
 * until the session expired. Each source instance now consumes through a
 * private group of its own, fresh on every open (connectors/kafka/source.ts),
 * so nothing waits for a dead member.
 *
 * Here: 1500 words on 3 partitions, one worker, parallelism 2, the worker
 * exits at record 100 of instance 0 (before any output is committed). The
 * whole output must be committed in less than the 10 s session timeout
 * (about 1.5 s measured).
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { admin, BROKERS, cleanupKafka, createTopic, fixture, produce, reader, tmp, track, unique } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

describe('a dead worker does not stall a Kafka source for the consumer session timeout', () => {
  beforeAll(startKafka, 90_000);
  afterAll(async () => {
    delete process.env.WEIR_KAFKA_EO;
    await cleanupKafka();
  });

  it('after a worker exits, the full exactly-once output is committed within 8 s', async () => {
    const input = await createTopic(unique('lat-in'), 3);
    const output = await createTopic(unique('lat-out'), 1);
    const group = unique('lat-group');
    const jobId = unique('lat-job');
    track({ group, groupPrefix: `${group}.weir-` });
    track({ group: `weir-${jobId}-out-0-epochs` });
    track({ group: `weir-${jobId}-out-1-epochs` });
    const words = Array.from({ length: 1500 }, (_, i) => `w${i % 5}`);
    await produce(input, words.map((value, k) => ({ value, partition: k % 3 })));
    process.env.WEIR_KAFKA_EO = JSON.stringify({ brokers: BROKERS, input, output, group, faults: [{ kind: 'exit', at: 100, marker: path.join(tmp('weir-lat-'), 'm') }] });
    const out = await reader(output);
    const t0 = performance.now();
    const h = run(fixture('kafka-keyed-count.ts'), { workers: 1, parallelism: 2, state: 'memory', jobId, checkpointInterval: 200, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1500, logLevel: 'silent' });
    try {
      await out.atLeast(words.length, 60_000);
      const ms = performance.now() - t0;
      const r = await h.stop();
      expect(r.restarts).toBe(1);
      // Below the 10 s session timeout: nothing waited for the dead consumer.
      expect(ms).toBeLessThan(8_000);
      // The group itself has no members; the positions of the last checkpoint are committed to it
      // for monitoring (through a transactional offset commit), each partition at its end.
      const a = await admin();
      expect((await a.describeGroups([group])).groups[0].members).toEqual([]);
      const committed = (await a.fetchOffsets({ groupId: group, topics: [input] }))[0].partitions;
      expect(committed.map((p) => Number(p.offset)).reduce((x, y) => x + y, 0)).toBe(words.length);
    } finally {
      await h.stop().catch(() => {});
    }
  }, 90_000);
});
