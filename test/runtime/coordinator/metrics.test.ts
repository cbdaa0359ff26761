// Tests runtime/coordinator/metrics.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aggregate, type Sample } from '../../../runtime/coordinator/metrics.js';
import type { TaskMetrics } from '../../../runtime/host/env.js';
import type { ActorPlan, ExecutionPlan } from '../../../runtime/plan/plan.js';
import type { NodeKind } from '../../../runtime/dsl/graph.js';

function planOf(ops: [string, NodeKind, number][]): ExecutionPlan {
  const actors: ActorPlan[] = [];
  for (const [operator, kind, parallelism] of ops) {
    for (let instance = 0; instance < parallelism; instance++) {
      actors.push({ id: actors.length, operator, kind, instance, parallelism, worker: 0, region: 0, inputs: [], outputs: [] });
    }
  }
  return { job: 'j', fingerprint: 'f', workers: 1, maxParallelism: 128, actors, channels: [], regions: 1 };
}

function task(actor: number, m: Partial<Omit<TaskMetrics, 'actor'>> = {}): TaskMetrics {
  return { actor, recordsIn: 0, recordsOut: 0, queued: 0, backpressuredMs: 0, busyMs: 0, finished: false, ...m };
}

function sample(at: number, tasks: TaskMetrics[], heap: [number, number][] = []): Sample {
  const threads = new Map(heap.map(([w, heapUsed]) => [w, { heapUsed, elu: 0, loopDelayMs: { mean: 0, p99: 0, max: 0 } }]));
  return { at, tasks: new Map(tasks.map((t) => [t.actor, t])), threads };
}

// src (1) -> map (2) -> sink (1): actor ids 0 | 1, 2 | 3
const plan = planOf([
  ['src', 'source', 1],
  ['map', 'map', 2],
  ['out', 'sink', 1],
]);

