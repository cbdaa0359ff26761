/**
 * Keyed state of one operator instance, as Flink's keyed state backend:
 * value, map and list state, each scoped to the record's key, stored by key
 * group so a snapshot can be split by key-group range when restoring at
 * another parallelism. Lives on the heap; snapshots are plain data that the
 * runtime msgpack-encodes.
 */
import type { Clock } from '../contract.js';
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

/**
 * Options of a value state. `ttl`: the value expires this many ms of
 * processing time after it was last written (as Flink's StateTtlConfig with
 * OnCreateAndWrite and NeverReturnExpired): reads no longer see it, and
 * expired entries are removed incrementally (a few per access, in expiry
 * order) and left out of checkpoints, never by scanning all keys.
 */
export interface ValueStateOptions<T> {
  ttl?: number;
  default?: T;
}

/** Accessors handed to user functions (`ctx.state`). */
export interface KeyedStateAccess {
  /**
   * `value(name)`, `value(name, defaultValue)`, or `value(name, { ttl, default })`.
   * An object with only `ttl`/`default` keys is read as options: a default value of
   * that shape goes in `{ default: ... }`.
   */
  value<T>(name: string, defaultValue?: T | ValueStateOptions<T>): ValueState<T>;
  map<K extends Key, V>(name: string): MapState<K, V>;
  list<T>(name: string): ListState<T>;
}

/** 'ttl': a value state with expiry; each slot holds [value, expiresAt]. */
type Kind = 'value' | 'map' | 'list' | 'ttl';

/** One entry of one state for one key: the key itself is kept to restore it. */
interface Slot {
  key: Key;
  value: unknown;
}

/** Snapshot form: [keyGroup, [stateName, kind, [key, value][]][]][] */
export type KeyedSnapshot = [number, [string, Kind, [Key, unknown][]][]][];

/**
 * One named state of every key: a dense array indexed by key group (key
 * groups are 0 .. maxParallelism-1), each a map from the key (stateKey) to
 * its slot. The array lets a lookup skip a map, and lets a snapshot walk key
 * groups in order without sorting.
 */
class StateTable {
  readonly groups: (Map<Key, Slot> | undefined)[];
  /** TTL tables: [expiresAt, keyGroup, stateKey] in write order (expiry order, one ttl per table). */
  readonly expiry: [number, number, Key][] = [];
  expiryHead = 0;
  constructor(
    readonly name: string,
    readonly kind: Kind,
    maxParallelism: number,
  ) {
    this.groups = new Array<Map<Key, Slot> | undefined>(maxParallelism).fill(undefined);
  }
}

/**
 * Hot path: a keyed `process` calls setCurrentKey and then usually reads and
 * writes one value state per record. Accessors are created once per state
 * name (not per call) and hold their table, the key is hashed without
 * building its text (see key-groups.ts), a lookup is one array index and one
 * map get, and the slot found by a read is remembered until the key changes,
 * so the write that follows needs no lookup and no allocation.
 */
export class KeyedStateStore implements KeyedStateAccess {
  /** State name -> its table, in order of first use (the snapshot's order). */
  private readonly tables = new Map<string, StateTable>();
  private readonly accessors = new Map<string, ValueAccessor<unknown> | TtlAccessor<unknown> | MapAccessor<Key, unknown> | ListAccessor<unknown>>();
  private current: Key | undefined;
  private currentKey: Key = '';
  private currentGroup = -1;
  /** The last slot found, in table `cachedTable`, for the current key. */
  private cachedTable: StateTable | undefined;
  private cachedSlot: Slot | undefined;

  constructor(
    private readonly maxParallelism: number,
    /** Processing time, for state TTL. */
    readonly clock: Clock = { now: () => Date.now() },
  ) {}

  /** Set by the operator shell before each record of a keyed stream. */
  setCurrentKey(key: Key): void {
    this.current = key;
    this.currentKey = stateKey(key);
    this.currentGroup = hashKey(key) % this.maxParallelism;
    this.cachedTable = undefined;
  }

  /** The table of state `name`, created on first use; one kind per name. */
  table(name: string, kind: Kind): StateTable {
    const t = this.tables.get(name);
    if (t === undefined) {
      const created = new StateTable(name, kind, this.maxParallelism);
      this.tables.set(name, created);
      return created;
    }
    if (t.kind !== kind) throw new Error(`state '${name}' is a ${t.kind} state, used here as ${kind} state. Fix: use one kind per state name`);
    return t;
  }

