/**
 * A cluster member's worker pool on real worker threads (no broker: the test
 * plays the task runner): chains spread over the workers, batches come back
 * as ready-to-send messages, and a worker that dies (or whose event loop is
 * stuck) fails only the tasks on it, is replaced, and takes chains again.
 */
import path from 'node:path';
import type { KafkaMessage } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { kafkaConnectorTopics } from '../../../runtime/cluster/endpoints.js';
import { planCluster } from '../../../runtime/cluster/subtopologies.js';
import { encodeRows, type TaskOutput } from '../../../runtime/cluster/task-batch.js';
import type { TaskExecutor } from '../../../runtime/cluster/task-executor.js';
import { TaskWorkers } from '../../../runtime/cluster/task-workers.js';
import { compileJob } from '../../../runtime/load/compile-job.js';
import { loadTopology } from '../../../runtime/load/load-topology.js';
import { createLogger } from '../../../runtime/log.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../fixtures/cluster-exit-worker.ts');
const TOPIC = 'cw-exit-in';
const rows = (...words: string[]) => encodeRows(words.map((w, i) => ({ value: Buffer.from(w), key: null, timestamp: '0', offset: String(i), headers: {} }) as unknown as KafkaMessage), false, { operator: 'in', instance: 0 });
const values = (o: TaskOutput) => o.sends.flatMap(([topic, msgs]) => msgs.map((m) => `${topic}:${String(m[1])}`));

describe('TaskWorkers (cluster tasks on worker threads)', () => {
  const cleanups: (() => unknown)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  /** The fixture job compiled and planned, and a pool of `count` workers for it (shut down after the tests). */
  async function startPool(count: number, options: { fingerprint?: string; heartbeatIntervalMs?: number; heartbeatTimeoutMs?: number } = {}) {
    const compiled = await compileJob(FIXTURE);
    cleanups.push(() => compiled.cleanup());
    const topology = await loadTopology(compiled.url);
    const plan = planCluster(topology.graph, topology.name, '', kafkaConnectorTopics);
    const { fingerprint = topology.fingerprint, ...heartbeats } = options;
    const pool = new TaskWorkers({
      count,
      init: { moduleUrl: compiled.url, job: topology.name, logLevel: 'silent', fingerprint, plan },
      log: createLogger('silent'),
      ...heartbeats,
    });
    cleanups.push(() => pool.shutdown());
    return { pool, plan };
  }

  it('spreads chains over the workers; a worker that exits fails only its tasks and is replaced', async () => {
    const { pool, plan } = await startPool(2);
    await pool.ready();
    pool.setLayout({ tasks: [[0, 3]], repartitionPartitions: [] });
    const failures: Error[][] = [[], [], []];
    const open = (p: number): Promise<TaskExecutor> => pool.open({ task: `0.${p}`, sub: plan.subtopologies[0], partition: p, partitions: 3, state: undefined, onFailed: (e) => failures[p].push(e) });
    const ex = [await open(0), await open(1), await open(2)];
    expect(ex.map((e) => e.where)).toEqual(['worker 0', 'worker 1', 'worker 0']);
    // Batches of one task come back in order, several in flight at once.
    const outs = await Promise.all([ex[0].process(TOPIC, rows('a', 'b'), { [TOPIC]: 2 }), ex[0].process(TOPIC, rows('c'), { [TOPIC]: 3 })]);
    expect(outs.map(values)).toEqual([['cw-exit-out:A', 'cw-exit-out:B'], ['cw-exit-out:C']]);

    // "exit" ends worker 1: task 0.1's batch fails with the reason, and the task is told once.
    await expect(ex[1].process(TOPIC, rows('exit'), { [TOPIC]: 1 })).rejects.toThrow(/worker 1 exited unexpectedly with code 3/);
    expect(failures.map((f) => f.length)).toEqual([0, 1, 0]);
    await expect(ex[1].process(TOPIC, rows('x'), { [TOPIC]: 2 })).rejects.toThrow(/its chain on worker 1 is gone/);
    // The tasks on worker 0 run on.
    expect(values(await ex[2].process(TOPIC, rows('d'), { [TOPIC]: 1 }))).toEqual(['cw-exit-out:D']);
    // The restarted task goes to the least loaded slot, worker 1, once its replacement has loaded the job.
    const again = await open(1);
    expect(again.where).toBe('worker 1');
    expect(values(await again.process(TOPIC, rows('e'), { [TOPIC]: 1 }))).toEqual(['cw-exit-out:E']);
    expect(failures.map((f) => f.length)).toEqual([0, 1, 0]);
  }, 60_000);

  it('a worker whose event loop is blocked stops answering heartbeats: it is terminated, its tasks fail, it is replaced', async () => {
    const { pool, plan } = await startPool(1, { heartbeatIntervalMs: 100, heartbeatTimeoutMs: 1000 });
    await pool.ready();
    pool.setLayout({ tasks: [[0, 1]], repartitionPartitions: [] });
    const failed: Error[] = [];
    const open = () => pool.open({ task: '0.0', sub: plan.subtopologies[0], partition: 0, partitions: 1, state: undefined, onFailed: (e) => failed.push(e) });
    const ex = await open();
    await expect(ex.process(TOPIC, rows('spin'), { [TOPIC]: 1 })).rejects.toThrow(/worker 0 did not answer heartbeats for 1000 ms \(its event loop is blocked\)/);
    expect(failed).toHaveLength(1);
    const again = await open();
    expect(values(await again.process(TOPIC, rows('f'), { [TOPIC]: 1 }))).toEqual(['cw-exit-out:F']);
  }, 60_000);

  it('a job that builds another topology in the workers is refused at start, naming the fix', async () => {
    const { pool } = await startPool(1, { fingerprint: 'not-this-one' });
    await expect(pool.ready()).rejects.toThrow(/built differently in worker 0 than in the cluster member .*Fix: make the build function deterministic/);
  }, 60_000);
});
