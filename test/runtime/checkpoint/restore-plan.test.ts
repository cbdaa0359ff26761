import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blobName, restoreSet, type CheckpointData } from '../../../runtime/checkpoint/restore-plan.js';
import type { ActorPlan } from '../../../runtime/plan/plan.js';

/** The actors of operators `ops` (name -> parallelism), with dense ids in order. */
function actorsOf(ops: Record<string, number>): ActorPlan[] {
  const out: ActorPlan[] = [];
  for (const [operator, parallelism] of Object.entries(ops)) {
    for (let instance = 0; instance < parallelism; instance++) {
      out.push({ id: out.length, operator, kind: 'map', instance, parallelism, worker: 0, region: 0, inputs: [], outputs: [] });
    }
  }
  return out;
}

/** A checkpoint taken at `ops` parallelism, each blob holding [operator index, instance]. */
function checkpointOf(ops: Record<string, number>, id = 1): CheckpointData {
  const blobs = new Map<string, Uint8Array>();
  Object.entries(ops).forEach(([operator, p], o) => {
    for (let i = 0; i < p; i++) blobs.set(blobName(operator, i), new Uint8Array([o, i]));
  });
  return { id, parallelism: { ...ops }, blobs };
}

describe('blobName', () => {
  it('is operator/instance', () => {
    expect(blobName('map-1', 0)).toBe('map-1/0');
    expect(blobName('sum', 12)).toBe('sum/12');
  });

  it('distinguishes every (operator, instance) pair of one job', () => {
    const names = new Set<string>();
    for (const op of ['a', 'b', 'a-b']) for (let i = 0; i < 20; i++) names.add(blobName(op, i));
    expect(names.size).toBe(60);
  });
});

describe('restoreSet', () => {
  it('no checkpoint: nothing to restore', () => {
    expect(restoreSet(undefined, actorsOf({ src: 2, map: 3 }))).toEqual({});
  });

  it('same parallelism: every actor gets exactly its own instance blob', () => {
    const cp = checkpointOf({ src: 2, map: 3 });
    const actors = actorsOf({ src: 2, map: 3 });
    const rs = restoreSet(cp, actors);
    expect(Object.keys(rs).map(Number).sort((a, b) => a - b)).toEqual(actors.map((a) => a.id));
    for (const a of actors) {
      expect(rs[a.id]).toHaveLength(1);
      expect(rs[a.id][0]).toBe(cp.blobs.get(blobName(a.operator, a.instance)));
    }
  });

  it('rescale up or down: every actor of the operator gets every old blob, in instance order', () => {
    const cp = checkpointOf({ src: 1, sum: 3 });
    for (const p of [1, 2, 5]) {
      const actors = actorsOf({ src: 1, sum: p });
      const rs = restoreSet(cp, actors);
      for (const a of actors.filter((x) => x.operator === 'sum')) {
        expect(rs[a.id]).toEqual([0, 1, 2].map((i) => cp.blobs.get(`sum/${i}`)));
        expect(rs[a.id][0]).toBe(cp.blobs.get('sum/0'));
      }
      // the unchanged operator still gets its own blob only
      expect(rs[0]).toEqual([cp.blobs.get('src/0')]);
    }
  });

  it('operators missing from the checkpoint start empty (no entry at all)', () => {
    const cp = checkpointOf({ src: 1 });
    const actors = actorsOf({ src: 1, added: 2 });
    const rs = restoreSet(cp, actors);
    expect(Object.keys(rs)).toEqual(['0']);
    expect(rs[1]).toBeUndefined();
    expect(rs[2]).toBeUndefined();
  });

  it('checkpointed operators no longer in the plan are ignored', () => {
    const cp = checkpointOf({ src: 1, removed: 2 });
    const rs = restoreSet(cp, actorsOf({ src: 1 }));
    expect(rs).toEqual({ 0: [cp.blobs.get('src/0')] });
  });

  it('missing blobs are skipped; an actor with none gets no entry', () => {
    const cp = checkpointOf({ op: 3 });
    cp.blobs.delete('op/1');
    const same = restoreSet(cp, actorsOf({ op: 3 }));
    expect(same[0]).toEqual([cp.blobs.get('op/0')]);
    expect(same[1]).toBeUndefined();
    expect(1 in same).toBe(false);
    const rescaled = restoreSet(cp, actorsOf({ op: 2 }));
    expect(rescaled[0]).toEqual([cp.blobs.get('op/0'), cp.blobs.get('op/2')]);
    expect(rescaled[1]).toEqual([cp.blobs.get('op/0'), cp.blobs.get('op/2')]);
  });

  it('keys the result by actor id, not by instance', () => {
    const cp = checkpointOf({ a: 2, b: 2 });
    const actors = actorsOf({ a: 2, b: 2 });
    const rs = restoreSet(cp, actors);
    expect(rs[2]).toEqual([cp.blobs.get('b/0')]);
    expect(rs[3]).toEqual([cp.blobs.get('b/1')]);
  });

  it('property: the old blobs of an operator are restored exactly once at equal parallelism, and all of them to each actor otherwise', () => {
    const opsArb = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.integer({ min: 1, max: 6 }), { minKeys: 0, maxKeys: 4 });
    fc.assert(
      fc.property(opsArb, opsArb, (before, after) => {
        const cp = checkpointOf(before);
        const actors = actorsOf(after);
        const rs = restoreSet(cp, actors);
        for (const a of actors) {
          const oldP = before[a.operator];
          if (oldP === undefined) {
            expect(rs[a.id]).toBeUndefined();
          } else if (oldP === a.parallelism) {
            expect(rs[a.id]).toEqual([cp.blobs.get(blobName(a.operator, a.instance))]);
          } else {
            expect(rs[a.id]).toEqual(Array.from({ length: oldP }, (_, i) => cp.blobs.get(blobName(a.operator, i))));
          }
        }
        // nothing for ids that are not actors
        for (const k of Object.keys(rs)) expect(actors.some((a) => a.id === Number(k))).toBe(true);
        // at equal parallelism each old blob goes to exactly one actor
        for (const [op, p] of Object.entries(after)) {
          if (before[op] !== p) continue;
          const given = actors.filter((a) => a.operator === op).flatMap((a) => rs[a.id] ?? []);
          expect(new Set(given).size).toBe(p);
          expect(given).toHaveLength(p);
        }
      }),
    );
  });
});
