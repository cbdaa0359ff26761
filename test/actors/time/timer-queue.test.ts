/** The timer queue and the watermark valve: pure, no threads. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyGroupOf, keyGroupRange } from '../../../actors/key-groups.js';
import { TimerQueue } from '../../../actors/time/timer-queue.js';
import { combineWatermarks } from '../../../actors/time/watermark-valve.js';

describe('TimerQueue', () => {
  it('fires in timestamp order, one timer per key and timestamp, none before it is due', () => {
    const q = new TimerQueue(128);
    q.register('a', 30);
    q.register('b', 10);
    q.register('a', 10);
    q.register('a', 10);
    expect(q.size).toBe(3);
    expect(q.peek()).toBe(10);
    expect(q.pop(9)).toBeUndefined();
    const got = [q.pop(30), q.pop(30), q.pop(30), q.pop(30)];
    expect(got.slice(0, 2).map((t) => t!.ts)).toEqual([10, 10]);
    expect(new Set(got.slice(0, 2).map((t) => t!.key))).toEqual(new Set(['a', 'b']));
    expect(got[2]).toEqual({ key: 'a', ts: 30 });
    expect(got[3]).toBeUndefined();
  });

  it('delete removes a timer; registering it again makes it fire once', () => {
    const q = new TimerQueue(128);
    q.register(1, 5);
    q.delete(1, 5);
    expect(q.pop(100)).toBeUndefined();
    q.register(1, 5);
    q.delete(1, 5);
    q.register(1, 5);
    expect(q.pop(100)).toEqual({ key: 1, ts: 5 });
    expect(q.pop(100)).toBeUndefined();
  });

  it('property: against a sorted-set model, any sequence of register/add/delete/pop', () => {
    let pops = 0;
    let added = 0;
    const op = fc.oneof(
      fc.record({ t: fc.constant('reg' as const), k: fc.integer({ min: 0, max: 5 }), ts: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ t: fc.constant('add' as const), k: fc.integer({ min: 6, max: 9 }), ts: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ t: fc.constant('del' as const), k: fc.integer({ min: 0, max: 5 }), ts: fc.integer({ min: 0, max: 50 }) }),
      fc.record({ t: fc.constant('pop' as const), k: fc.constant(0), ts: fc.integer({ min: 0, max: 50 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200, size: 'max' }), (ops) => {
        const q = new TimerQueue(16);
        const model = new Map<string, { key: number; ts: number }>();
        for (const o of ops) {
          if (o.t === 'reg') {
            q.register(o.k, o.ts);
            model.set(`${o.k}@${o.ts}`, { key: o.k, ts: o.ts });
          } else if (o.t === 'add') {
            // add() is for timers the caller knows are new (keys 6..9 here, never deleted)
            if (model.has(`${o.k}@${o.ts}`)) continue;
            q.add(o.k, o.ts);
            model.set(`${o.k}@${o.ts}`, { key: o.k, ts: o.ts });
            added++;
          } else if (o.t === 'del') {
            q.delete(o.k, o.ts);
            model.delete(`${o.k}@${o.ts}`);
          } else {
            const t = q.pop(o.ts);
            const min = Math.min(...[...model.values()].map((m) => m.ts));
            if (min <= o.ts) {
              expect(t?.ts).toBe(min);
              model.delete(`${t!.key}@${t!.ts}`);
              pops++;
            } else expect(t).toBeUndefined();
          }
          expect(q.size).toBe(model.size);
        }
      }),
      { numRuns: 200 },
    );
    expect(pops).toBeGreaterThan(200);
    expect(added).toBeGreaterThan(200);
  });

  it('add() (a timer the caller knows is new): fires in order with registered ones, is counted and snapshotted, cannot be deleted', () => {
    const q = new TimerQueue(16);
    q.add('w', 20);
    q.register('w', 10);
    q.add('v', 15);
    q.delete('w', 20); // not found: add() timers are only fired
    expect(q.size).toBe(3);
    expect(q.snapshot().flatMap(([, l]) => l).sort((a, b) => a[0] - b[0])).toEqual([
      [10, 'w'],
      [15, 'v'],
      [20, 'w'],
    ]);
    expect([q.pop(99), q.pop(99), q.pop(99), q.pop(99)]).toEqual([{ key: 'w', ts: 10 }, { key: 'v', ts: 15 }, { key: 'w', ts: 20 }, undefined]);
    expect(q.size).toBe(0);
  });

  it('snapshots by key group; restoring key-group ranges at another parallelism splits timers exactly', () => {
    const maxP = 16;
    const q = new TimerQueue(maxP);
    for (let k = 0; k < 40; k++) q.register(`k${k}`, k * 10);
    const snap = q.snapshot();
    for (const p of [1, 3, 4]) {
      const parts = Array.from({ length: p }, (_, i) => {
        const r = new TimerQueue(maxP);
        r.restore([snap], keyGroupRange(i, maxP, p));
        return r;
      });
      expect(parts.reduce((n, r) => n + r.size, 0)).toBe(40);
      parts.forEach((r, i) => {
        const [s, e] = keyGroupRange(i, maxP, p);
        for (let t = r.pop(Infinity); t; t = r.pop(Infinity)) {
          const kg = keyGroupOf(t.key, maxP);
          expect(kg >= s && kg < e).toBe(true);
          expect(t.ts).toBe(Number(String(t.key).slice(1)) * 10);
        }
      });
    }
  });
});

describe('combineWatermarks (the valve)', () => {
  const w = (ts: number, idle = false, finished = false) => ({ ts, idle, finished });
  it('is the minimum over inputs that are not idle; a finished input counts with its last watermark', () => {
    expect(combineWatermarks([w(5), w(3)])).toEqual({ ts: 3, idle: false });
    expect(combineWatermarks([w(5), w(3, true)])).toEqual({ ts: 5, idle: false });
    expect(combineWatermarks([w(5), w(Infinity, false, true)])).toEqual({ ts: 5, idle: false }); // ended: sent +Infinity
    expect(combineWatermarks([w(5), w(2, false, true)])).toEqual({ ts: 2, idle: false }); // stopped for a savepoint
    expect(combineWatermarks([w(Infinity, false, true), w(Infinity, false, true)])).toEqual({ ts: Infinity, idle: false });
  });
  it('is idle when every unfinished input is idle', () => {
    expect(combineWatermarks([w(5, true), w(3, true)])).toEqual({ ts: undefined, idle: true });
    expect(combineWatermarks([w(5, true), w(Infinity, false, true)])).toEqual({ ts: Infinity, idle: true });
  });
});
