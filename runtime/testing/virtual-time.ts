/**
 * Virtual time for deterministic simulation: a seeded event queue that is
 * the clock, the timers and the scheduler's `defer` of every simulated
 * worker. Events run in time order; events due at the same time run in an
 * order drawn from the seed, so one seed explores one interleaving and
 * replays it exactly. Between events all pending promise reactions run (the
 * in-memory connectors and backends are promise-based), so a simulated hour
 * takes milliseconds.
 */
import type { Clock } from '../../actors/contract.js';
import { mulberry32 } from '../../actors/seeded-random.js';
import type { Timers } from '../host/env.js';

interface Event {
  at: number;
  prio: number;
  seq: number;
  owner: number;
  fn: () => void;
  cancelled: boolean;
}

export class VirtualTime implements Clock {
  private t = 0;
  private seq = 0;
  private readonly queue: Event[] = [];
  /** owner -> virtual time until which its events are held (a hung worker). */
  private readonly held = new Map<number, number>();
  readonly random: () => number;
  events = 0;

  constructor(seed: number) {
    this.random = mulberry32(seed);
  }

  now = (): number => this.t;

  at(ms: number, fn: () => void, owner = -1): () => void {
    const e: Event = { at: this.t + Math.max(0, ms), prio: this.random(), seq: this.seq++, owner, fn, cancelled: false };
    this.push(e);
    return () => {
      e.cancelled = true;
    };
  }

  /** Timers and defer bound to one owner (a simulated worker), so it can be held. */
  timers(owner: number): Timers {
    return { set: (ms, fn) => this.at(ms, fn, owner) };
  }

  /** The scheduler's next tick: `costMs` of virtual time, so work makes time pass and timed faults land mid-run. */
  defer(owner: number, costMs = 1): (fn: () => void) => void {
    return (fn) => void this.at(costMs, fn, owner);
  }

  /** Hold an owner's events until `until` (virtual ms): a worker whose event loop is stuck. */
  hold(owner: number, until: number): void {
    this.held.set(owner, until);
  }

  release(owner: number): void {
    this.held.delete(owner);
  }

  isHeld(owner: number): boolean {
    return (this.held.get(owner) ?? -1) > this.t;
  }

  private push(e: Event): void {
    // Binary heap ordered by (at, prio, seq).
    const q = this.queue;
    q.push(e);
    let i = q.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(q[p], q[i])) break;
      [q[p], q[i]] = [q[i], q[p]];
      i = p;
    }
  }

  private pop(): Event | undefined {
    const q = this.queue;
    if (q.length === 0) return undefined;
    const top = q[0];
    const last = q.pop()!;
    if (q.length > 0) {
      q[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < q.length && less(q[l], q[m])) m = l;
        if (r < q.length && less(q[r], q[m])) m = r;
        if (m === i) break;
        [q[m], q[i]] = [q[i], q[m]];
        i = m;
      }
    }
    return top;
  }

  /**
   * Run events until `done()` holds, the queue is empty, or a limit is hit.
   * Returns why it stopped.
   */
  async run(done: () => boolean, limits: { maxEvents: number; maxTimeMs: number }): Promise<'done' | 'idle' | 'max-events' | 'max-time'> {
    for (;;) {
      await drainMicrotasks();
      if (done()) return 'done';
      const e = this.pop();
      if (!e) return 'idle';
      if (e.cancelled) continue;
      const until = this.held.get(e.owner);
      if (until !== undefined && until > e.at) {
        e.at = until;
        this.push(e);
        continue;
      }
      if (e.at > limits.maxTimeMs) return 'max-time';
      if (++this.events > limits.maxEvents) return 'max-events';
      this.t = Math.max(this.t, e.at);
      e.fn();
    }
  }
}

function less(a: Event, b: Event): boolean {
  return a.at !== b.at ? a.at < b.at : a.prio !== b.prio ? a.prio < b.prio : a.seq < b.seq;
}

/** Let every pending promise reaction run (they never wait on real I/O in a simulation). */
function drainMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
