/**
 * Keyed state of one operator instance, as Flink's keyed state backend:
 * value, map and list state, each scoped to the record's key, stored by key
 * group so a snapshot can be split by key-group range when restoring at
 * another parallelism. Lives on the heap; snapshots are plain data that the
 * runtime msgpack-encodes.
 */
import { canonical, hashCanonical, type Key } from '../key-groups.js';

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

export class KeyedStateStore implements KeyedStateAccess {
  /** keyGroup -> state name -> canonical key -> slot */
  private readonly groups = new Map<number, Map<string, Map<string, Slot>>>();
  private readonly kinds = new Map<string, Kind>();
  private current: Key | undefined;
  private currentCanon = '';
  private currentGroup = -1;

  constructor(private readonly maxParallelism: number) {}

  /** Set by the operator shell before each record of a keyed stream. */
  setCurrentKey(key: Key): void {
    this.current = key;
    this.currentCanon = canonical(key);
    this.currentGroup = hashCanonical(this.currentCanon) % this.maxParallelism;
  }

  private slots(name: string, kind: Kind, create: boolean): Map<string, Slot> | undefined {
    const known = this.kinds.get(name);
    if (known === undefined) this.kinds.set(name, kind);
    else if (known !== kind) throw new Error(`state '${name}' is a ${known} state, used here as ${kind} state. Fix: use one kind per state name`);
    if (this.current === undefined) throw new Error(`keyed state '${name}' used outside a keyed stream. Fix: keyBy(...) before this operator`);
    let g = this.groups.get(this.currentGroup);
    if (!g) {
      if (!create) return undefined;
      g = new Map();
      this.groups.set(this.currentGroup, g);
    }
    let s = g.get(name);
    if (!s && create) {
      s = new Map();
      g.set(name, s);
    }
    return s;
  }

  private read(name: string, kind: Kind): unknown {
    return this.slots(name, kind, false)?.get(this.currentCanon)?.value;
  }

  private has(name: string, kind: Kind): boolean {
    return this.slots(name, kind, false)?.has(this.currentCanon) ?? false;
  }

  private write(name: string, kind: Kind, value: unknown): void {
    this.slots(name, kind, true)!.set(this.currentCanon, { key: this.current!, value });
  }

  private remove(name: string, kind: Kind): void {
    this.slots(name, kind, false)?.delete(this.currentCanon);
  }

  value<T>(name: string, defaultValue?: T): ValueState<T> {
    return {
      // A stored null or undefined is a value; only a key without an entry falls back to the default.
      get: () => (this.has(name, 'value') ? (this.read(name, 'value') as T) : defaultValue),
      set: (v) => this.write(name, 'value', v),
      clear: () => this.remove(name, 'value'),
    };
  }

  map<K extends Key, V>(name: string): MapState<K, V> {
    const cur = () => this.read(name, 'map') as Map<K, V> | undefined;
    const ensure = () => {
      let m = cur();
      if (!m) this.write(name, 'map', (m = new Map()));
      return m;
    };
    return {
      get: (k) => cur()?.get(k),
      has: (k) => cur()?.has(k) ?? false,
      set: (k, v) => void ensure().set(k, v),
      delete: (k) => void cur()?.delete(k),
      entries: () => [...(cur()?.entries() ?? [])],
      clear: () => this.remove(name, 'map'),
    };
  }

  list<T>(name: string): ListState<T> {
    return {
      get: () => ((this.read(name, 'list') as T[] | undefined) ?? []).slice(),
      add: (v) => {
        const cur = this.read(name, 'list') as T[] | undefined;
        if (cur) cur.push(v);
        else this.write(name, 'list', [v]);
      },
      clear: () => this.remove(name, 'list'),
    };
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
    for (const snap of snapshots) {
      for (const [kg, states] of snap) {
        if (kg < range[0] || kg >= range[1]) continue;
        let g = this.groups.get(kg);
        if (!g) this.groups.set(kg, (g = new Map()));
        for (const [name, kind, entries] of states) {
          this.kinds.set(name, kind);
          let s = g.get(name);
          if (!s) g.set(name, (s = new Map()));
          for (const [key, value] of entries) s.set(canonical(key), { key, value: kind === 'map' ? new Map(value as [unknown, unknown][]) : value });
        }
      }
    }
  }
}
