/**
 * A task that keeps failing is not restarted forever (real broker, a member
 * in this process): an operator throws on one record; the task restarts from
 * its last committed transaction within its budget (restart: maxRestarts
 * within withinMs, as one process's supervisors), fails again on the same
 * record, and once the budget is spent the member fails naming the task and
 * the cause, and leaves the group. Nothing before the bad record is lost:
 * its output is committed, and the group's offset stops at the bad record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafka, runCluster, topology } from 'weir';
import { admin, BROKERS, cleanupKafka, createTopic, groupMembers, produce, reader, runId, track, unique, waitFor } from '../kafka/helpers.js';
import { startKafka } from '../../services/kafka.mjs';

describe('cluster mode: restart budget per task (real broker)', () => {
  beforeAll(async () => {
    await startKafka();
  }, 120_000);
  afterAll(cleanupKafka);

  it('an operator that keeps throwing: restarted maxRestarts times, then the member fails naming the task and the cause; earlier records stay committed', async () => {
    const prefix = `co-budget-${runId}`;
    const job = 'co-budget';
    const group = `${prefix}.${job}`;
    track({ groupPrefix: prefix });
    const input = await createTopic(unique('co-budget-in'), 2);
    const output = await createTopic(unique('co-budget-out'), 1);
    // Partition 1: ten good records, then (once they are committed) the poison and one more; partition 0: good ones.
    await produce(input, [...Array.from({ length: 10 }, (_, i) => ({ value: `good-${i}`, partition: 1 })), ...Array.from({ length: 5 }, (_, i) => ({ value: `p0-${i}`, partition: 0 }))]);
    const out = await reader(output);
    const job$ = topology(job, (t) =>
      t
        .source('in', kafka.source<string>({ brokers: BROKERS, topic: input }))
        .map(
          (v: string) => {
            if (v === 'poison') throw new Error('cannot handle poison');
            return v.toUpperCase();
          },
          { name: 'upper' },
        )
        .sink('out', kafka.sink<string>({ brokers: BROKERS, topic: output })),
    );
    const h = runCluster(job$, {
      cluster: `kafka://${BROKERS}/${prefix}`,
      workers: 0, // a topology object built in this file: its chains run inline (worker threads import a job module)
      sessionTimeoutMs: 6000,
      restart: { maxRestarts: 2, withinMs: 60_000, backoff: { initialMs: 20, maxMs: 100 } },
      http: { port: 0 },
      logLevel: 'silent',
    });
    await out.atLeast(15, 60_000);
    // A task commits per fetched batch: the poison comes in a later batch than the good records.
    await produce(input, [
      { value: 'poison', partition: 1 },
      { value: 'after', partition: 1 },
    ]);
    // The scrape while it retries shows the restarts counted.
    let restartsSeen = 0;
    const watch = setInterval(() => {
      const url = h.status()?.metricsUrl;
      if (url) void fetch(`${url}/metrics`).then(async (r) => {
        const m = /weir_task_restarts_total\{[^}]*task="0\.1"[^}]*\} (\d+)/.exec(await r.text());
        if (m) restartsSeen = Math.max(restartsSeen, Number(m[1]));
      }, () => {});
    }, 20);
    let err: Error & { context?: Record<string, unknown> };
    try {
      err = await h.done.then(() => new Error('the member did not fail'), (e: Error) => e);
      expect(err.message).toMatch(
        /weir cluster: task 0\.1 of job 'co-budget' failed 3 times within 60000 ms, past its restart budget \(maxRestarts 2\); this member leaves the group\. Last cause: operator 'upper' \(instance 1\) threw on record "poison": cannot handle poison\. Fix: .*onError: 'skip'.*restart: \{ maxRestarts, withinMs \}/,
      );
    } finally {
      clearInterval(watch);
    }
    expect(err.context).toMatchObject({ task: '0.1', restarts: 2 });
    console.log(`restart budget: restarts seen in /metrics while it retried (sampled every 20 ms): ${restartsSeen}`);
    // Nothing lost: the good records of both partitions are committed, the group's offset on partition 1 is the poison's.
    await out.quiet(1000);
    expect(out.values.slice().sort()).toEqual([...Array.from({ length: 10 }, (_, i) => `GOOD-${i}`), ...Array.from({ length: 5 }, (_, i) => `P0-${i}`)].sort());
    const [offsets] = await (await admin()).fetchOffsets({ groupId: group, topics: [input] });
    expect(offsets.partitions.find((p) => p.partition === 1)?.offset).toBe('10');
    expect(offsets.partitions.find((p) => p.partition === 0)?.offset).toBe('5');
    // It left the group.
    await waitFor(async () => (await groupMembers({ group })).members.length === 0, 'the failed member to have left the group', 30_000, 200);
  }, 120_000);
});
