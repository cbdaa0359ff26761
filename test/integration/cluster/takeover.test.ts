/**
 * Cluster mode on a real Kafka broker (127.0.0.1:9092) with real processes:
 * `weir run --cluster` members run a keyed count (two sub-topologies, a
 * repartition topic, a changelog) from a 6-partition topic while words keep
 * arriving. The output topic, read with read_committed, must equal the
 * fault-free result exactly: for each word w seen n times, the lines "w,1" ..
 * "w,n" once each (a lost record drops a line, a duplicate repeats one, state
 * restored at the wrong position shifts a word's counts).
 *
 * - takeover: three members; one is killed with SIGKILL mid-stream; the two
 *   others take over its tasks (restoring their state from the changelog);
 *   a new member joins later and takes a share;
 * - zombie: a member is paused (SIGSTOP) until the group has moved its tasks,
 *   then resumed: its transactions are fenced, nothing it does shows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, cleanupKafka, createTopic, expectedLines, fixture, groupMembers, multisetDiff, produce, reader, runId, sleep, track, unique, waitFor, weir, weirSync, type CliRun, type Reader } from '../kafka/helpers.js';
import { startKafka } from '../../services/kafka.mjs';
import { memberTasks, membersLog } from './member-logs.js';

const JOB = fixture('cluster-keyed-count.ts');
// Enough distinct words that every one of the 6 repartition partitions (key-group ranges) gets some: with 40, partition 5 got none.
const WORDS = 200;

/** One cluster of the keyed-count job under its own prefix, input and output topics. */
async function cluster(name: string) {
  const prefix = `scaleout-${name}-${runId}`;
  const group = `${prefix}.cluster-keyed-count`;
  const input = await createTopic(unique(`${name}-in`), 6);
  const output = await createTopic(unique(`${name}-out`), 1);
  track({ groupPrefix: prefix });
  for (const t of ['count-repartition', 'count-changelog']) track({ topic: `${group}-${t}` });
  const members: CliRun[] = [];
  const all: string[] = [];
  let seed = 7;
  const member = () => {
    const m = weir(['run', JOB, '--cluster', `kafka://${BROKERS}/${prefix}`, '--session-timeout', '6s', '--log-level', 'info'], {
      WEIR_CLUSTER_JOB: JSON.stringify({ brokers: BROKERS, input, output }),
    });
    members.push(m);
    return m;
  };
  const log = () => membersLog(members);
  /** Words produced in the background, 300 every 100 ms, until the returned stop() is awaited. */
  const feed = () => {
    let on = true;
    const done = (async () => {
      while (on) {
        const w = Array.from({ length: 300 }, () => `w${(seed = (seed * 1103515245 + 12345) >>> 0) % WORDS}`);
        await produce(input, w.map((value) => ({ value })));
        all.push(...w);
        await sleep(100);
      }
    })();
    return async () => {
      on = false;
      await done;
    };
  };
  const membersAre = (n: number) =>
    waitFor(
      async () => {
        const g = await groupMembers({ group });
        return g.stable && g.members.length === n;
      },
      () => `${n} members in ${group}\n${log()}`,
      60_000,
      200,
    );
  const tasksOf = memberTasks;
  const settle = async (out: Reader) => {
    await out.atLeast(all.length, 120_000, () => `${log()}\n${JSON.stringify(multisetDiff(out.values, expectedLines(all)))}`);
    await out.quiet(3000);
    return multisetDiff(out.values, expectedLines(all));
  };
  return { group, output, member, log, feed, membersAre, tasksOf, settle, all, url: `kafka://${BROKERS}/${prefix}` };
}

