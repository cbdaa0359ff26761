/**
 * In-memory connectors for simulation and tests: a replayable array source
 * and a transactional sink that shows committed and emitted output apart.
 */
import type { PullResult, SinkConnector, SourceConnector, SourceReader } from '../../actors/contract.js';
import type { Timers } from '../host/env.js';

/**
 * Records of an array; instance i of p emits indices i, i+p, ...; its
 * position is the next index. With `ratePerSec` (over all instances) it is
 * paced on the job's clock, so a run lasts long enough for timed faults.
 * `onRestore` hears, at each restored open, whether the restored position is
 * past records already emitted (weir/testing's coverage: a mid-run restore).
 */
export function fromArray<T>(values: readonly T[], ratePerSec?: number, onRestore?: (emittedBefore: boolean) => void): SourceConnector<T> {
  return {
    role: 'source',
    type: 'array',
    open(ctx): SourceReader<T> {
      const step = ctx.parallelism;
      const old = (ctx.restored ?? []) as { i: number; p: number; next: number }[];
      const own = old.find((s) => s.i === ctx.instance && s.p === step);
      if (old.length) onRestore?.(old.some((s) => s.next > s.i));
      // After a rescale: skip what any old instance had emitted (union redistribution).
      const emitted = (idx: number) => old.some((s) => idx % s.p === s.i && idx < s.next);
      let next = own ? own.next : ctx.instance;
      const startedAt = ctx.clock.now();
      let pulled = 0;
      return {
        pull(max): PullResult<T> {
          const records: T[] = [];
          if (ratePerSec) {
            const due = Math.floor(((ctx.clock.now() - startedAt) * ratePerSec) / step / 1000) + 1 - pulled;
            if (due <= 0) return { records, waitMs: Math.max(1, Math.ceil((step * 1000) / ratePerSec)) };
            max = Math.min(max, due);
          }
          while (records.length < max && next < values.length) {
            if (!own && old.length && emitted(next)) {
              next += step;
              continue;
            }
            records.push(values[next]);
            next += step;
          }
          pulled += records.length;
          return { records, done: next >= values.length };
        },
        position: () => ({ i: ctx.instance, p: step, next }),
      };
    },
  };
}

export interface TxSinkStore {
  /** Records made visible by commits, in commit order. */
  committed: unknown[];
  /** Every record ever written (including ones rolled back): what an at-least-once sink would show. */
  emitted: unknown[];
}

export interface TxSinkOptions {
  /** Virtual delay per write (a slow sink). */
  delayMs?: number;
  timers?: Timers;
  /**
   * Deliberately broken: publish at the barrier (before the checkpoint is
   * complete). Exists to show that the exactly-once property catches it.
   */
  commitEarly?: boolean;
}

/** A two-phase-commit sink in memory: epoch n's records become visible when checkpoint n completes. */
export function txSink(store: TxSinkStore, o: TxSinkOptions = {}): SinkConnector<unknown> {
  return {
    role: 'sink',
    type: 'tx-memory',
    guarantee: 'exactly-once',
    open(ctx) {
      type Pending = { n: number; records: unknown[]; key: string };
      const commit = (p: Pending) => {
        if (store_committed_keys(store).has(p.key)) return;
        store_committed_keys(store).add(p.key);
        store.committed.push(...p.records);
      };
      // Restored pending epochs belong to a completed checkpoint: commit them.
      for (const s of (ctx.restored ?? []) as { pending: Pending[] }[]) for (const p of s.pending) commit(p);
      let open: unknown[] = [];
      let pending: Pending[] = [];
      return {
        write(records) {
          store.emitted.push(...records);
          open.push(...records);
          if (o.delayMs && o.timers) return new Promise<void>((r) => o.timers!.set(o.delayMs!, r));
        },
        snapshot(n) {
          const p: Pending = { n, records: open, key: `${ctx.instance}:${n}:${++epochSeq}` };
          open = [];
          if (o.commitEarly) commit(p);
          else pending.push(p);
          return { pending: pending.slice() };
        },
        commit(n) {
          for (const p of pending) if (p.n <= n) commit(p);
          pending = pending.filter((p) => p.n > n);
        },
      };
    },
  };
}

/** Names pending epochs uniquely, even when a restarted sink sees a checkpoint id again. */
let epochSeq = 0;

/** Keys of committed epochs, kept with the store so a restored sink does not commit twice. */
const committedKeys = new WeakMap<TxSinkStore, Set<string>>();
function store_committed_keys(store: TxSinkStore): Set<string> {
  let s = committedKeys.get(store);
  if (!s) committedKeys.set(store, (s = new Set()));
  return s;
}
