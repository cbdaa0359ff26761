/**
 * `generator()`: a replayable source of `value(i)` for i = 0, 1, 2, ...
 * (default "Message i"), bounded by `count` or unbounded, optionally paced to
 * `ratePerSec`. Parallel instances split the sequence: instance k emits
 * k, k + p, k + 2p, ... so the job sees each index once. Its position (the
 * next index) is what a checkpoint records.
 */
import type { PullResult, SourceConnector, SourceContext, SourceReader } from '../actors/contract.js';
import { ConfigError } from '../actors/errors.js';

/** Checkpointed position of one instance: the next index it would emit. */
export interface GeneratorPosition {
  i: number;
  p: number;
  next: number;
}

export interface GeneratorOptions<T> {
  /** How many records in all; unbounded when absent. */
  count?: number;
  /** Records per second over all instances; as fast as credit allows when absent. */
  ratePerSec?: number;
  /** The record for index i; default `Message ${i}`. */
  value?: (i: number) => T;
}

export function generator<T = string>(options: GeneratorOptions<T> = {}): SourceConnector<T> {
  const { count, ratePerSec } = options;
  if (count !== undefined && (!Number.isInteger(count) || count < 0)) {
    throw new ConfigError(`generator count is ${count}. Fix: give an integer >= 0, or leave it out for an unbounded stream`, { field: 'count' });
  }
  if (ratePerSec !== undefined && !(typeof ratePerSec === 'number' && ratePerSec > 0 && Number.isFinite(ratePerSec))) {
    throw new ConfigError(`generator ratePerSec is ${ratePerSec}. Fix: give a positive number, or leave it out to go as fast as credit allows`, { field: 'ratePerSec' });
  }
  const value = options.value ?? ((i: number) => `Message ${i}` as unknown as T);
  return {
    role: 'source',
    type: 'generator',
    open(ctx: SourceContext): SourceReader<T> {
      const step = ctx.parallelism;
      let next = ctx.instance; // next global index this instance emits
      let emitted = 0;
      // Resume: indices an old instance had already emitted are skipped. At the
      // same parallelism that is just "continue from my own next"; after a
      // rescale every old position is consulted (union redistribution).
      const old = (ctx.restored ?? []) as GeneratorPosition[];
      const own = old.length === 1 && old[0].p === step && old[0].i === ctx.instance ? old[0] : undefined;
      let skipBelow = 0;
      const oldNext = new Map<number, GeneratorPosition>();
      if (own) next = own.next;
      else if (old.length > 0) {
        for (const s of old) oldNext.set(s.i, s);
        skipBelow = Math.max(...old.map((s) => s.next));
      }
      const emittedBefore = (idx: number) => {
        const p = old[0].p;
        const s = oldNext.get(idx % p);
        return s !== undefined && idx < s.next;
      };
      const startedAt = ctx.clock.now();
      const perInstanceRate = ratePerSec === undefined ? undefined : ratePerSec / step;
      return {
        pull(max: number): PullResult<T> {
          let n = max;
          if (perInstanceRate !== undefined) {
            const due = Math.floor(((ctx.clock.now() - startedAt) * perInstanceRate) / 1000) + 1 - emitted;
            if (due <= 0) {
              const nextAt = startedAt + ((emitted) * 1000) / perInstanceRate;
              return { records: [], waitMs: Math.max(1, Math.ceil(nextAt - ctx.clock.now())) };
            }
            n = Math.min(n, due);
          }
          const records: T[] = [];
          while (records.length < n && (count === undefined || next < count)) {
            if (next < skipBelow && emittedBefore(next)) {
              next += step;
              continue;
            }
            records.push(value(next));
            next += step;
          }
          emitted += records.length;
          return { records, done: count !== undefined && next >= count };
        },
        position: (): GeneratorPosition => ({ i: ctx.instance, p: step, next }),
      };
    },
  };
}
