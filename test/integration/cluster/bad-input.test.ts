/**
 * Cluster mode's bad input on a real Kafka broker (127.0.0.1:9092): each
 * mistake fails with an error that names the cause and the fix, before any
 * record is read or any topic is created (nothing lost, nothing to clean up).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafka, runCluster, topology, type Topology } from 'weir';
import { admin, BROKERS, cleanupKafka, createTopic, fixture, groupMembers, runId, track, unique, waitFor, weirSync, weir } from '../kafka/helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const count = (name: string, input: string, output: string, variant: 'reduce' | 'process' = 'reduce', second?: string): Topology =>
  topology(name, (t) => {
    let s = t.source('in', kafka.source<string>({ brokers: BROKERS, topic: input }));
    if (second) s = s.union(t.source('in2', kafka.source<string>({ brokers: BROKERS, topic: second })), { name: 'both' });
    const k = s.map((w: string): [string, number] => [w, 1], { name: 'pair' }).keyBy(([w]) => w);
    const c = variant === 'reduce' ? k.reduce(([w, a], [, b]) => [w, a + b], { name: 'count' }) : k.process<[string, number]>((v, ctx) => ctx.emit(v), { name: 'count' });
    return c.map(([w, n]) => `${w},${n}`, { name: 'format' }).sink('out', kafka.sink<string>({ brokers: BROKERS, topic: output }));
  });

const url = (p: string) => `kafka://${BROKERS}/${p}`;

describe('cluster mode: bad input fails clearly and loses nothing (real broker)', () => {
  let output: string;
  beforeAll(async () => {
    await startKafka();
    output = await createTopic(unique('bad-out'), 1);
  }, 120_000);
  afterAll(cleanupKafka);

  it('a missing input topic: the CLI exits 1 naming the topic and how to create it, and creates nothing', async () => {
    const prefix = `scaleout-missing-${runId}`;
    const input = unique('never-created');
    const r = await weirSync(['run', fixture('cluster-keyed-count.ts'), '--cluster', url(prefix)], { WEIR_CLUSTER_JOB: JSON.stringify({ brokers: BROKERS, input, output }) });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`input topic '${input}' of source 'in' does not exist. Fix: create it with as many partitions as the tasks you want`);
    const topics = await (await admin()).listTopics();
    expect(topics.filter((t) => t.startsWith(prefix))).toEqual([]);
  });

  it('inputs of one sub-topology with different partition counts are refused as not co-partitioned', async () => {
    const prefix = `scaleout-copart-${runId}`;
    const [a, b] = [await createTopic(unique('copart-a'), 6), await createTopic(unique('copart-b'), 3)];
    const h = runCluster(count('copart', a, output, 'reduce', b), { cluster: url(prefix), logLevel: 'error' });
    await expect(h.done).rejects.toThrow(new RegExp(`inputs of sub-topology 0 \\(in, in2, both, pair\\) are not co-partitioned: '${a}' has 6, '${b}' has 3 partition\\(s\\).*Fix: give these topics the same partition count`));
  });

  it('a repartition topic with the wrong partition count is named, with its count, the expected one and the fix', async () => {
    const prefix = `scaleout-repart-${runId}`;
    const input = await createTopic(unique('repart-in'), 6);
    const rep = `${prefix}.repart-count-repartition`;
    await createTopic(rep, 2);
    const h = runCluster(count('repart', input, output), { cluster: url(prefix), logLevel: 'error' });
    await expect(h.done).rejects.toThrow(`repartition topic '${rep}' has 2 partition(s), the job needs 6. Fix: delete it (kafka-topics.sh --delete --topic ${rep}) when no member runs, or set repartitionPartitions: 2 to match it`);
  });

  it('a member built from another topology gets no task and fails naming the difference; the running member keeps all tasks', async () => {
    const prefix = `scaleout-mismatch-${runId}`;
    const group = `${prefix}.mm`;
    track({ groupPrefix: prefix });
    const input = await createTopic(unique('mm-in'), 3);
    for (const t of ['count-repartition', 'count-changelog']) track({ topic: `${group}-${t}` });
    // Topologies built here, not in a module the workers could import: their chains run inline (workers: 0).
    const good = runCluster(count('mm', input, output, 'reduce'), { cluster: url(prefix), sessionTimeoutMs: 6000, logLevel: 'error', workers: 0 });
    await waitFor(() => Object.keys(good.status()?.tasks ?? {}).length === 6, 'the first member to run all 6 tasks', 60_000, 100);
    const other = runCluster(count('mm', input, output, 'process'), { cluster: url(prefix), sessionTimeoutMs: 6000, logLevel: 'error', workers: 0 });
    await expect(other.done).rejects.toThrow(/this member's topology differs from the one group 'scaleout-mismatch-.*\.mm' runs .*operator 'count' is a process here, a reduce there.*Fix: run the same job code on every member/);
    await waitFor(async () => (await groupMembers({ group })).stable && (await groupMembers({ group })).members.length === 1, 'the refused member to have left', 60_000, 200);
    await waitFor(() => Object.keys(good.status()?.tasks ?? {}).length === 6, 'the first member to run all 6 tasks again', 60_000, 100);
    await good.stop();
    await good.done;
  });

  it('unreachable brokers: fails after connectTimeoutMs naming the brokers and the fix', async () => {
    const h = runCluster(count('unreach', 'x', 'y'), { cluster: 'kafka://127.0.0.1:1', connectTimeoutMs: 1500, logLevel: 'silent' });
    await expect(h.done).rejects.toThrow(/cannot reach the Kafka broker\(s\) 127\.0\.0\.1:1 within 1500 ms.*Fix: start the broker/);
  });

  it('a bad --cluster URL is a usage error naming the expected form', async () => {
    const r = await weirSync(['run', fixture('cluster-keyed-count.ts'), '--cluster', 'http://x:1'], { WEIR_CLUSTER_JOB: JSON.stringify({ brokers: BROKERS, input: 'i', output: 'o' }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('--cluster "http://x:1" is not a kafka:// URL. Fix: --cluster kafka://127.0.0.1:9092');
  });
});
void weir;
