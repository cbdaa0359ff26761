/**
 * Keyed state of one operator instance, as Flink's keyed state backend:
 * value, map and list state, each scoped to the record's key, stored by key
 * group so a snapshot can be split by key-group range when restoring at
 * another parallelism. Lives on the heap; snapshots are plain data that the
 * runtime msgpack-encodes.
 */
import { hashKey, stateKey, type Key } from '../key-groups.js';

export interface ValueState<T> {
  /** The value for the current key, or the default. */
  get(): T | undefined;
  set(value: T): void;
  clear(): void;
}

export interface MapState<K extends Key, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): void;
  delete(key: K): void;
  has(key: K): boolean;
  entries(): [K, V][];
  clear(): void;
}

export interface ListState<T> {
  get(): T[];
  add(value: T): void;
  clear(): void;
}

/** Accessors handed to user functions (`ctx.state`). */
export interface KeyedStateAccess {
  value<T>(name: string, defaultValue?: T): ValueState<T>;
  map<K extends Key, V>(name: string): MapState<K, V>;
  list<T>(name: string): ListState<T>;
}

type Kind = 'value' | 'map' | 'list';

/** One entry of one state for one key: the key itself is kept to restore it. */
interface Slot {
  key: Key;
  value: unknown;
}

/** Snapshot form: [keyGroup, [stateName, kind, [key, value][]][]][] */
export type KeyedSnapshot = [number, [string, Kind, [Key, unknown][]][]][];

/**
 * Hot path: a keyed `process` calls setCurrentKey and then usually reads and
 * writes one value state per record. Accessors are created once per state
 * name (not per call), the key is hashed without building its text (see
 * key-groups.ts), and the slot found by a read is remembered until the key
 * changes, so the write that follows needs no lookup and no allocation.
 */
export class KeyedStateStore implements KeyedStateAccess {
  /** keyGroup -> state name -> key (stateKey) -> slot */
  private readonly groups = new Map<number, Map<string, Map<Key, Slot>>>();
  private readonly kinds = new Map<string, Kind>();
  private readonly accessors = new Map<string, ValueAccessor<unknown> | MapAccessor<Key, unknown> | ListAccessor<unknown>>();
  private current: Key | undefined;
  private currentKey: Key = '';
  private currentGroup = -1;
  /** The last slot found, for state `cachedName` of the current key. */
  private cachedName: string | undefined;
  private cachedSlot: Slot | undefined;

  constructor(private readonly maxParallelism: number) {}

  /** Set by the operator shell before each record of a keyed stream. */
  setCurrentKey(key: Key): void {
    this.current = key;
    this.currentKey = stateKey(key);
    this.currentGroup = hashKey(key) % this.maxParallelism;
    this.cachedName = undefined;
  }

  private kind(name: string, kind: Kind): void {
    const known = this.kinds.get(name);
    if (known === undefined) this.kinds.set(name, kind);
    else if (known !== kind) throw new Error(`state '${name}' is a ${known} state, used here as ${kind} state. Fix: use one kind per state name`);
  }

  /** The current key's slot of state `name`; created (value undefined) when `create`. */
  slot(name: string, create: boolean): Slot | undefined {
    if (this.cachedName === name) return this.cachedSlot;
    if (this.current === undefined) throw new Error(`keyed state '${name}' used outside a keyed stream. Fix: keyBy(...) before this operator`);
    let g = this.groups.get(this.currentGroup);
    if (!g) {
      if (!create) return undefined;
      g = new Map();
      this.groups.set(this.currentGroup, g);
    }
    let s = g.get(name);
    if (!s) {
      if (!create) return undefined;
      s = new Map();
      g.set(name, s);
    }
    let slot = s.get(this.currentKey);
    if (!slot) {
      if (!create) return undefined;
      slot = { key: this.current, value: undefined };
      s.set(this.currentKey, slot);
    }
    this.cachedName = name;
    this.cachedSlot = slot;
    return slot;
  }

  remove(name: string): void {
    if (this.current === undefined) throw new Error(`keyed state '${name}' used outside a keyed stream. Fix: keyBy(...) before this operator`);
    this.groups.get(this.currentGroup)?.get(name)?.delete(this.currentKey);
    if (this.cachedName === name) this.cachedName = undefined;
  }