  /** The current key's slot in `table`; created (value undefined) when `create`. */
  slot(table: StateTable, create: boolean): Slot | undefined {
    if (this.cachedTable === table) return this.cachedSlot;
    if (this.current === undefined) throw new Error(`keyed state '${table.name}' used outside a keyed stream. Fix: keyBy(...) before this operator`);
    let m = table.groups[this.currentGroup];
    let slot = m?.get(this.currentKey);
    if (slot === undefined) {
      if (!create) return undefined;
      if (m === undefined) table.groups[this.currentGroup] = m = new Map();
      slot = { key: this.current, value: undefined };
      m.set(this.currentKey, slot);
    }
    this.cachedTable = table;
    this.cachedSlot = slot;
    return slot;
  }

  remove(table: StateTable): void {
    if (this.current === undefined) throw new Error(`keyed state '${table.name}' used outside a keyed stream. Fix: keyBy(...) before this operator`);
    table.groups[this.currentGroup]?.delete(this.currentKey);
    if (this.cachedTable === table) this.cachedTable = undefined;
  }

  value<T>(name: string, defaultValue?: T | ValueStateOptions<T>): ValueState<T> {
    if (isOptions(defaultValue)) {
      const { ttl, default: dflt } = defaultValue;
      if (ttl === undefined) return this.value<T>(name, dflt);
      if (typeof ttl !== 'number' || !(ttl > 0)) throw new Error(`state '${name}' has ttl ${String(ttl)}. Fix: give a positive number of ms`);
      const a = this.accessors.get(name);
      if (a instanceof TtlAccessor && a.ttl === ttl && a.defaultValue === dflt) return a as TtlAccessor<T>;
      const created = new TtlAccessor<T>(this, this.table(name, 'ttl'), ttl, dflt);
      if (!a) this.accessors.set(name, created as never);
      return created;
    }
    const a = this.accessors.get(name);
    if (a instanceof ValueAccessor && a.defaultValue === defaultValue) return a as ValueAccessor<T>;
    const created = new ValueAccessor<T>(this, this.table(name, 'value'), defaultValue);
    if (!a) this.accessors.set(name, created as ValueAccessor<unknown>);
    return created;
  }

  map<K extends Key, V>(name: string): MapState<K, V> {
    const a = this.accessors.get(name);
    if (a instanceof MapAccessor) return a as unknown as MapAccessor<K, V>;
    const created = new MapAccessor<K, V>(this, this.table(name, 'map'));
    this.accessors.set(name, created as unknown as MapAccessor<Key, unknown>);
    return created;
  }

  list<T>(name: string): ListState<T> {
    const a = this.accessors.get(name);
    if (a instanceof ListAccessor) return a as ListAccessor<T>;
    const created = new ListAccessor<T>(this, this.table(name, 'list'));
    this.accessors.set(name, created as ListAccessor<unknown>);
    return created;
  }

  /** Current key's group and state key (for TTL bookkeeping). */
  get currentPosition(): [number, Key] {
    return [this.currentGroup, this.currentKey];
  }

  /** Drop up to `max` expired entries of a TTL table, oldest first; live ones re-written since are skipped. */
  expire(table: StateTable, now: number, max: number): void {
    const q = table.expiry;
    while (max-- > 0 && table.expiryHead < q.length && q[table.expiryHead][0] <= now) {
      const [, kg, sk] = q[table.expiryHead];
      q[table.expiryHead++] = undefined as never;
      const m = table.groups[kg];
      const slot = m?.get(sk);
      if (slot && (slot.value as [unknown, number])[1] <= now) {
        m!.delete(sk);
        if (this.cachedTable === table && this.cachedSlot === slot) this.cachedTable = undefined;
      }
    }
    if (table.expiryHead > 1024 && table.expiryHead * 2 > q.length) {
      q.splice(0, table.expiryHead);
      table.expiryHead = 0;
    }
  }

  /** Number of (state, key) entries (for metrics). */
  get size(): number {
    let n = 0;
    for (const t of this.tables.values()) for (const m of t.groups) if (m) n += m.size;
    return n;
  }

  /** Key groups in ascending order, each with its non-empty states in order of first use. */
  snapshot(): KeyedSnapshot {
    const out: KeyedSnapshot = [];
    const tables = [...this.tables.values()];
    const now = this.clock.now();
    for (let kg = 0; kg < this.maxParallelism; kg++) {
      let ss: [string, Kind, [Key, unknown][]][] | undefined;
      for (const t of tables) {
        const m = t.groups[kg];
        if (m === undefined || m.size === 0) continue;
        const entries: [Key, unknown][] = [];
        for (const s of m.values()) {
          if (t.kind === 'ttl' && (s.value as [unknown, number])[1] <= now) continue; // expired: not checkpointed
          entries.push([s.key, t.kind === 'map' ? [...(s.value as Map<unknown, unknown>)] : s.value]);
        }
        if (entries.length === 0) continue;
        (ss ??= []).push([t.name, t.kind, entries]);
      }
      if (ss) out.push([kg, ss]);
    }
    return out;
  }

