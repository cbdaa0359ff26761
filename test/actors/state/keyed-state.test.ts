import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, instanceForKey, keyGroupOf, keyGroupRange, type Key } from '../../../actors/key-groups.js';
import { KeyedStateStore, type KeyedSnapshot } from '../../../actors/state/keyed-state.js';
import { decodeSnapshot, encodeSnapshot } from '../../../runtime/channel/codec.js';

const MAXP = 128;
const ctx = { operator: 'test', instance: 0 };

/** Snapshot bytes as the runtime writes them, and back. */
const roundtrip = (s: KeyedSnapshot): KeyedSnapshot => decodeSnapshot(encodeSnapshot(s, ctx)) as KeyedSnapshot;

describe('KeyedStateStore: value state', () => {
  it('is scoped to the current key', () => {
    const st = new KeyedStateStore(MAXP);
    const v = st.value<number>('count');
    st.setCurrentKey('a');
    expect(v.get()).toBeUndefined();
    v.set(1);
    st.setCurrentKey('b');
    expect(v.get()).toBeUndefined();
    v.set(2);
    st.setCurrentKey('a');
    expect(v.get()).toBe(1);
    st.setCurrentKey('b');
    expect(v.get()).toBe(2);
  });

  it('returns the default until set, and again after clear', () => {
    const st = new KeyedStateStore(MAXP);
    st.setCurrentKey(7);
    const v = st.value('sum', 0);
    expect(v.get()).toBe(0);
    v.set(5);
    expect(v.get()).toBe(5);
    v.clear();
    expect(v.get()).toBe(0);
    expect(st.size).toBe(0);
  });

  it('two accessors of one name share the state; different names are independent', () => {
    const st = new KeyedStateStore(MAXP);
    st.setCurrentKey('k');
    st.value<string>('x').set('one');
    expect(st.value<string>('x').get()).toBe('one');
    expect(st.value<string>('y').get()).toBeUndefined();
  });

  it('keys of different types are different keys, but 1 and 1n are one key', () => {
    const st = new KeyedStateStore(MAXP);
    const v = st.value<string>('v');
    st.setCurrentKey('1');
    v.set('string');
    st.setCurrentKey(1);
    expect(v.get()).toBeUndefined();
    v.set('number');
    st.setCurrentKey(1n);
    expect(v.get()).toBe('number');
    st.setCurrentKey(true);
    expect(v.get()).toBeUndefined();
    st.setCurrentKey('1');
    expect(v.get()).toBe('string');
  });

  it('clear on a key without state is harmless', () => {
    const st = new KeyedStateStore(MAXP);
    st.setCurrentKey('nobody');
    expect(() => st.value('v').clear()).not.toThrow();
    expect(() => st.map('m').clear()).not.toThrow();
    expect(() => st.list('l').clear()).not.toThrow();
    expect(st.size).toBe(0);
  });
});

describe('KeyedStateStore: map state', () => {
  it('get/set/has/delete/entries per key', () => {
    const st = new KeyedStateStore(MAXP);
    const m = st.map<string, number>('m');
    st.setCurrentKey('a');
    expect(m.has('x')).toBe(false);
    expect(m.get('x')).toBeUndefined();
    expect(m.entries()).toEqual([]);
    m.set('x', 1);
    m.set('y', 2);
    m.set('x', 3);
    expect(m.get('x')).toBe(3);
    expect(m.has('y')).toBe(true);
    expect(m.entries()).toEqual([
      ['x', 3],
      ['y', 2],
    ]);
    st.setCurrentKey('b');
    expect(m.entries()).toEqual([]);
    expect(m.has('x')).toBe(false);
    m.set('x', 10);
    st.setCurrentKey('a');
    m.delete('y');
    expect(m.has('y')).toBe(false);
    expect(m.entries()).toEqual([['x', 3]]);
    m.delete('never-there');
    st.setCurrentKey('b');
    expect(m.get('x')).toBe(10);
  });

  it('entries() is a copy: changing it does not change the state', () => {
    const st = new KeyedStateStore(MAXP);
    const m = st.map<number, string>('m');
    st.setCurrentKey('k');
    m.set(1, 'a');
    const e = m.entries();
    e.push([2, 'b']);
    e[0][1] = 'changed';
    expect(m.entries()).toEqual([[1, 'a']]);
  });

  it('clear removes the whole map of the current key only', () => {
    const st = new KeyedStateStore(MAXP);
    const m = st.map<string, number>('m');
    st.setCurrentKey('a');
    m.set('x', 1);
    st.setCurrentKey('b');
    m.set('x', 2);
    m.clear();
    expect(m.entries()).toEqual([]);
    st.setCurrentKey('a');
    expect(m.get('x')).toBe(1);
    expect(st.size).toBe(1);
  });
});