  value<T>(name: string, defaultValue?: T): ValueState<T> {
    const a = this.accessors.get(name);
    if (a instanceof ValueAccessor && a.defaultValue === defaultValue) return a as ValueAccessor<T>;
    this.kind(name, 'value');
    const created = new ValueAccessor<T>(this, name, defaultValue);
    if (!a) this.accessors.set(name, created as ValueAccessor<unknown>);
    return created;
  }

  map<K extends Key, V>(name: string): MapState<K, V> {
    const a = this.accessors.get(name);
    if (a instanceof MapAccessor) return a as unknown as MapAccessor<K, V>;
    this.kind(name, 'map');
    const created = new MapAccessor<K, V>(this, name);
    this.accessors.set(name, created as unknown as MapAccessor<Key, unknown>);
    return created;
  }

  list<T>(name: string): ListState<T> {
    const a = this.accessors.get(name);
    if (a instanceof ListAccessor) return a as ListAccessor<T>;
    this.kind(name, 'list');
    const created = new ListAccessor<T>(this, name);
    this.accessors.set(name, created as ListAccessor<unknown>);
    return created;
  }

  /** Number of keys with any state (for metrics). */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) for (const s of g.values()) n += s.size;
    return n;
  }

  snapshot(): KeyedSnapshot {
    const out: KeyedSnapshot = [];
    for (const [kg, states] of this.groups) {
      const ss: [string, Kind, [Key, unknown][]][] = [];
      for (const [name, slots] of states) {
        if (slots.size === 0) continue;
        const kind = this.kinds.get(name)!;
        ss.push([name, kind, [...slots.values()].map((s) => [s.key, kind === 'map' ? [...(s.value as Map<unknown, unknown>)] : s.value])]);
      }
      if (ss.length) out.push([kg, ss]);
    }
    return out;
  }

  /** Load the key groups in [start, end) from any number of snapshots (rescaling merges several). */
  restore(snapshots: KeyedSnapshot[], range: [number, number]): void {
    this.groups.clear();
    this.cachedName = undefined;
    for (const snap of snapshots) {
      for (const [kg, states] of snap) {
        if (kg < range[0] || kg >= range[1]) continue;
        let g = this.groups.get(kg);
        if (!g) this.groups.set(kg, (g = new Map()));
        for (const [name, kind, entries] of states) {
          this.kinds.set(name, kind);
          let s = g.get(name);
          if (!s) g.set(name, (s = new Map()));
          for (const [key, value] of entries) s.set(stateKey(key), { key, value: kind === 'map' ? new Map(value as [unknown, unknown][]) : value });
        }
      }
    }
  }
}

/** A stored null or undefined is a value; only a key without an entry falls back to the default. */
class ValueAccessor<T> implements ValueState<T> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly name: string,
    readonly defaultValue: T | undefined,
  ) {}
  get(): T | undefined {
    const s = this.store.slot(this.name, false);
    return s ? (s.value as T) : this.defaultValue;
  }
  set(value: T): void {
    this.store.slot(this.name, true)!.value = value;
  }
  clear(): void {
    this.store.remove(this.name);
  }
}

class MapAccessor<K extends Key, V> implements MapState<K, V> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly name: string,
  ) {}
  private cur(): Map<K, V> | undefined {
    return this.store.slot(this.name, false)?.value as Map<K, V> | undefined;
  }
  private ensure(): Map<K, V> {
    const s = this.store.slot(this.name, true)!;
    return (s.value ??= new Map<K, V>()) as Map<K, V>;
  }
  get(k: K): V | undefined {
    return this.cur()?.get(k);
  }
  has(k: K): boolean {
    return this.cur()?.has(k) ?? false;
  }
  set(k: K, v: V): void {
    this.ensure().set(k, v);
  }
  delete(k: K): void {
    this.cur()?.delete(k);
  }
  entries(): [K, V][] {
    return [...(this.cur()?.entries() ?? [])];
  }
  clear(): void {
    this.store.remove(this.name);
  }
}

class ListAccessor<T> implements ListState<T> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly name: string,
  ) {}
  get(): T[] {
    return ((this.store.slot(this.name, false)?.value as T[] | undefined) ?? []).slice();
  }
  add(v: T): void {
    const s = this.store.slot(this.name, true)!;
    if (s.value) (s.value as T[]).push(v);
    else s.value = [v];
  }
  clear(): void {
    this.store.remove(this.name);
  }
}
