import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKey, instanceForKey, instanceForKeyGroup, keyGroupOf, keyGroupRange } from '../../actors/key-groups.js';

describe('key groups', () => {
  it('hashes equal keys equally and distinguishes types', () => {
    expect(hashKey('a')).toBe(hashKey('a'));
    expect(hashKey(1)).toBe(hashKey(1n)); // integral numbers and bigints of equal value are one key
    expect(hashKey('1')).not.toBe(hashKey(1));
    expect(hashKey(true)).not.toBe(hashKey('t'));
  });

  it('refuses keys that are not primitives, with a fix', () => {
    expect(() => hashKey({ a: 1 })).toThrow(/keyBy selector returned a object; keys must be string, number, boolean or bigint. Fix:/);
    expect(() => hashKey(null)).toThrow(/returned a null/);
  });

  it('key group ranges partition [0, maxParallelism) and agree with instanceForKeyGroup', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 512 }), fc.integer({ min: 1, max: 64 }), (maxP, p0) => {
        const p = Math.min(p0, maxP);
        let next = 0;
        for (let i = 0; i < p; i++) {
          const [s, e] = keyGroupRange(i, maxP, p);
          expect(s).toBe(next);
          for (let kg = s; kg < e; kg++) expect(instanceForKeyGroup(kg, maxP, p)).toBe(i);
          next = e;
        }
        expect(next).toBe(maxP);
      }),
    );
  });

  it('spreads keys over instances', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[instanceForKey(`user-${i}`, 128, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(700);
    expect(keyGroupOf('x', 128)).toBeLessThan(128);
  });
});
