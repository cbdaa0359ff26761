/** State TTL: values expire by processing time, are cleaned incrementally, and expired ones are not checkpointed. */
import { describe, expect, it } from 'vitest';
import { KeyedStateStore } from '../../../actors/state/keyed-state.js';

function store() {
  const clock = { t: 1000, now: () => clock.t };
  return { s: new KeyedStateStore(16, clock), clock };
}

describe('value state with ttl', () => {
  it('reads the value until ttl ms after its last write, then the default', () => {
    const { s, clock } = store();
    const v = s.value<number>('last', { ttl: 100, default: -1 });
    s.setCurrentKey('a');
    expect(v.get()).toBe(-1);
    v.set(5);
    clock.t += 99;
    expect(v.get()).toBe(5);
    v.set(6); // a write renews it
    clock.t += 99;
    expect(v.get()).toBe(6);
    clock.t += 1;
    expect(v.get()).toBe(-1);
  });

  it('cleans expired entries a few per access, in expiry order, without touching live ones', () => {
    const { s, clock } = store();
    const v = s.value<number>('x', { ttl: 10 });
    for (let k = 0; k < 100; k++) {
      s.setCurrentKey(k);
      v.set(k);
    }
    expect(s.size).toBe(100);
    clock.t += 5;
    s.setCurrentKey('live');
    v.set(1);
    clock.t += 6; // the first 100 expired, 'live' did not
    for (let i = 0; i < 60; i++) v.get();
    expect(s.size).toBe(1);
    expect(v.get()).toBe(1);
  });

  it('leaves expired values out of snapshots and restores expiry times', () => {
    const { s, clock } = store();
    const v = s.value<string>('x', { ttl: 10 });
    s.setCurrentKey('old');
    v.set('o');
    clock.t += 5;
    s.setCurrentKey('new');
    v.set('n');
    clock.t += 6;
    const snap = s.snapshot();
    expect(JSON.stringify(snap)).not.toContain('"o"');
    const { s: r, clock: c2 } = store();
    c2.t = clock.t;
    r.restore([snap], [0, 16]);
    const rv = r.value<string>('x', { ttl: 10 });
    r.setCurrentKey('new');
    expect(rv.get()).toBe('n');
    c2.t += 4;
    expect(rv.get()).toBeUndefined();
  });

  it('rejects a bad ttl naming the fix', () => {
    const { s } = store();
    expect(() => s.value('x', { ttl: 0 })).toThrow(/ttl 0.*Fix: give a positive number of ms/);
  });
});
