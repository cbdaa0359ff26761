// Tests runtime/http/api.ts: the JSON API's shapes.
import { describe, expect, it } from 'vitest';
import { checkpointsJson, failuresJson, historyJson, jobJson, metricsJson, planJson, updateJson } from '../../../runtime/http/api.js';
import { JobTelemetry } from '../../../runtime/metrics/telemetry.js';
import { smallPlan, task, thread } from './fixtures.js';

function telemetry(): JobTelemetry {
  const t = new JobTelemetry('small', { state: 'redis://default:s3cretpw@127.0.0.1:6379/0', workers: 2 }, 1_000_000);
  t.planned(smallPlan(), 'small', 7);
  t.started();
  t.state = 'running';
  t.report(0, [task(0, 100), task(1, 40), task(3, 90)], thread());
  t.report(1, [task(2, 60)], thread());
  t.sample(undefined);
  t.checkpoint({ id: 8, kind: 'checkpoint', status: 'completed', at: 1_004_000, durationMs: 12, sizeBytes: 300 });
  t.checkpoint({ id: 9, kind: 'checkpoint', status: 'failed', at: 1_005_000, durationMs: 3, error: 'cannot write redis://u:hunter22@10.0.0.1:6379/0' });
  t.restarted({ at: 1_006_000, regions: [0], code: 'USER_FUNCTION_FAILED', message: 'map failed reading rediss://:pw123@cache:6380', operator: 'map', instance: 0, crashedWorkers: [] });
  return t;
}

describe('JSON API', () => {
  it('/api/plan: operators with parallelism, workers and regions; one edge per operator pair', () => {
    expect(planJson(smallPlan())).toEqual({
      job: 'small',
      workers: 2,
      regions: 1,
      operators: [
        { id: 'src', kind: 'source', parallelism: 1, workers: [0], regions: [0] },
        { id: 'map', kind: 'map', parallelism: 2, workers: [0, 1], regions: [0] },
        { id: 'out', kind: 'sink', parallelism: 1, workers: [0], regions: [0] },
      ],
      edges: [
        { from: 'src', to: 'map', partitioning: 'hash' },
        { from: 'map', to: 'out', partitioning: 'rebalance' },
      ],
    });
  });

  it('/api/job: state, uptime, restarts and checkpoint summary; credentials redacted', () => {
    const j = jobJson(telemetry(), 1_010_000);
    expect(j).toEqual({
      job: 'small',
      state: 'running',
      startedAt: 1_000_000,
      options: { state: 'redis://default:***@127.0.0.1:6379/0', workers: 2 },
      resumedFrom: 7,
      uptimeSeconds: 10,
      restarts: 1,
      checkpoints: { completed: 0, failed: 0, lastCompletedId: 8, lastCompletedAgeSeconds: 6 },
    });
    expect(JSON.stringify(j)).not.toContain('s3cretpw');
  });

  it('/api/metrics: the JobMetrics model, per operator with instances, plus restarts by region', () => {
    const m = metricsJson(telemetry());
    expect(m.restartsByRegion).toEqual([1]);
    expect(m.metrics!.operators.map((o) => [o.operator, o.parallelism, o.instances.length, o.recordsIn])).toEqual([
      ['src', 1, 1, 100],
      ['map', 2, 2, 100],
      ['out', 1, 1, 90],
    ]);
    const inst = m.metrics!.operators[1].instances[1];
    expect(Object.keys(inst).sort()).toEqual(['backpressure', 'busy', 'credits', 'inRate', 'instance', 'outRate', 'queued', 'recordsIn', 'recordsOut', 'worker']);
    expect(inst).toMatchObject({ instance: 1, worker: 1, recordsIn: 60, credits: 4 });
    expect(m.metrics!.workers[0]).toEqual({ worker: 0, heapUsed: 1000, elu: 0.25, loopDelayMs: { mean: 1, p99: 4, max: 9 } });
  });

  it('/api/checkpoints and /api/failures: bounded logs, newest last, errors redacted', () => {
    const t = telemetry();
    const c = checkpointsJson(t);
    expect(c.history.map((x) => [x.id, x.status])).toEqual([
      [8, 'completed'],
      [9, 'failed'],
    ]);
    expect(c.history[1].error).toBe('cannot write redis://u:***@10.0.0.1:6379/0');
    const f = failuresJson(t);
    expect(f).toEqual({
      restartsByRegion: [1],
      failures: [{ at: 1_006_000, regions: [0], code: 'USER_FUNCTION_FAILED', message: 'map failed reading rediss://:***@cache:6380', operator: 'map', instance: 0, crashedWorkers: [] }],
    });
    for (let i = 0; i < 500; i++) t.checkpoint({ id: 100 + i, kind: 'checkpoint', status: 'completed', at: i });
    expect(checkpointsJson(t).history.length).toBe(100);
    expect(checkpointsJson(t).history.at(-1)!.id).toBe(599);
  });

  it('/api/history: operator order and one point per sample; the live update carries the last point', () => {
    const t = telemetry();
    t.report(0, [task(0, 300)], thread());
    t.sample(undefined);
    const h = historyJson(t);
    expect(h.operators).toEqual(['src', 'map', 'out']);
    expect(h.points).toHaveLength(2);
    expect(h.points[1].outRate).toHaveLength(3);
    const u = updateJson(t);
    expect(u.point).toBe(h.points[1]);
    expect(Object.keys(u).sort()).toEqual(['checkpoints', 'failures', 'job', 'metrics', 'point', 'restartsByRegion']);
  });
});