describe('KeyedStateStore: list state', () => {
  it('add/get per key, in insertion order', () => {
    const st = new KeyedStateStore(MAXP);
    const l = st.list<number>('l');
    st.setCurrentKey('a');
    expect(l.get()).toEqual([]);
    l.add(1);
    l.add(2);
    st.setCurrentKey('b');
    l.add(9);
    st.setCurrentKey('a');
    l.add(3);
    expect(l.get()).toEqual([1, 2, 3]);
    st.setCurrentKey('b');
    expect(l.get()).toEqual([9]);
  });

  it('get() is a copy', () => {
    const st = new KeyedStateStore(MAXP);
    const l = st.list<string>('l');
    st.setCurrentKey('a');
    l.add('x');
    const got = l.get();
    got.push('y');
    got[0] = 'z';
    expect(l.get()).toEqual(['x']);
  });

  it('clear empties the list of the current key', () => {
    const st = new KeyedStateStore(MAXP);
    const l = st.list<number>('l');
    st.setCurrentKey('a');
    l.add(1);
    l.clear();
    expect(l.get()).toEqual([]);
    l.add(2);
    expect(l.get()).toEqual([2]);
  });
});

describe('KeyedStateStore: misuse', () => {
  it('one state name cannot be used as two kinds, with a clear error', () => {
    const st = new KeyedStateStore(MAXP);
    st.setCurrentKey('a');
    st.value<number>('s').set(1);
    expect(() => st.map<string, number>('s').set('x', 1)).toThrow("state 's' is a value state, used here as map state. Fix: use one kind per state name");
    expect(() => st.list<number>('s').get()).toThrow(/state 's' is a value state, used here as list state/);
    // also for another key: kinds are per name, not per key
    st.setCurrentKey('b');
    expect(() => st.list<number>('s').add(1)).toThrow(/is a value state, used here as list state/);

    const st2 = new KeyedStateStore(MAXP);
    st2.setCurrentKey('a');
    st2.list<number>('l').add(1);
    expect(() => st2.value('l').get()).toThrow(/state 'l' is a list state, used here as value state/);
    st2.map<string, number>('m').set('k', 1);
    expect(() => st2.list('m').get()).toThrow(/state 'm' is a map state, used here as list state/);
    // the original state is intact
    expect(st2.list<number>('l').get()).toEqual([1]);
    expect(st2.map<string, number>('m').get('k')).toBe(1);
  });

  it('the kind of a name survives a snapshot and restore', () => {
    const st = new KeyedStateStore(MAXP);
    st.setCurrentKey('a');
    st.map<string, number>('m').set('x', 1);
    const restored = new KeyedStateStore(MAXP);
    restored.restore([roundtrip(st.snapshot())], [0, MAXP]);
    restored.setCurrentKey('a');
    expect(() => restored.value('m').get()).toThrow(/state 'm' is a map state, used here as value state/);
  });

  it('using state outside a keyed stream is an error that says how to fix it', () => {
    const st = new KeyedStateStore(MAXP);
    expect(() => st.value('v').get()).toThrow("keyed state 'v' used outside a keyed stream. Fix: keyBy(...) before this operator");
    expect(() => st.value('v').set(1)).toThrow(/outside a keyed stream/);
    expect(() => st.map('m').set('a', 1)).toThrow(/keyed state 'm' used outside a keyed stream/);
    expect(() => st.map('m').entries()).toThrow(/outside a keyed stream/);
    expect(() => st.list('l').add(1)).toThrow(/keyed state 'l' used outside a keyed stream/);
    expect(st.size).toBe(0);
  });
});