  /** Load the key groups in [start, end) from any number of snapshots (rescaling merges several). */
  restore(snapshots: KeyedSnapshot[], range: [number, number]): void {
    for (const t of this.tables.values()) {
      t.groups.fill(undefined);
      t.expiry.length = 0;
      t.expiryHead = 0;
    }
    this.cachedTable = undefined;
    for (const snap of snapshots) {
      for (const [kg, states] of snap) {
        if (kg < range[0] || kg >= range[1]) continue;
        if (kg >= this.maxParallelism) throw new Error(`snapshot key group ${kg} is beyond maxParallelism ${this.maxParallelism}. Fix: restore with the maxParallelism the snapshot was taken with`);
        for (const [name, kind, entries] of states) {
          const t = this.table(name, kind);
          let m = t.groups[kg];
          if (m === undefined) t.groups[kg] = m = new Map();
          for (const [key, value] of entries) {
            m.set(stateKey(key), { key, value: kind === 'map' ? new Map(value as [unknown, unknown][]) : value });
            if (kind === 'ttl') t.expiry.push([(value as [unknown, number])[1], kg, stateKey(key)]);
          }
        }
      }
    }
    for (const t of this.tables.values()) if (t.kind === 'ttl') t.expiry.sort((a, b) => a[0] - b[0]);
  }
}

/** A stored null or undefined is a value; only a key without an entry falls back to the default. */
class ValueAccessor<T> implements ValueState<T> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly table: StateTable,
    readonly defaultValue: T | undefined,
  ) {}
  get(): T | undefined {
    const s = this.store.slot(this.table, false);
    return s ? (s.value as T) : this.defaultValue;
  }
  set(value: T): void {
    this.store.slot(this.table, true)!.value = value;
  }
  clear(): void {
    this.store.remove(this.table);
  }
}

function isOptions<T>(x: unknown): x is ValueStateOptions<T> {
  if (typeof x !== 'object' || x === null || Array.isArray(x) || !('ttl' in x)) return false;
  return Object.keys(x).every((k) => k === 'ttl' || k === 'default');
}

/** A value state whose entries expire `ttl` ms (processing time) after their last write. */
class TtlAccessor<T> implements ValueState<T> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly table: StateTable,
    readonly ttl: number,
    readonly defaultValue: T | undefined,
  ) {}
  get(): T | undefined {
    const now = this.store.clock.now();
    this.store.expire(this.table, now, 2);
    const s = this.store.slot(this.table, false);
    if (!s) return this.defaultValue;
    const [v, expiresAt] = s.value as [T, number];
    return expiresAt <= now ? this.defaultValue : v;
  }
  set(value: T): void {
    const now = this.store.clock.now();
    this.store.expire(this.table, now, 2);
    const expiresAt = now + this.ttl;
    this.store.slot(this.table, true)!.value = [value, expiresAt];
    const [kg, sk] = this.store.currentPosition;
    this.table.expiry.push([expiresAt, kg, sk]);
  }
  clear(): void {
    this.store.remove(this.table);
  }
}

class MapAccessor<K extends Key, V> implements MapState<K, V> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly table: StateTable,
  ) {}
  private cur(): Map<K, V> | undefined {
    return this.store.slot(this.table, false)?.value as Map<K, V> | undefined;
  }
  private ensure(): Map<K, V> {
    const s = this.store.slot(this.table, true)!;
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
  /** The key's last entry gone, the key has no map left (no empty map per key kept, checkpointed, restored). */
  delete(k: K): void {
    const m = this.cur();
    if (m !== undefined && m.delete(k) && m.size === 0) this.store.remove(this.table);
  }
  entries(): [K, V][] {
    return [...(this.cur()?.entries() ?? [])];
  }
  clear(): void {
    this.store.remove(this.table);
  }
}

class ListAccessor<T> implements ListState<T> {
  constructor(
    private readonly store: KeyedStateStore,
    private readonly table: StateTable,
  ) {}
  get(): T[] {
    return ((this.store.slot(this.table, false)?.value as T[] | undefined) ?? []).slice();
  }
  add(v: T): void {
    const s = this.store.slot(this.table, true)!;
    if (s.value) (s.value as T[]).push(v);
    else s.value = [v];
  }
  clear(): void {
    this.store.remove(this.table);
  }
}
