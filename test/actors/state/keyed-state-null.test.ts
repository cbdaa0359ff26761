// Regression (was a bug, fixed): a value state set to null reads back as null.
//
// actors/state/keyed-state.ts, value() (line 100):
//   get: () => (this.read(name, 'value') as T | undefined) ?? defaultValue,
// `??` treats a stored null like "no value": a ValueState that was explicitly set to null
// reads back as the default (or undefined), so `set(x); get() === x` does not hold for null.
// E.g. value<number | null>('lastSeen', 0).set(null) reads 0. The same happens after a
// checkpoint restore. Fix: tell "absent" from "null" by the slot's presence
// (e.g. `const slot = ...get(this.currentCanon); return slot ? slot.value : defaultValue`).
import { describe, expect, it } from 'vitest';
import { KeyedStateStore, type KeyedSnapshot } from '../../../actors/state/keyed-state.js';
import { decodeSnapshot, encodeSnapshot } from '../../../runtime/channel/codec.js';

describe('ValueState holding null', () => {
  it('reads back the null it stored, not the default', () => {
    const st = new KeyedStateStore(128);
    st.setCurrentKey('k');
    const v = st.value<number | null>('last', 0);
    v.set(null);
    expect(v.get()).toBeNull(); // fails: 0
  });

  it('without a default, reads null rather than undefined', () => {
    const st = new KeyedStateStore(128);
    st.setCurrentKey('k');
    st.value<string | null>('s').set(null);
    expect(st.value<string | null>('s').get()).toBeNull(); // fails: undefined
  });

  it('keeps null across a snapshot and restore', () => {
    const st = new KeyedStateStore(128);
    st.setCurrentKey('k');
    st.value<number | null>('last', 0).set(null);
    const restored = new KeyedStateStore(128);
    restored.restore([decodeSnapshot(encodeSnapshot(st.snapshot(), { operator: 'o', instance: 0 })) as KeyedSnapshot], [0, 128]);
    restored.setCurrentKey('k');
    expect(restored.value<number | null>('last', 0).get()).toBeNull(); // fails: 0
  });
});