describe('cluster mode on a real broker: exactly-once output across processes', () => {
  beforeAll(async () => {
    await startKafka();
  }, 120_000);
  afterAll(cleanupKafka);

  it('three members, one killed with SIGKILL mid-stream, one joining later: the committed output equals the fault-free one', async () => {
    const c = await cluster('kill');
    const out = await reader(c.output);
    const [a, b, d] = [c.member(), c.member(), c.member()];
    await c.membersAre(3);
    const stopFeed = c.feed();
    await out.atLeast(3000, 60_000, c.log);
    const victim = c.tasksOf(b);
    expect(victim.length, c.log()).toBeGreaterThan(0);
    b.child.kill('SIGKILL'); // while words keep arriving
    await b.exit;
    await c.membersAre(2);
    // The survivors run the victim's tasks, its count tasks (sub-topology 1) restored from the changelog.
    await waitFor(() => victim.every((t) => [a, d].some((m) => c.tasksOf(m).includes(t))), () => `survivors to own ${victim.join(', ')}\n${c.log()}`, 60_000, 200);
    await waitFor(
      () => victim.filter((t) => t.startsWith('1.')).every((t) => [a, d].some((m) => m.stderr().includes(`"task":"${t}"`) && new RegExp(`"task":"${t.replace('.', '\\.')}"[^\\n]*"restored":true`).test(m.stderr()))),
      () => `the victim's count tasks restored on the survivors\n${c.log()}`,
      60_000,
      200,
    );
    await out.atLeast(out.values.length + 2000, 60_000, c.log);
    const e = c.member();
    await c.membersAre(3);
    await waitFor(() => c.tasksOf(e).length > 0, () => `the newcomer to take a share\n${c.log()}`, 30_000, 200);
    await out.atLeast(out.values.length + 2000, 60_000, c.log);
    await stopFeed();
    const diff = await c.settle(out);
    expect(diff, c.log()).toEqual({ missing: 0, extra: 0, examples: [] });
    expect(out.values.length).toBe(c.all.length);
    // weir cluster status: the three members, the 12 tasks, all caught up: tasks commit past the commit markers and
    // the victim's aborted transactions they fetched, so repartition inputs show lag 0 too.
    const st = await weirSync(['cluster', 'status', '--cluster', c.url, '--job', 'cluster-keyed-count', '--json']);
    expect(st.code, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as { members: { tasks: { task: string; lag: number; inputs: { committed?: number; end: number }[] }[] }[] };
    expect(status.members).toHaveLength(3);
    const tasks = status.members.flatMap((m) => m.tasks);
    expect(tasks.map((t) => t.task).sort()).toEqual(['0.0', '0.1', '0.2', '0.3', '0.4', '0.5', '1.0', '1.1', '1.2', '1.3', '1.4', '1.5']);
    for (const t of tasks) {
      expect(t.inputs).toHaveLength(1);
      expect(typeof t.inputs[0].committed, st.stdout).toBe('number');
      expect(t.lag, JSON.stringify(t)).toBe(t.inputs[0].end - t.inputs[0].committed!);
      expect(t.lag, JSON.stringify(t)).toBe(0);
    }
    const text = await weirSync(['cluster', 'status', '--cluster', c.url, '--job', 'cluster-keyed-count']);
    expect(text.stdout).toMatch(/^group scaleout-kill-.*\.cluster-keyed-count: Stable, 3 member\(s\), 12 task\(s\)/);
    for (const m of [a, d, e]) m.child.kill('SIGTERM');
    const exits = await Promise.all([a, d, e].map((m) => m.exit));
    expect(exits.map((x) => x.code), c.log()).toEqual([0, 0, 0]);
  }, 400_000);

  it('a zombie (paused until its tasks moved, then resumed) is fenced: the output stays exact', async () => {
    const c = await cluster('zombie');
    const out = await reader(c.output);
    const [a, z] = [c.member(), c.member()];
    await c.membersAre(2);
    const stopFeed = c.feed();
    await out.atLeast(2000, 60_000, c.log);
    const zTasks = c.tasksOf(z);
    expect(zTasks.length, c.log()).toBeGreaterThan(0);
    z.child.kill('SIGSTOP');
    await c.membersAre(1); // its session expired: a runs everything now
    await waitFor(() => c.tasksOf(a).length === 12, () => `a to own all 12 tasks\n${c.log()}`, 60_000, 200);
    await out.atLeast(out.values.length + 2000, 60_000, c.log);
    z.child.kill('SIGCONT'); // the zombie wakes up with fetched records and open transactions
    await c.membersAre(2);
    await out.atLeast(out.values.length + 2000, 60_000, c.log);
    await stopFeed();
    const diff = await c.settle(out);
    expect(diff, c.log()).toEqual({ missing: 0, extra: 0, examples: [] });
    // The zombie did try: a task of its own woke up with a batch, and its transaction was refused.
    console.log(`zombie: ${(z.stderr().match(/was fenced/g) ?? []).length} task(s) fenced`);
    expect(z.stderr(), c.log()).toMatch(/task \d+\.\d+ was fenced \(another member runs it now\)/);
    for (const m of [a, z]) m.child.kill('SIGTERM');
    const exits = await Promise.all([a, z].map((m) => m.exit));
    expect(exits.map((x) => x.code), c.log()).toEqual([0, 0]);
  }, 400_000);
});
