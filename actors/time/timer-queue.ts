/**
 * Timers of one operator instance in one time domain (event or processing),
 * as Flink's InternalTimerService: at most one timer per (key, timestamp),
 * fired in timestamp order. Timers are keyed state: a snapshot lists them by
 * key group, so they are restored after failover and split by key-group
 * range after rescaling. Pure data structure, no clock: the caller says up
 * to which time timers are due.
 *
 * A binary heap orders timers; deletion is lazy (a deleted or fired entry
 * is marked dead and dropped when it reaches the top), so register, delete
 * and pop are O(log n) and never scan. Live timers are found by key, then
 * timestamp (two map lookups, no id text built per timer: a window operator
 * registers one per window and key). Timers added with add() (new by the
 * caller's word: not deduplicated, not deletable) go to per-timestamp
 * buckets instead of the heap (timer-buckets.ts); pop takes the earlier of
 * the two.
 *
 * @example
 * const q = new TimerQueue(128);
 * q.register('sensor-1', 60_000);
 * q.register('sensor-1', 60_000); // one timer per key and timestamp
 * q.pop(59_999); // undefined: nothing due
 * q.pop(60_000); // { key: 'sensor-1', ts: 60000 }
 */
import { keyGroupOf, stateKey, type Key } from '../key-groups.js';
import { TimerBuckets } from './timer-buckets.js';

export interface Timer {
  key: Key;
  ts: number;
}

/** Snapshot form: [keyGroup, [timestamp, key][]][], key groups ascending. */
export type TimerSnapshot = [number, [number, Key][]][];

interface Entry extends Timer {
  kg: number;
  dead: boolean;
}

export class TimerQueue {
  private readonly heap: Entry[] = [];
  /** stateKey -> timestamp -> live entry. */
  private readonly live = new Map<Key, Map<number, Entry>>();
  private count = 0;
  /** Timers from add(). */
  private readonly buckets = new TimerBuckets();

  constructor(private readonly maxParallelism: number) {}

  get size(): number {
    return this.count + this.buckets.size;
  }

  /** Register a timer; a second one for the same key and timestamp is a no-op. */
  register(key: Key, ts: number): void {
    const sk = stateKey(key);
    let byTs = this.live.get(sk);
    if (byTs === undefined) this.live.set(sk, (byTs = new Map()));
    else if (byTs.has(ts)) return;
    const e: Entry = { key, ts, kg: keyGroupOf(key, this.maxParallelism), dead: false };
    byTs.set(ts, e);
    this.count++;
    this.push(e);
  }

  /**
   * Register a timer the caller knows is not registered yet (a window operator: one per window it creates),
   * without the bookkeeping that finds it again: it cannot be deleted, only fired. A duplicate fires twice.
   */
  add(key: Key, ts: number): void {
    this.buckets.add(key, ts);
  }

  delete(key: Key, ts: number): void {
    const e = this.live.get(stateKey(key))?.get(ts);
    if (e !== undefined) this.kill(e);
  }

  has(key: Key, ts: number): boolean {
    return this.live.get(stateKey(key))?.has(ts) ?? false;
  }

  /** Timestamp of the earliest live timer. */
  peek(): number | undefined {
    this.dropDead();
    const h = this.heap[0]?.ts;
    if (this.buckets.size === 0) return h;
    const b = this.buckets.minTs();
    return h !== undefined && h <= b ? h : b;
  }

  /** Remove and return the earliest timer with ts <= upTo. */
  pop(upTo: number): Timer | undefined {
    this.dropDead();
    const top = this.heap[0];
    const b = this.buckets.minTs();
    if (top !== undefined && top.ts <= b) {
      if (top.ts > upTo) return undefined;
      this.popTop();
      this.kill(top);
      return { key: top.key, ts: top.ts };
    }
    if (this.buckets.size === 0 || b > upTo) return undefined;
    return { key: this.buckets.popMin(), ts: b };
  }

  snapshot(): TimerSnapshot {
    const byGroup = new Map<number, [number, Key][]>();
    const put = (kg: number, ts: number, key: Key): void => {
      let l = byGroup.get(kg);
      if (!l) byGroup.set(kg, (l = []));
      l.push([ts, key]);
    };
    for (const e of this.heap) if (!e.dead) put(e.kg, e.ts, e.key);
    for (const [ts, key] of this.buckets.entries()) put(keyGroupOf(key, this.maxParallelism), ts, key);
    return [...byGroup.entries()].sort((a, b) => a[0] - b[0]).map(([kg, l]) => [kg, l.sort((a, b) => a[0] - b[0])]);
  }

  /** Load the timers of key groups [start, end) from any number of snapshots (rescaling merges several). */
  restore(snapshots: readonly TimerSnapshot[], range: [number, number]): void {
    this.heap.length = 0;
    this.live.clear();
    this.count = 0;
    this.buckets.clear();
    for (const snap of snapshots) for (const [kg, timers] of snap) if (kg >= range[0] && kg < range[1]) for (const [ts, key] of timers) this.register(key, ts);
  }

  private kill(e: Entry): void {
    e.dead = true;
    this.count--;
    const sk = stateKey(e.key);
    const byTs = this.live.get(sk)!;
    byTs.delete(e.ts);
    if (byTs.size === 0) this.live.delete(sk);
  }

  private dropDead(): void {
    const h = this.heap;
    while (h.length > 0 && h[0].dead) this.popTop();
  }
  private push(e: Entry): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p].ts <= e.ts) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  private popTop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && h[r].ts < h[l].ts ? r : l;
      if (h[c].ts >= last.ts) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = last;
  }
}
