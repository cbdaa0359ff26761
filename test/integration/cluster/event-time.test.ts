/**
 * Event time in cluster mode on a real broker with real processes: a
 * windowed count (1 s tumbling windows of Kafka record timestamps, behind a
 * keyBy) run by two `weir run --cluster` members whose tasks run on worker
 * threads. One member is killed with SIGKILL mid-stream; the survivor takes
 * its tasks over (window contents, timers and upstream watermarks restored
 * from the changelog). The read_committed output must equal, line for line,
 * both the count computed here and what the same job writes when run as one
 * process (`weir run` without --cluster): every window fires once, with all
 * its records, on either side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, cleanupKafka, createTopic, fixture, multisetDiff, produce, reader, runId, track, waitFor, weir, type CliRun } from '../kafka/helpers.js';
import { startKafka } from '../../services/kafka.mjs';
import { memberTasks, membersLog } from './member-logs.js';

const JOB = fixture('cluster-windowed-count.ts');
const PARTITIONS = 4;
const WORDS = 13;
/** Event time starts here (an hour ago: the broker refuses timestamps far in the future); record i is at T0 + 5 i ms, so each 1 s window holds 200 records. */
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
const N = 4000;

const word = (i: number) => `w${(i * 7) % WORDS}`;
const tsOf = (i: number) => T0 + 5 * i;

/** What every window holds: "word@start=count" for each window that closes (all but the flush records'). */
function expected(): string[] {
  const counts = new Map<string, number>();
  for (let i = 0; i < N; i++) {
    const k = `${word(i)}@${Math.floor(tsOf(i) / 1000) * 1000}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k}=${n}`);
}

/** Records [from, to), each partition in timestamp order (record i to partition i mod P). */
const chunk = (input: string, from: number, to: number) =>
  produce(
    input,
    Array.from({ length: to - from }, (_, j) => from + j).map((i) => ({ value: word(i), partition: i % PARTITIONS, timestamp: String(tsOf(i)) })),
  );

describe('cluster mode: event time (windows, watermarks across a repartition topic)', () => {
  beforeAll(async () => {
    await startKafka();
  }, 120_000);
  afterAll(cleanupKafka);

  it('a windowed count on worker-thread tasks, a member killed with SIGKILL mid-stream: the committed output equals the single-process result', async () => {
    const prefix = `cw-win-${runId}`;
    const group = `${prefix}.cluster-windowed-count`;
    track({ groupPrefix: prefix });
    for (const t of ['count-repartition', 'in-changelog', 'count-changelog']) track({ topic: `${group}-${t}` });
    const input = await createTopic(`cw-win-in-${runId}`, PARTITIONS);
    const outCluster = await createTopic(`cw-win-out-${runId}`, 1);
    const outSingle = await createTopic(`cw-win-single-${runId}`, 1);
    const env = { WEIR_CLUSTER_JOB: JSON.stringify({ brokers: BROKERS, input, output: outCluster }) };
    const members: CliRun[] = [];
    const member = () => {
      const m = weir(['run', JOB, '--cluster', `kafka://${BROKERS}/${prefix}`, '--workers', '2', '--session-timeout', '6s', '--log-level', 'info'], env);
      members.push(m);
      return m;
    };
    const log = () => membersLog(members);
    const tasksOf = memberTasks;
    const want = expected();
    const out = await reader(outCluster);
    const [a, b] = [member(), member()];
    await waitFor(() => tasksOf(a).length > 0 && tasksOf(b).length > 0 && tasksOf(a).length + tasksOf(b).length === 2 * PARTITIONS, () => `both members to share the ${2 * PARTITIONS} tasks\n${log()}`, 60_000, 200);
    await chunk(input, 0, 1000);
    // Windows fire once every source task's watermark has passed them: the first ones are out.
    await out.atLeast(WORDS, 60_000, log);
    // Every task of both members runs on a worker thread.
    for (const m of [a, b]) expect(m.stderr(), log()).toMatch(/"task":"1\.\d"[^\n]*"on":"worker [01]"/);
    const victim = tasksOf(b);
    b.child.kill('SIGKILL');
    await b.exit;
    await chunk(input, 1000, 2500);
    await waitFor(() => victim.every((t) => tasksOf(a).includes(t)), () => `the survivor to own ${victim.join(', ')}\n${log()}`, 60_000, 200);
    await chunk(input, 2500, N);
    // One record far ahead in every partition closes every window of the data.
    await produce(input, Array.from({ length: PARTITIONS }, (_, p) => ({ value: 'flush', partition: p, timestamp: String(tsOf(N) + 60_000) })));
    await out.atLeast(want.length, 120_000, () => `${log()}\n${JSON.stringify(multisetDiff(out.values, want))}`);
    await out.quiet(3000);
    expect(multisetDiff(out.values, want), log()).toEqual({ missing: 0, extra: 0, examples: [] });
    // The survivor restored the victim's window tasks (sub-topology 1) from the changelog.
    for (const t of victim.filter((x) => x.startsWith('1.'))) expect(a.stderr(), log()).toMatch(new RegExp(`"task":"${t.replace('.', '\\.')}"[^\\n]*"restored":true`));
    a.child.kill('SIGTERM');
    expect((await a.exit).code, log()).toBe(0);

    // The same job as one process, from the same input.
    const single = weir(['run', JOB, '--workers', '2', '--state', 'memory', '--checkpoint-interval', '500ms', '--job-id', `cw-win-single-${runId}`], {
      WEIR_CLUSTER_JOB: JSON.stringify({ brokers: BROKERS, input, output: outSingle, groupId: `cw-win-single-${runId}` }),
    });
    track({ group: `cw-win-single-${runId}` });
    const ref = await reader(outSingle);
    await ref.atLeast(want.length, 120_000, () => single.stderr().slice(-2000));
    await ref.quiet(2000);
    single.child.kill('SIGKILL'); // a drain would end event time and fire the flush records' windows too
    await single.exit;
    expect(multisetDiff(ref.values, want), single.stderr().slice(-2000)).toEqual({ missing: 0, extra: 0, examples: [] });
    expect([...out.values].sort()).toEqual([...ref.values].sort());
  }, 400_000);
});