describe('KeyedStateStore: snapshot and restore', () => {
  function filled(): KeyedStateStore {
    const st = new KeyedStateStore(MAXP);
    const v = st.value<{ n: number; tags: string[] }>('v');
    const m = st.map<Key, number>('m');
    const l = st.list<string>('l');
    st.setCurrentKey('alice');
    v.set({ n: 1, tags: ['a'] });
    m.set('x', 1);
    m.set(2, 20);
    l.add('a1');
    st.setCurrentKey(42);
    v.set({ n: 42, tags: [] });
    l.add('f1');
    l.add('f2');
    st.setCurrentKey(9007199254740993n); // beyond safe integers: a bigint key
    m.set(true, 5);
    st.setCurrentKey(false);
    v.set({ n: 0, tags: ['z'] });
    return st;
  }

  function expectFilled(st: KeyedStateStore): void {
    const v = st.value<{ n: number; tags: string[] }>('v');
    const m = st.map<Key, number>('m');
    const l = st.list<string>('l');
    st.setCurrentKey('alice');
    expect(v.get()).toEqual({ n: 1, tags: ['a'] });
    expect(m.entries()).toEqual([
      ['x', 1],
      [2, 20],
    ]);
    expect(m.get(2)).toBe(20);
    expect(m.get('2' as Key)).toBeUndefined();
    expect(l.get()).toEqual(['a1']);
    st.setCurrentKey(42);
    expect(v.get()).toEqual({ n: 42, tags: [] });
    expect(m.entries()).toEqual([]);
    expect(l.get()).toEqual(['f1', 'f2']);
    st.setCurrentKey(9007199254740993n);
    expect(m.get(true)).toBe(5);
    expect(v.get()).toBeUndefined();
    st.setCurrentKey(false);
    expect(v.get()).toEqual({ n: 0, tags: ['z'] });
    expect(st.size).toBe(7);
  }

  it('roundtrips value, map and list state through msgpack', () => {
    const st = filled();
    expectFilled(st);
    const bytes = encodeSnapshot(st.snapshot(), ctx);
    expect(bytes).toBeInstanceOf(Uint8Array);
    const restored = new KeyedStateStore(MAXP);
    restored.restore([decodeSnapshot(bytes) as KeyedSnapshot], [0, MAXP]);
    expectFilled(restored);
    // and the restored state snapshots to the same content
    expect(roundtrip(restored.snapshot())).toEqual(roundtrip(st.snapshot()));
  });

  it('a restored map state is a live map again (set/delete work)', () => {
    const st = filled();
    const restored = new KeyedStateStore(MAXP);
    restored.restore([roundtrip(st.snapshot())], [0, MAXP]);
    const m = restored.map<Key, number>('m');
    restored.setCurrentKey('alice');
    m.set('y', 3);
    m.delete('x');
    expect(m.entries()).toEqual([
      [2, 20],
      ['y', 3],
    ]);
  });

  it('a restored list state can be appended to', () => {
    const restored = new KeyedStateStore(MAXP);
    restored.restore([roundtrip(filled().snapshot())], [0, MAXP]);
    restored.setCurrentKey(42);
    restored.list<string>('l').add('f3');
    expect(restored.list<string>('l').get()).toEqual(['f1', 'f2', 'f3']);
  });

  it('the snapshot groups state by key group and leaves out cleared state', () => {
    const st = new KeyedStateStore(MAXP);
    st.setCurrentKey('a');
    st.value('v').set(1);
    st.setCurrentKey('b');
    st.value('v').set(2);
    st.value('v').clear();
    const snap = st.snapshot();
    expect(snap).toEqual([[keyGroupOf('a', MAXP), [['v', 'value', [['a', 1]]]]]]);
    const empty = new KeyedStateStore(MAXP);
    expect(empty.snapshot()).toEqual([]);
  });

  it('an encoded snapshot does not change when the state changes afterwards', () => {
    const st = new KeyedStateStore(MAXP);
    st.setCurrentKey('k');
    st.list<number>('l').add(1);
    st.map<string, number>('m').set('a', 1);
    const bytes = encodeSnapshot(st.snapshot(), ctx);
    st.list<number>('l').add(2);
    st.map<string, number>('m').set('a', 2);
    const restored = new KeyedStateStore(MAXP);
    restored.restore([decodeSnapshot(bytes) as KeyedSnapshot], [0, MAXP]);
    restored.setCurrentKey('k');
    expect(restored.list<number>('l').get()).toEqual([1]);
    expect(restored.map<string, number>('m').get('a')).toBe(1);
  });

  it('restore replaces what the store held before', () => {
    const st = new KeyedStateStore(MAXP);
    st.setCurrentKey('old');
    st.value('v').set('stale');
    const other = new KeyedStateStore(MAXP);
    other.setCurrentKey('new');
    other.value('v').set('fresh');
    st.restore([roundtrip(other.snapshot())], [0, MAXP]);
    st.setCurrentKey('old');
    expect(st.value('v').get()).toBeUndefined();
    st.setCurrentKey('new');
    expect(st.value('v').get()).toBe('fresh');
    expect(st.size).toBe(1);
  });

  it('restore keeps only the key groups of the given range', () => {
    const st = new KeyedStateStore(MAXP);
    const keys = Array.from({ length: 200 }, (_, i) => `k${i}`);
    for (const k of keys) {
      st.setCurrentKey(k);
      st.value<string>('v').set(k);
    }
    const snap = roundtrip(st.snapshot());
    const range: [number, number] = [10, 50];
    const part = new KeyedStateStore(MAXP);
    part.restore([snap], range);
    let inRange = 0;
    for (const k of keys) {
      part.setCurrentKey(k);
      const kg = keyGroupOf(k, MAXP);
      if (kg >= 10 && kg < 50) {
        inRange++;
        expect(part.value('v').get()).toBe(k);
      } else {
        expect(part.value('v').get()).toBeUndefined();
      }
    }
    expect(part.size).toBe(inRange);
    expect(inRange).toBeGreaterThan(0);
    expect(inRange).toBeLessThan(keys.length);
  });

  it('restore merges several snapshots (a scale-in)', () => {
    const a = new KeyedStateStore(MAXP);
    a.setCurrentKey('x');
    a.list<number>('l').add(1);
    const b = new KeyedStateStore(MAXP);
    b.setCurrentKey('y');
    b.list<number>('l').add(2);
    const merged = new KeyedStateStore(MAXP);
    merged.restore([roundtrip(a.snapshot()), roundtrip(b.snapshot())], [0, MAXP]);
    merged.setCurrentKey('x');
    expect(merged.list<number>('l').get()).toEqual([1]);
    merged.setCurrentKey('y');
    expect(merged.list<number>('l').get()).toEqual([2]);
  });

  it('restore of no snapshots leaves an empty store', () => {
    const st = filled();
    st.restore([], [0, MAXP]);
    expect(st.size).toBe(0);
    expect(st.snapshot()).toEqual([]);
  });
});

