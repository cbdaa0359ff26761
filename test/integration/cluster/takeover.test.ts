/**
 * Cluster mode on a real Kafka broker (127.0.0.1:9092) with real processes:
 * three `weir run --cluster` members run a keyed count (two sub-topologies, a
 * repartition topic, a changelog) from a 6-partition topic; words arrive in
 * waves; one member is killed with SIGKILL mid-stream, the others take over
 * its tasks (fencing its transactional ids, restoring its state from the
 * changelog); a new member joins later and takes a share. The output topic,
 * read with read_committed, must equal the fault-free result exactly: for each
 * word w seen n times, the lines "w,1" .. "w,n" once each (a lost record drops
 * a line, a duplicate repeats one, state restored at the wrong position
 * shifts a word's counts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, cleanupKafka, createTopic, expectedLines, fixture, groupMembers, multisetDiff, produce, reader, runId, track, unique, waitFor, weir, type CliRun } from '../kafka/helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const JOB = fixture('cluster-keyed-count.ts');
const PREFIX = `scaleout-${runId}`;
const GROUP = `${PREFIX}.cluster-keyed-count`;
const WORDS = 40;

function words(n: number, seed: number): string[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) >>> 0;
    return `w${x % WORDS}`;
  });
}

describe('cluster mode: kill -9 a member, the others take over, a new one joins: exactly-once output', () => {
  let input: string;
  let output: string;
  const members: CliRun[] = [];
  const env = () => ({ WEIR_CLUSTER_JOB: JSON.stringify({ brokers: BROKERS, input, output }) });
  const member = () => {
    const m = weir(['run', JOB, '--cluster', `kafka://${BROKERS}/${PREFIX}`, '--session-timeout', '6s', '--log-level', 'info'], env());
    members.push(m);
    return m;
  };
  const log = () => members.map((m, i) => `--- member ${i} (exit ${m.child.exitCode ?? m.child.signalCode ?? 'running'}):\n${m.stderr().split('\n').filter((l) => /weir cluster|"level":(40|50|60)/.test(l)).slice(-12).join('\n')}`).join('\n');

  beforeAll(async () => {
    await startKafka();
    input = await createTopic(unique('cluster-in'), 6);
    output = await createTopic(unique('cluster-out'), 1);
    track({ groupPrefix: PREFIX });
    for (const t of ['count-repartition', 'count-changelog', 'in-changelog']) track({ topic: `${GROUP}-${t}` });
  }, 120_000);
  afterAll(cleanupKafka);

  it('three members, one killed mid-stream, one joining later: the committed output equals the fault-free one', async () => {
    const all: string[] = [];
    const wave = async (n: number, seed: number) => {
      const w = words(n, seed);
      all.push(...w);
      await produce(input, w.map((value) => ({ value })));
    };
    const out = await reader(output);
    const [a, b, c] = [member(), member(), member()];
    await waitFor(async () => (await groupMembers({ group: GROUP })).members.length === 3 && (await groupMembers({ group: GROUP })).stable, () => `3 members in ${GROUP}\n${log()}`, 60_000, 200);
    await wave(3000, 1);
    await out.atLeast(1000, 60_000, log);
    await wave(3000, 2);
    // Mid-stream: the victim's tasks have uncommitted work or are between transactions.
    await out.atLeast(4000, 60_000, log);
    b.child.kill('SIGKILL');
    await b.exit;
    await wave(3000, 3);
    await waitFor(async () => (await groupMembers({ group: GROUP })).members.length === 2 && (await groupMembers({ group: GROUP })).stable, () => `the 2 survivors alone in ${GROUP}\n${log()}`, 60_000, 200);
    await out.atLeast(9000, 90_000, log);
    const d = member();
    await waitFor(async () => (await groupMembers({ group: GROUP })).members.length === 3 && (await groupMembers({ group: GROUP })).stable, () => `the new member in ${GROUP}\n${log()}`, 60_000, 200);
    await wave(3000, 4);
    await out.atLeast(all.length, 90_000, () => `${log()}\n${JSON.stringify(multisetDiff(out.values, expectedLines(all)))}`);
    await out.quiet(3000);
    const diff = multisetDiff(out.values, expectedLines(all));
    expect(diff, log()).toEqual({ missing: 0, extra: 0, examples: [] });
    expect(out.values.length).toBe(12_000);
    // The newcomer took a share of the 12 tasks (6 per sub-topology).
    expect(d.stderr(), log()).toMatch(/joined group .* with [1-9]\d* task\(s\)/);
    for (const m of [a, c, d]) m.child.kill('SIGTERM');
    const exits = await Promise.all([a, c, d].map((m) => m.exit));
    expect(exits.map((e) => e.code), log()).toEqual([0, 0, 0]);
  }, 400_000);
});
