/**
 * Cluster operations on a real broker (127.0.0.1:9092), one member running
 * in this process (runCluster) on a keyed count: two sub-topologies, a
 * repartition topic, a changelog.
 *
 * - its /metrics (scraped over HTTP) counts every task's records in and out,
 *   transactions, commit latency, restore time and state size, labelled
 *   job/member/task, and shows each input partition's lag at 0 once caught
 *   up, repartition inputs (transactional: commit markers) included;
 * - `weir cluster status` shows lag 0 for every task then, too;
 * - consumed repartition records are purged up to the committed offsets;
 * - a CLI member (`weir run --cluster --http 0`) says where it serves them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafka, runCluster, topology } from 'weir';
import { admin, BROKERS, cleanupKafka, createTopic, fixture, produce, reader, runId, track, unique, waitFor, weir, weirSync } from '../kafka/helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const PARTITIONS = 3;

/** Prometheus text -> series { name, labels, value } (no histogram buckets needed beyond their names). */
function parseMetrics(text: string): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

describe('cluster operations on a real broker: metrics per task, lag, purge', () => {
  beforeAll(async () => {
    await startKafka();
  }, 120_000);
  afterAll(cleanupKafka);

  it('a member serves per-task metrics; a caught-up cluster shows lag 0 everywhere; consumed repartition records are purged', async () => {
    const prefix = `co-ops-${runId}`;
    const job = 'co-count';
    const group = `${prefix}.${job}`;
    track({ groupPrefix: prefix });
    const repartition = `${group}-count-repartition`;
    for (const t of ['count-repartition', 'count-changelog']) track({ topic: `${group}-${t}` });
    const input = await createTopic(unique('co-ops-in'), PARTITIONS);
    const output = await createTopic(unique('co-ops-out'), 1);
    const words = Array.from({ length: 3000 }, (_, i) => `w${(i * 7919) % 97}`);
    await produce(input, words.map((value, i) => ({ value, partition: i % PARTITIONS })));
    const out = await reader(output);
    const job$ = topology(job, (t) =>
      t
        .source('in', kafka.source<string>({ brokers: BROKERS, topic: input }))
        .map((w: string): [string, number] => [w, 1], { name: 'pair' })
        .keyBy(([w]) => w)
        .reduce(([w, a], [, b]) => [w, a + b], { name: 'count' })
        .map(([w, n]) => `${w},${n}`, { name: 'format' })
        .sink('out', kafka.sink<string>({ brokers: BROKERS, topic: output })),
    );
    const h = runCluster(job$, { cluster: `kafka://${BROKERS}/${prefix}`, workers: 0, sessionTimeoutMs: 6000, http: { port: 0 }, repartitionPurgeIntervalMs: 500, logLevel: 'error' });
    try {
      await out.atLeast(words.length, 120_000);
      const url = h.status()?.metricsUrl;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const scrape = async () => parseMetrics(await (await fetch(`${url}/metrics`)).text());
      const tasks = ['0.0', '0.1', '0.2', '1.0', '1.1', '1.2'];
      // Every task caught up: records in per sub-topology equal the input, lag 0 on every input partition.
      let m = await scrape();
      await waitFor(
        async () => {
          m = await scrape();
          const lags = m.filter((s) => s.name === 'weir_task_input_lag_records');
          return lags.length === tasks.length && lags.every((s) => s.value === 0);
        },
        () => `every task's lag to be 0: ${JSON.stringify(m.filter((s) => s.name === 'weir_task_input_lag_records'))}`,
        30_000,
        200,
      );
      const sum = (name: string, sub: string) => m.filter((s) => s.name === name && s.labels.task.startsWith(sub)).reduce((n, s) => n + s.value, 0);
      expect(sum('weir_task_records_in_total', '0.')).toBe(words.length);
      expect(sum('weir_task_records_out_total', '0.')).toBe(words.length); // to the repartition topic
      expect(sum('weir_task_records_in_total', '1.')).toBe(words.length);
      expect(sum('weir_task_records_out_total', '1.')).toBe(words.length); // to the sink
      const ofTask = (name: string) => new Map(m.filter((s) => s.name === name).map((s) => [s.labels.task, s]));
      const committed = ofTask('weir_task_transactions_committed_total');
      const latencyCount = ofTask('weir_task_commit_latency_seconds_count');
      for (const t of tasks) {
        const c = committed.get(t)!;
        expect(c.labels, t).toMatchObject({ job, task: t });
        expect(c.labels.member).toMatch(/:\d+$/);
        expect(c.value, t).toBeGreaterThan(0);
        expect(latencyCount.get(t)?.value, t).toBe(c.value); // one latency per committed transaction
        expect(ofTask('weir_task_restore_seconds').get(t)?.value, t).toBeGreaterThanOrEqual(0);
        expect(ofTask('weir_task_transactions_aborted_total').get(t)?.value, t).toBe(0);
      }
      // State size: the count tasks hold their words' counts; the stateless tasks write no changelog.
      for (const t of ['1.0', '1.1', '1.2']) expect(ofTask('weir_task_state_bytes').get(t)?.value, t).toBeGreaterThan(100);
      expect(ofTask('weir_task_state_bytes').get('0.0')).toBeUndefined();
      expect(m.find((s) => s.name === 'weir_member_tasks')?.value).toBe(tasks.length);

      // weir cluster status reads the group alone: lag 0 for every task, repartition inputs included.
      const st = await weirSync(['cluster', 'status', '--cluster', `kafka://${BROKERS}/${prefix}`, '--job', job, '--json']);
      expect(st.code, st.stderr).toBe(0);
      const status = JSON.parse(st.stdout) as { members: { tasks: { task: string; lag: number; inputs: { topic: string; committed?: number; end: number }[] }[] }[] };
      const rows = status.members.flatMap((x) => x.tasks);
      expect(rows.map((r) => r.task).sort()).toEqual(tasks);
      for (const r of rows) expect(r.lag, JSON.stringify(r)).toBe(0);
      expect(rows.filter((r) => r.inputs[0].topic === repartition)).toHaveLength(3);

      // The purge: each repartition partition starts at the offset its task committed.
      const a = await admin();
      await waitFor(
        async () => {
          const lows = await a.fetchTopicOffsets(repartition);
          const pos = await a.fetchOffsets({ groupId: group, topics: [repartition] });
          return lows.every((l) => Number(l.low) > 0 && Number(l.low) === Number(pos[0].partitions.find((p) => p.partition === l.partition)!.offset));
        },
        'repartition partitions purged to the committed offsets',
        30_000,
        200,
      );
      // The source topic is not purged.
      expect((await a.fetchTopicOffsets(input)).every((o) => Number(o.low) === 0)).toBe(true);
    } finally {
      await h.stop();
    }
    await h.done;
  }, 300_000);

  it('weir run --cluster --http 0: the CLI member prints where it serves /metrics, and a scrape shows its tasks', async () => {
    const prefix = `co-cli-${runId}`;
    track({ groupPrefix: prefix });
    for (const t of ['count-repartition', 'count-changelog']) track({ topic: `${prefix}.cluster-keyed-count-${t}` });
    const input = await createTopic(unique('co-cli-in'), 2);
    const output = await createTopic(unique('co-cli-out'), 1);
    const m = weir(['run', fixture('cluster-keyed-count.ts'), '--cluster', `kafka://${BROKERS}/${prefix}`, '--session-timeout', '6s', '--http', '0'], { WEIR_CLUSTER_JOB: JSON.stringify({ brokers: BROKERS, input, output }) });
    let url: string | undefined;
    await waitFor(() => (url = /weir: member metrics at (http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(m.stderr())?.[1]) !== undefined, () => `the member to print its metrics URL\n${m.stderr()}`, 60_000, 100);
    let text = '';
    await waitFor(async () => /^weir_member_tasks\{[^}]*job="cluster-keyed-count"[^}]*\} 4$/m.test((text = await (await fetch(`${url}/metrics`)).text())), () => `4 tasks in /metrics:\n${text}`, 60_000, 200);
    m.child.kill('SIGTERM');
    expect((await m.exit).code, m.stderr()).toBe(0);
  }, 120_000);
});
