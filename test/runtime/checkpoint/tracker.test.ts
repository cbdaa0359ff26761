import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CheckpointTracker } from '../../../runtime/checkpoint/tracker.js';

/** A distinct snapshot per call, so identity tells which one the tracker kept. */
let counter = 0;
const snap = () => new Uint8Array([counter++ & 0xff, (counter >> 8) & 0xff]);

describe('CheckpointTracker', () => {
  it('completes only when every actor has acked, and returns one snapshot per actor', () => {
    const t = new CheckpointTracker([0, 1, 2]);
    t.begin(1, 100);
    expect(t.inFlight).toMatchObject({ id: 1, startedAt: 100 });
    const s0 = snap();
    const s1 = snap();
    const s2 = snap();
    expect(t.ack(0, 1, s0)).toBeUndefined();
    expect(t.ack(2, 1, s2)).toBeUndefined();
    expect(t.inFlight?.id).toBe(1);
    const done = t.ack(1, 1, s1);
    expect(done).toBeDefined();
    expect([...done!.keys()].sort()).toEqual([0, 1, 2]);
    expect(done!.get(0)).toBe(s0);
    expect(done!.get(1)).toBe(s1);
    expect(done!.get(2)).toBe(s2);
    expect(t.inFlight).toBeUndefined();
  });

  it('a later ack of one actor replaces its earlier ack for the same checkpoint', () => {
    const t = new CheckpointTracker([0, 1]);
    t.begin(3, 0);
    const first = snap();
    const second = snap();
    t.ack(0, 3, first);
    t.ack(0, 3, second);
    const done = t.ack(1, 3, snap());
    expect(done!.get(0)).toBe(second);
  });

  it('ignores acks when nothing is pending and acks of another checkpoint id', () => {
    const t = new CheckpointTracker([0, 1]);
    expect(t.ack(0, 1, snap())).toBeUndefined();
    expect(t.ack(1, 1, snap())).toBeUndefined();
    expect(t.inFlight).toBeUndefined();

    t.begin(2, 0);
    expect(t.ack(0, 1, snap())).toBeUndefined(); // stale
    expect(t.ack(1, 3, snap())).toBeUndefined(); // from the future
    expect(t.inFlight!.acks.size).toBe(0);
    expect(t.ack(0, 2, snap())).toBeUndefined();
    expect(t.ack(1, 2, snap())).toBeDefined();
  });

  it('ignores acks of a checkpoint that was aborted, and a fresh one starts from no acks', () => {
    const t = new CheckpointTracker([0, 1]);
    t.begin(1, 10);
    t.ack(0, 1, snap());
    const aborted = t.abort();
    expect(aborted?.id).toBe(1);
    expect(aborted?.acks.has(0)).toBe(true);
    expect(t.inFlight).toBeUndefined();
    expect(t.abort()).toBeUndefined();
    expect(t.ack(1, 1, snap())).toBeUndefined();

    t.begin(2, 20);
    expect(t.ack(1, 1, snap())).toBeUndefined(); // late ack of the aborted checkpoint
    expect(t.ack(1, 2, snap())).toBeUndefined(); // actor 0 has not acked 2 yet
    expect(t.ack(0, 2, snap())).toBeDefined();
  });

  it('acks of an already completed checkpoint are ignored', () => {
    const t = new CheckpointTracker([0]);
    t.begin(1, 0);
    expect(t.ack(0, 1, snap())).toBeDefined();
    expect(t.ack(0, 1, snap())).toBeUndefined();
    t.begin(2, 0);
    expect(t.ack(0, 1, snap())).toBeUndefined();
    expect(t.inFlight?.id).toBe(2);
  });

  it('acks from actors it does not track do not complete a checkpoint', () => {
    const t = new CheckpointTracker([0, 1]);
    t.begin(1, 0);
    expect(t.ack(7, 1, snap())).toBeUndefined();
    expect(t.ack(0, 1, snap())).toBeUndefined();
    const done = t.ack(1, 1, snap());
    expect(done).toBeDefined();
    expect([...done!.keys()].sort()).toEqual([0, 1]);
  });

  it('a finished actor stands in for its ack with its final snapshot', () => {
    const t = new CheckpointTracker([0, 1, 2]);
    const final1 = snap();
    expect(t.finished(1, final1)).toBeUndefined(); // nothing pending
    t.begin(5, 0);
    const a0 = snap();
    expect(t.ack(0, 5, a0)).toBeUndefined();
    const final2 = snap();
    const done = t.finished(2, final2);
    expect(done).toBeDefined();
    expect(done!.get(0)).toBe(a0);
    expect(done!.get(1)).toBe(final1);
    expect(done!.get(2)).toBe(final2);
    expect(t.inFlight).toBeUndefined();
  });

  it('prefers an actor\'s ack over its final snapshot', () => {
    const t = new CheckpointTracker([0, 1]);
    t.begin(1, 0);
    const ack0 = snap();
    t.ack(0, 1, ack0);
    const fin0 = snap();
    expect(t.finished(0, fin0)).toBeUndefined();
    const done = t.ack(1, 1, snap());
    expect(done!.get(0)).toBe(ack0);
  });

  it('finished actors keep standing in for later checkpoints', () => {
    const t = new CheckpointTracker([0, 1]);
    const fin = snap();
    t.finished(0, fin);
    for (const id of [1, 2, 3]) {
      t.begin(id, id);
      const done = t.ack(1, id, snap());
      expect(done!.get(0)).toBe(fin);
    }
  });

  it('allFinished and finalSnapshots', () => {
    const t = new CheckpointTracker([0, 1]);
    expect(t.allFinished()).toBe(false);
    expect(t.finalSnapshots().size).toBe(0);
    const f0 = snap();
    const f1 = snap();
    t.finished(0, f0);
    expect(t.allFinished()).toBe(false);
    t.finished(1, f1);
    expect(t.allFinished()).toBe(true);
    const finals = t.finalSnapshots();
    expect(finals.get(0)).toBe(f0);
    expect(finals.get(1)).toBe(f1);
    // a copy: mutating it does not change the tracker
    finals.delete(0);
    expect(t.finalSnapshots().size).toBe(2);
    expect(t.allFinished()).toBe(true);
  });

  it('an actor with no actors to wait for is trivially all finished', () => {
    expect(new CheckpointTracker([]).allFinished()).toBe(true);
  });

  it('reset() forgets the finals of the given actors only, and aborts the pending checkpoint', () => {
    const t = new CheckpointTracker([0, 1, 2]);
    const f0 = snap();
    const f1 = snap();
    t.finished(0, f0);
    t.finished(1, f1);
    t.begin(4, 0);
    t.ack(2, 4, snap());
    t.reset([1]);
    expect(t.inFlight).toBeUndefined();
    expect(t.allFinished()).toBe(false);
    expect([...t.finalSnapshots().keys()]).toEqual([0]);
    expect(t.ack(1, 4, snap())).toBeUndefined(); // the aborted checkpoint's ack

    // actor 1 must now ack; actor 0's final still stands in
    t.begin(5, 0);
    expect(t.ack(2, 5, snap())).toBeUndefined();
    const a1 = snap();
    const done = t.ack(1, 5, a1);
    expect(done!.get(0)).toBe(f0);
    expect(done!.get(1)).toBe(a1);
  });

  it('reset() with no pending checkpoint and an iterable of actors', () => {
    const t = new CheckpointTracker([0, 1]);
    t.finished(0, snap());
    t.finished(1, snap());
    t.reset(new Set([0, 1]));
    expect(t.finalSnapshots().size).toBe(0);
    expect(t.inFlight).toBeUndefined();
  });

  it('begin() while a checkpoint is pending is a bug', () => {
    const t = new CheckpointTracker([0]);
    t.begin(1, 0);
    expect(() => t.begin(2, 0)).toThrow(/^bug: checkpoint 2 begun while 1 is pending$/);
    expect(t.inFlight?.id).toBe(1); // the pending one is untouched
    t.abort();
    expect(() => t.begin(2, 0)).not.toThrow();
  });

  type Event = { kind: 'ack'; actor: number; stale: boolean } | { kind: 'finish'; actor: number };

  it('property: completes exactly when the last required actor reports, with one snapshot per actor (ack, else final)', () => {
    const arb = fc
      .integer({ min: 1, max: 6 })
      .chain((n) =>
        fc.record({
          n: fc.constant(n),
          // per actor: 0 = ack only, 1 = finish only, 2 = both
          reports: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n }),
          // noise: stale acks (of another checkpoint id)
          stale: fc.array(fc.integer({ min: 0, max: n - 1 }), { maxLength: 6 }),
          order: fc.array(fc.nat(), { minLength: 3 * n + 6, maxLength: 3 * n + 6 }),
          // how many of the events happen before begin()
          beforeBegin: fc.nat(),
        }),
      );
    fc.assert(
      fc.property(arb, ({ n, reports, stale, order, beforeBegin }) => {
        const events: Event[] = [];
        reports.forEach((r, actor) => {
          if (r !== 1) events.push({ kind: 'ack', actor, stale: false });
          if (r !== 0) events.push({ kind: 'finish', actor });
        });
        for (const actor of stale) events.push({ kind: 'ack', actor, stale: true });
        // a random permutation, driven by `order`
        const perm = events.map((e, i) => ({ e, k: order[i] ?? 0, i })).sort((a, b) => a.k - b.k || a.i - b.i).map((x) => x.e);
        const split = beforeBegin % (perm.length + 1);

        const actors = Array.from({ length: n }, (_, i) => i);
        const t = new CheckpointTracker(actors);
        const ID = 10;
        const acked = new Map<number, Uint8Array>();
        const finals = new Map<number, Uint8Array>();
        let begun = false;
        let completedAt = -1;
        let result: Map<number, Uint8Array> | undefined;

        const run = (e: Event, index: number) => {
          const s = snap();
          let r: Map<number, Uint8Array> | undefined;
          if (e.kind === 'ack') {
            r = t.ack(e.actor, e.stale ? ID - 1 : ID, s);
            if (begun && completedAt < 0 && !e.stale) acked.set(e.actor, s);
          } else {
            r = t.finished(e.actor, s);
            finals.set(e.actor, s);
          }
          // a stale ack never completes anything; any other report completes once all are covered
          const covered = actors.every((a) => acked.has(a) || finals.has(a));
          if (begun && completedAt < 0 && !(e.kind === 'ack' && e.stale) && covered) {
            expect(r).toBeDefined();
            completedAt = index;
            result = r;
          } else {
            expect(r).toBeUndefined();
          }
        };

        perm.slice(0, split).forEach((e, i) => run(e, i));
        t.begin(ID, 0);
        begun = true;
        perm.slice(split).forEach((e, i) => run(e, split + i));

        const covered = actors.every((a) => acked.has(a) || finals.has(a));
        if (completedAt >= 0) {
          expect(t.inFlight).toBeUndefined();
          expect(result!.size).toBe(n);
          for (const a of actors) expect(result!.get(a)).toBe(acked.get(a) ?? finals.get(a));
        } else {
          expect(t.inFlight?.id).toBe(ID);
          // Not completed: someone has not reported, or every actor had already finished
          // before begin() and no report came after it (begin() itself never completes).
          if (covered) expect(actors.every((a) => finals.has(a)) && acked.size === 0).toBe(true);
        }
        expect(t.allFinished()).toBe(actors.every((a) => finals.has(a)));
      }),
      { numRuns: 300 },
    );
  });
});