describe('KeyedStateStore: rescaling (property)', () => {
  const keyArb: fc.Arbitrary<Key> = fc.oneof(
    fc.string({ maxLength: 8 }),
    fc.integer({ min: -1000, max: 1000 }),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Number.isInteger(d)),
    fc.boolean(),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  );
  const entryArb = fc.record({
    key: keyArb,
    value: fc.option(fc.integer(), { nil: undefined }),
    map: fc.array(fc.tuple(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), fc.string({ maxLength: 6 })), { maxLength: 4 }),
    list: fc.array(fc.integer(), { maxLength: 4 }),
  });

  it('state snapshotted at parallelism p1 and restored at p2 lands, intact, on exactly the instance that owns each key', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(entryArb, { maxLength: 40, selector: (e) => canonical(e.key) }),
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 8 }),
        (entries, maxP, p1raw, p2raw) => {
          const p1 = Math.min(p1raw, maxP);
          const p2 = Math.min(p2raw, maxP);
          const before = Array.from({ length: p1 }, () => new KeyedStateStore(maxP));
          let slots = 0;
          for (const e of entries) {
            const st = before[instanceForKey(e.key, maxP, p1)];
            st.setCurrentKey(e.key);
            if (e.value !== undefined) {
              st.value<number>('v').set(e.value);
              slots++;
            }
            for (const [k, v] of e.map) st.map<string | number, string>('m').set(k, v);
            if (e.map.length) slots++;
            for (const x of e.list) st.list<number>('l').add(x);
            if (e.list.length) slots++;
          }
          expect(before.reduce((n, s) => n + s.size, 0)).toBe(slots);

          const snaps = before.map((s, i) => decodeSnapshot(encodeSnapshot(s.snapshot(), { operator: 'op', instance: i })) as KeyedSnapshot);
          const after = Array.from({ length: p2 }, (_, i) => {
            const st = new KeyedStateStore(maxP);
            st.restore(snaps, keyGroupRange(i, maxP, p2));
            return st;
          });
          expect(after.reduce((n, s) => n + s.size, 0)).toBe(slots);

          for (const e of entries) {
            const owner = instanceForKey(e.key, maxP, p2);
            const expectedMap = new Map<string, [string | number, string]>();
            for (const [k, v] of e.map) expectedMap.set(canonical(k), [k, v]);
            after.forEach((st, i) => {
              st.setCurrentKey(e.key);
              const v = st.value<number>('v').get();
              const m = st.map<string | number, string>('m');
              const l = st.list<number>('l').get();
              if (i === owner) {
                expect(v).toBe(e.value);
                expect(m.entries()).toEqual([...expectedMap.values()]);
                for (const [k, val] of expectedMap.values()) expect(m.get(k)).toBe(val);
                expect(l).toEqual(e.list);
              } else {
                expect(v).toBeUndefined();
                expect(m.entries()).toEqual([]);
                expect(l).toEqual([]);
              }
            });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
