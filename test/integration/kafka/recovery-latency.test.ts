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
 * sources' session timeout is set to 60 s, so a consumer that waited for the
 * dead member would stall at least that long; the whole output must be
 * committed within 45 s of the worker's exit (the fault's marker file).
 * Measured: ~1.5 s on an idle machine, ~12 s at a load average of 20 on two
 * cores; the gap to 60 s is the margin.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { admin, BROKERS, cleanupKafka, createTopic, fixture, produce, reader, tmp, track, unique } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const SESSION_MS = 60_000;

describe('a dead worker does not stall a Kafka source for the consumer session timeout', () => {
  beforeAll(startKafka, 90_000);
  afterAll(async () => {
    delete process.env.WEIR_KAFKA_EO;
    await cleanupKafka();
  });

  it('after a worker exits, the full exactly-once output is committed well within the consumer session timeout', async () => {
    const input = await createTopic(unique('lat-in'), 3);
    const output = await createTopic(unique('lat-out'), 1);
    const group = unique('lat-group');
    const jobId = unique('lat-job');
    track({ group, groupPrefix: `${group}.weir-` });
    track({ group: `weir-${jobId}-out-0-epochs` });
    track({ group: `weir-${jobId}-out-1-epochs` });
    const words = Array.from({ length: 1500 }, (_, i) => `w${i % 5}`);
    await produce(input, words.map((value, k) => ({ value, partition: k % 3 })));
    const marker = path.join(tmp('weir-lat-'), 'm');
    process.env.WEIR_KAFKA_EO = JSON.stringify({ brokers: BROKERS, input, output, group, sessionTimeoutMs: SESSION_MS, faults: [{ kind: 'exit', at: 100, marker }] });
    const out = await reader(output);
    const h = run(fixture('kafka-keyed-count.ts'), { workers: 1, parallelism: 2, state: 'memory', jobId, checkpointInterval: 200, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1500, logLevel: 'silent' });
    try {
      await out.atLeast(words.length, 90_000);
      const ms = Date.now() - statSync(marker).mtimeMs;
      const r = await h.stop();
      expect(r.restarts).toBe(1);
      // Well below the session timeout: nothing waited for the dead consumer.
      expect(ms).toBeLessThan(SESSION_MS - 15_000);
      // The group itself has no members; the positions of the last checkpoint are committed to it
      // for monitoring (through a transactional offset commit), each partition at its end.
      const a = await admin();
      expect((await a.describeGroups([group])).groups[0].members).toEqual([]);
      const committed = (await a.fetchOffsets({ groupId: group, topics: [input] }))[0].partitions;
      expect(committed.map((p) => Number(p.offset)).reduce((x, y) => x + y, 0)).toBe(words.length);
    } finally {
      await h.stop().catch(() => {});
    }
  }, 150_000);
});
