/**
 * kafka.source's startFrom in cluster mode (real broker, members started with
 * run(job, { cluster })): on a fresh job (no offsets in its group) 'latest'
 * skips what was there, 'earliest' reads it, 'committed' starts at the offsets
 * of the source's own groupId (where a single-process run of the job commits);
 * the start is committed at once, so a member started again later resumes
 * there and 'latest' is not decided anew. Options that do not apply with
 * `cluster` are refused by name.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafka, run, topology } from 'weir';
import type { KafkaSourceOptions } from 'weir';
import { admin, BROKERS, cleanupKafka, createTopic, produce, reader, runId, track, unique, waitFor } from '../kafka/helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const PARTITIONS = 2;

const copy = (name: string, input: string, output: string, source: Pick<KafkaSourceOptions, 'startFrom' | 'groupId'>) =>
  topology(name, (t) =>
    t
      .source('in', kafka.source<string>({ brokers: BROKERS, topic: input, ...source }))
      .map((v: string) => v, { name: 'same' })
      .sink('out', kafka.sink<string>({ brokers: BROKERS, topic: output })),
  );

const batch = (tag: string, n: number) => Array.from({ length: n }, (_, i) => ({ value: `${tag}-${i}`, partition: i % PARTITIONS }));

describe('cluster mode: startFrom on a fresh job (real broker)', () => {
  beforeAll(async () => {
    await startKafka();
  }, 120_000);
  afterAll(cleanupKafka);

  /** Runs `name` as one member until both tasks have committed a position, then `then()`, then stops it. */
  async function member(name: string, input: string, output: string, source: Pick<KafkaSourceOptions, 'startFrom' | 'groupId'>, then: () => Promise<void>) {
    const prefix = `co-start-${name}-${runId}`;
    track({ groupPrefix: prefix });
    const h = run(copy(name, input, output, source), { cluster: `kafka://${BROKERS}/${prefix}`, workers: 0, sessionTimeoutMs: 6000, logLevel: 'silent' });
    try {
      const group = `${prefix}.${name}`;
      const a = await admin();
      // The start is committed before anything is read.
      await waitFor(async () => {
        const [o] = await a.fetchOffsets({ groupId: group, topics: [input] });
        return o.partitions.length === PARTITIONS && o.partitions.every((p) => Number(p.offset) >= 0);
      }, `${name}: both tasks to commit their start`, 60_000, 100);
      await then();
    } finally {
      await h.stop();
    }
    await h.done;
  }

  it("'latest' skips the records already there, once: a later start resumes from the committed start", async () => {
    const input = await createTopic(unique('co-latest-in'), PARTITIONS);
    const output = await createTopic(unique('co-latest-out'), 1);
    await produce(input, batch('old', 20));
    const out = await reader(output);
    // The first start reads nothing (all was there before it): its start position is committed all the same.
    await member('latest', input, output, { startFrom: 'latest' }, async () => {});
    // Produced while no member runs: a new start must not skip these (the group has offsets now).
    await produce(input, batch('between', 6));
    await member('latest', input, output, { startFrom: 'latest' }, async () => {
      await produce(input, batch('new', 10));
      await out.atLeast(16, 60_000);
    });
    await out.quiet(1000);
    expect(out.values.slice().sort()).toEqual([...batch('between', 6), ...batch('new', 10)].map((m) => m.value).sort());
  }, 180_000);

  it("'earliest' reads what was there; 'committed' starts at the source groupId's offsets", async () => {
    const input = await createTopic(unique('co-earliest-in'), PARTITIONS);
    await produce(input, batch('old', 20));
    const early = await createTopic(unique('co-earliest-out'), 1);
    const outEarly = await reader(early);
    await member('earliest', input, early, { startFrom: 'earliest' }, () => outEarly.atLeast(20, 60_000));
    await outEarly.quiet(1000);
    expect(outEarly.values.slice().sort()).toEqual(batch('old', 20).map((m) => m.value).sort());

    // A single-process run committed offsets 7 and 4 to the source's group: the cluster job goes on from there.
    const sourceGroup = unique('co-committed-group');
    track({ group: sourceGroup });
    await (await admin()).setOffsets({ groupId: sourceGroup, topic: input, partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '4' }] });
    const fromGroup = await createTopic(unique('co-committed-out'), 1);
    const outGroup = await reader(fromGroup);
    const want = batch('old', 20).filter((_, i) => (i % 2 === 0 ? i / 2 >= 7 : (i - 1) / 2 >= 4)).map((m) => m.value);
    await member('committed', input, fromGroup, { startFrom: 'committed', groupId: sourceGroup }, () => outGroup.atLeast(want.length, 60_000));
    await outGroup.quiet(1000);
    expect(outGroup.values.slice().sort()).toEqual(want.sort());
  }, 180_000);

  it('run(job, { cluster }) refuses single-process options by name', async () => {
    const h = run(copy('refused', 'x', 'y', {}), { cluster: `kafka://${BROKERS}/co-refused`, checkpointInterval: 100, state: 'memory' } as never);
    await expect(h.done).rejects.toThrow("run(): 'checkpointInterval', 'state' do not apply with the cluster option (a member runs Kafka-transactional tasks: no state backend or checkpoints). Fix: remove them, or run without cluster");
  });
});