describe('aggregate (job metrics)', () => {
  it('one entry per operator, in plan order, with kind and parallelism', () => {
    const m = aggregate(plan, sample(1000, []), undefined, 0);
    expect(m.operators.map((o) => [o.operator, o.kind, o.parallelism])).toEqual([
      ['src', 'source', 1],
      ['map', 'map', 2],
      ['out', 'sink', 1],
    ]);
    // no samples yet: all zero
    for (const o of m.operators) expect(o).toMatchObject({ recordsIn: 0, recordsOut: 0, inRate: 0, outRate: 0, queued: 0, backpressure: 0, busy: 0 });
  });

  it('the first sample measures rates from the start of the job', () => {
    const now = sample(2500, [task(0, { recordsOut: 1000 }), task(1, { recordsIn: 300, recordsOut: 300 }), task(2, { recordsIn: 200, recordsOut: 100 })]);
    const m = aggregate(plan, now, undefined, 500); // 2 s since the start
    expect(m.elapsedMs).toBe(2000);
    const src = m.operators[0];
    expect(src.recordsOut).toBe(1000);
    expect(src.outRate).toBeCloseTo(500, 9);
    const map = m.operators[1];
    expect(map.recordsIn).toBe(500);
    expect(map.recordsOut).toBe(400);
    expect(map.inRate).toBeCloseTo(250, 9);
    expect(map.outRate).toBeCloseTo(200, 9);
  });

  it('later rates come from the difference of two samples over their interval', () => {
    const before = sample(1000, [task(0, { recordsOut: 100 }), task(1, { recordsIn: 40 }), task(2, { recordsIn: 60 })]);
    const now = sample(1500, [task(0, { recordsOut: 600 }), task(1, { recordsIn: 240 }), task(2, { recordsIn: 110 })]);
    const m = aggregate(plan, now, before, 0);
    expect(m.elapsedMs).toBe(1500);
    expect(m.operators[0].outRate).toBeCloseTo(1000, 9); // 500 records in 0.5 s
    expect(m.operators[0].recordsOut).toBe(600); // totals are cumulative, not deltas
    expect(m.operators[1].inRate).toBeCloseTo((200 + 50) * 2, 9);
    expect(m.operators[1].recordsIn).toBe(350);
  });

  it('an actor absent from the earlier sample counts from zero', () => {
    const before = sample(1000, [task(1, { recordsIn: 100 })]);
    const now = sample(2000, [task(1, { recordsIn: 200 }), task(2, { recordsIn: 50 })]);
    const m = aggregate(plan, now, before, 0);
    expect(m.operators[1].inRate).toBeCloseTo(100 + 50, 9);
  });

  it('actors absent from the sample contribute nothing', () => {
    const m = aggregate(plan, sample(1000, [task(1, { recordsIn: 10, queued: 3, busyMs: 1000 })]), undefined, 0);
    expect(m.operators[1]).toMatchObject({ recordsIn: 10, queued: 3 });
    expect(m.operators[1].busy).toBeCloseTo(0.5, 9); // instance 1 absent: averaged as 0
    expect(m.operators[0]).toMatchObject({ recordsIn: 0, recordsOut: 0, busy: 0 });
  });

  it('queued records are summed over instances (a level, not a rate)', () => {
    const before = sample(0, [task(1, { queued: 100 }), task(2, { queued: 100 })]);
    const m = aggregate(plan, sample(1000, [task(1, { queued: 7 }), task(2, { queued: 5 })]), before, 0);
    expect(m.operators[1].queued).toBe(12);
  });

  it('backpressure and busy are shares of the interval, averaged per instance', () => {
    const before = sample(1000, [task(1, { backpressuredMs: 100, busyMs: 0 }), task(2, { backpressuredMs: 0, busyMs: 0 }), task(3, { busyMs: 10 })]);
    const now = sample(2000, [task(1, { backpressuredMs: 600, busyMs: 1000 }), task(2, { backpressuredMs: 0, busyMs: 200 }), task(3, { busyMs: 260 })]);
    const m = aggregate(plan, now, before, 0);
    expect(m.operators[1].backpressure).toBeCloseTo((0.5 + 0) / 2, 9);
    expect(m.operators[1].busy).toBeCloseTo((1 + 0.2) / 2, 9);
    expect(m.operators[2].busy).toBeCloseTo(0.25, 9);
    expect(m.operators[2].backpressure).toBe(0);
  });

  it('each instance\'s share is capped at 1 before averaging', () => {
    const now = sample(1000, [task(1, { backpressuredMs: 5000, busyMs: 3000 }), task(2, { backpressuredMs: 0, busyMs: 0 })]);
    const m = aggregate(plan, now, sample(0, []), 0);
    expect(m.operators[1].backpressure).toBeCloseTo(0.5, 9);
    expect(m.operators[1].busy).toBeCloseTo(0.5, 9);
  });

  it('a zero-length interval is measured as 1 ms (no division by zero)', () => {
    const before = sample(1000, [task(0, { recordsOut: 0 })]);
    const m = aggregate(plan, sample(1000, [task(0, { recordsOut: 3 })]), before, 1000);
    expect(m.operators[0].outRate).toBe(3000);
    expect(Number.isFinite(m.operators[1].backpressure)).toBe(true);
  });

  it('workers are listed by id with their heap', () => {
    const m = aggregate(plan, sample(10, [], [[2, 300], [0, 100], [1, 200]]), undefined, 0);
    expect(m.workers).toEqual([
      { worker: 0, heapUsed: 100, elu: 0, loopDelayMs: { mean: 0, p99: 0, max: 0 } },
      { worker: 1, heapUsed: 200, elu: 0, loopDelayMs: { mean: 0, p99: 0, max: 0 } },
      { worker: 2, heapUsed: 300, elu: 0, loopDelayMs: { mean: 0, p99: 0, max: 0 } },
    ]);
  });

  it('does not modify the samples it is given', () => {
    const before = sample(0, [task(1, { recordsIn: 1 })]);
    const now = sample(1000, [task(1, { recordsIn: 5 })]);
    const snapshot = JSON.stringify([[...before.tasks], [...now.tasks]]);
    aggregate(plan, now, before, 0);
    expect(JSON.stringify([[...before.tasks], [...now.tasks]])).toBe(snapshot);
  });

  it('property: for growing counters, operator rates are the sum of instance rates and shares stay within [0, 1]', () => {
    const counters = fc.record({
      recordsIn: fc.nat(1e6),
      recordsOut: fc.nat(1e6),
      backpressuredMs: fc.nat(1e5),
      busyMs: fc.nat(1e5),
    });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(counters, counters), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 1e5 }),
        fc.integer({ min: 0, max: 1e5 }),
        (pairs, t0, dtRaw) => {
          const before = sample(t0, pairs.map(([a], i) => task(i, a)));
          const now = sample(
            t0 + dtRaw,
            pairs.map(([a, d], i) => task(i, { recordsIn: a.recordsIn + d.recordsIn, recordsOut: a.recordsOut + d.recordsOut, backpressuredMs: a.backpressuredMs + d.backpressuredMs, busyMs: a.busyMs + d.busyMs })),
          );
          const m = aggregate(plan, now, before, 0);
          const dt = Math.max(1, dtRaw);
          const ids: Record<string, number[]> = { src: [0], map: [1, 2], out: [3] };
          for (const o of m.operators) {
            const ds = ids[o.operator].map((i) => pairs[i][1]);
            expect(o.inRate).toBeCloseTo(ds.reduce((s, d) => s + (d.recordsIn * 1000) / dt, 0), 6);
            expect(o.outRate).toBeCloseTo(ds.reduce((s, d) => s + (d.recordsOut * 1000) / dt, 0), 6);
            expect(o.backpressure).toBeGreaterThanOrEqual(0);
            expect(o.backpressure).toBeLessThanOrEqual(1 + 1e-12);
            expect(o.busy).toBeGreaterThanOrEqual(0);
            expect(o.busy).toBeLessThanOrEqual(1 + 1e-12);
            expect(o.backpressure).toBeCloseTo(ds.reduce((s, d) => s + Math.min(1, d.backpressuredMs / dt), 0) / o.parallelism, 9);
          }
        },
      ),
    );
  });

  it('reports every actor: its instance, worker, counts and rates, which add up to its operator', () => {
    const two = { ...plan, actors: plan.actors.map((a) => (a.id === 2 ? { ...a, worker: 1 } : a)) };
    const before = sample(0, [task(1, { recordsIn: 100, busyMs: 0 }), task(2, { recordsIn: 50, backpressuredMs: 0 })]);
    const now = sample(1000, [task(1, { recordsIn: 400, queued: 3, busyMs: 500 }), task(2, { recordsIn: 150, queued: 1, backpressuredMs: 250 })]);
    const map = aggregate(two, now, before, 0).operators[1];
    expect(map.instances).toEqual([
      { instance: 0, worker: 0, recordsIn: 400, recordsOut: 0, inRate: 300, outRate: 0, queued: 3, backpressure: 0, busy: 0.5, credits: 0 },
      { instance: 1, worker: 1, recordsIn: 150, recordsOut: 0, inRate: 100, outRate: 0, queued: 1, backpressure: 0.25, busy: 0, credits: 0 },
    ]);
    expect(map.inRate).toBe(400);
    expect(map.queued).toBe(4);
    expect(map.busy).toBeCloseTo(0.25, 9);
    expect(map.backpressure).toBeCloseTo(0.125, 9);
  });

  it('lists every actor, with zeros until its worker sent a sample', () => {
    const m = aggregate(plan, sample(1000, [task(1, { recordsIn: 5 })]), undefined, 0);
    expect(m.operators[1].instances.map((i) => [i.instance, i.recordsIn])).toEqual([
      [0, 5],
      [1, 0],
    ]);
    expect(m.operators[1].recordsIn).toBe(5);
  });

  it('carries the coordinator counters: checkpoints and restarts (zero by default)', () => {
    expect(aggregate(plan, sample(10, []), undefined, 0)).toMatchObject({ checkpoints: { completed: 0, failed: 0 }, restarts: 0 });
    const checkpoints = { completed: 4, failed: 1, lastId: 5, lastDurationMs: 12, lastSizeBytes: 2048 };
    const m = aggregate(plan, sample(10, []), undefined, 0, { checkpoints, restarts: 2 });
    expect(m.checkpoints).toEqual(checkpoints);
    expect(m.checkpoints).not.toBe(checkpoints); // a copy: later checkpoints do not change a metrics sample
    expect(m.restarts).toBe(2);
  });
});
