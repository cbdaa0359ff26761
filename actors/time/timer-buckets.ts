/**
 * Timers grouped by timestamp: per timestamp, the keys in registration order,
 * and the distinct timestamps in ascending order. For timers that share a
 * few timestamps (every window of a tumbling or sliding assigner ends on the
 * slide grid: thousands of keys per end), registering is one map lookup and
 * a push, firing is an index increment, instead of a heap sift of log n
 * levels per timer. No dedup and no delete: the caller registers each
 * (key, timestamp) once (TimerQueue.add).
 *
 * @example
 * const b = new TimerBuckets();
 * b.add('a', 1999); b.add('b', 1999); b.add('a', 3999);
 * b.minTs();    // 1999
 * b.popMin();   // 'a' (at 1999), then 'b', then 'a' at 3999
 */
import type { Key } from '../key-groups.js';

interface Bucket {
  ts: number;
  keys: Key[];
  /** Keys before it have fired. */
  head: number;
}

export class TimerBuckets {
  private readonly byTs = new Map<number, Bucket>();
  /** Buckets by ascending ts; few (one per window end in flight), new ones usually the latest. */
  private readonly order: Bucket[] = [];
  size = 0;

  add(key: Key, ts: number): void {
    let b = this.byTs.get(ts);
    if (b === undefined) {
      b = { ts, keys: [], head: 0 };
      this.byTs.set(ts, b);
      const o = this.order;
      let i = o.length;
      while (i > 0 && o[i - 1].ts > ts) i--;
      o.splice(i, 0, b);
    }
    b.keys.push(key);
    this.size++;
  }

  /** Earliest timestamp with a timer left, or +Infinity. */
  minTs(): number {
    return this.order.length > 0 ? this.order[0].ts : Number.POSITIVE_INFINITY;
  }

  /** Remove and return the key of the earliest timer (its timestamp is minTs() before the call); size > 0. */
  popMin(): Key {
    const b = this.order[0];
    const key = b.keys[b.head];
    b.keys[b.head++] = undefined as never; // let the key go
    this.size--;
    if (b.head === b.keys.length) {
      this.order.shift();
      this.byTs.delete(b.ts);
    }
    return key;
  }

  /** Every timer left, as [ts, key]. */
  *entries(): Generator<[number, Key]> {
    for (const b of this.order) for (let i = b.head; i < b.keys.length; i++) yield [b.ts, b.keys[i]];
  }

  clear(): void {
    this.byTs.clear();
    this.order.length = 0;
    this.size = 0;
  }
}
