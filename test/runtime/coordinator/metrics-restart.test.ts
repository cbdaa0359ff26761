// Regression (was a bug, fixed): counters reset by a restart must not give negative rates.
//
// runtime/coordinator/metrics.ts aggregate() (lines ~51-57) takes rates and shares as
// `cur - prev` of per-actor counters. After a region failover the actor's task is rebuilt
// (runtime/host/actor-host.ts resetRegions -> new OperatorTask/SourceTask/SinkTask), so its
// counters restart at 0, and job.ts (sample(), ~line 331) keeps the previous sample. The next
// sample then shows negative records/s, negative backpressure and negative busy for the
// restarted operator (status line, dashboard, Prometheus gauges). Prometheus' rate() treats a
// decrease as a counter reset (counts from 0); the same here would be `cur < prev ? cur : cur - prev`.
import { describe, expect, it } from 'vitest';
import { aggregate, type Sample } from '../../../runtime/coordinator/metrics.js';
import type { TaskMetrics } from '../../../runtime/host/env.js';
import type { ExecutionPlan } from '../../../runtime/plan/plan.js';

const plan: ExecutionPlan = {
  job: 'j',
  fingerprint: 'f',
  workers: 1,
  maxParallelism: 128,
  regions: 1,
  channels: [],
  actors: [{ id: 0, operator: 'map', kind: 'map', instance: 0, parallelism: 1, worker: 0, region: 0, inputs: [], outputs: [] }],
};

const t = (m: Omit<TaskMetrics, 'actor' | 'queued' | 'finished'>): TaskMetrics => ({ actor: 0, queued: 0, finished: false, ...m });
const at = (ms: number, task: TaskMetrics): Sample => ({ at: ms, tasks: new Map([[0, task]]), threads: new Map() });

describe('aggregate after an actor restart (counters reset)', () => {
  it('never reports negative rates or shares', () => {
    const before = at(10_000, t({ recordsIn: 50_000, recordsOut: 50_000, backpressuredMs: 4_000, busyMs: 6_000 }));
    // the actor was restarted from a checkpoint: its new task counts from zero
    const now = at(11_000, t({ recordsIn: 800, recordsOut: 800, backpressuredMs: 100, busyMs: 300 }));
    const m = aggregate(plan, now, before, 0).operators[0];
    expect(m.inRate).toBeGreaterThanOrEqual(0); // fails: -49200
    expect(m.outRate).toBeGreaterThanOrEqual(0);
    expect(m.backpressure).toBeGreaterThanOrEqual(0); // fails: -3.9
    expect(m.busy).toBeGreaterThanOrEqual(0);
  });
});
