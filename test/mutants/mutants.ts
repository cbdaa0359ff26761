/**
 * Deliberately broken topologies and connectors, each a realistic user or
 * connector bug, with the correct twin of each. weir/testing's
 * checkExactlyOnce must catch every mutant with default options
 * (mutants.test.ts), and pass every twin.
 *
 * Every mutant is deterministic without faults: a fault-free run gives the
 * same committed output every time, so the checker catches it through a
 * fault (a restore), not because two runs differ. State that a real worker
 * process starts without (module-level maps, a closure's memory, a seeded
 * salt) is reset by `beforeEachRun`, as a fresh `weir run` would.
 */
import fc from 'fast-check';
import { collect, generator, topology, type Topology } from 'weir';
import { fromArray, txSink, type PropertyOptions, type TxSinkOptions, type TxSinkStore } from 'weir/testing';
import type { Collector, Operator, SinkConnector, SourceConnector, SourceReader } from '../../actors/contract.js';

export interface Mutant {
  name: string;
  /** The bug, as a user would write it. */
  bug: string;
  mutant: Topology;
  twin: Topology;
  /** Options both runs need (connectors, beforeEachRun); the rest are defaults. */
  options?: Pick<PropertyOptions, 'connectors' | 'beforeEachRun'>;
  mutantOptions?: Pick<PropertyOptions, 'connectors' | 'beforeEachRun'>;
}

/** Inputs as in the issue that found the first bug: 50 to 300 words over 7 keys. */
export const words = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { minLength: 50, maxLength: 300, size: 'max' });

/** source -> keyBy(word) -> count -> sink, with the counting step given. */
function keyedCount(name: string, count: (w: string, ctx: { emit(v: string): void; state: { value<T>(n: string, d: T): { get(): T | undefined; set(v: T): void } } }) => void, key: (w: string) => string = (w) => w): Topology {
  return topology(name, (t) =>
    t
      .source('in', generator({ count: 0 }))
      .keyBy(key)
      .process<string>((w, ctx) => count(w, ctx as never), { name: 'count' })
      .sink('out', collect()),
  );
}

const correctCount = (w: string, ctx: { emit(v: string): void; state: { value<T>(n: string, d: T): { get(): T | undefined; set(v: T): void } } }) => {
  const s = ctx.state.value<number>('n', 0);
  s.set(s.get()! + 1);
  ctx.emit(`${w},${s.get()}`);
};

// ---- 1. state in an instance field (lost at every restart, as a Flink function's field) ----
/** One object per operator incarnation: the ctx weir hands the function, like `this` of a function class. */
const fields = new WeakMap<object, Map<string, number>>();
const instanceField: Mutant = {
  name: 'instance-field',
  bug: 'per-key counts in a field of the operator instance instead of ctx.state',
  mutant: keyedCount('mutant-instance-field', (w, ctx) => {
    let counts = fields.get(ctx);
    if (!counts) fields.set(ctx, (counts = new Map()));
    counts.set(w, (counts.get(w) ?? 0) + 1);
    ctx.emit(`${w},${counts.get(w)}`);
  }),
  twin: keyedCount('twin-instance-field', correctCount),
};

// ---- 2. state in a module-level Map (survives an actor restart in the same worker) ----
const moduleCounts = new Map<string, number>();
const moduleMap: Mutant = {
  name: 'module-level-map',
  bug: 'per-key counts in a module-level Map',
  mutant: keyedCount('mutant-module-map', (w, ctx) => {
    moduleCounts.set(w, (moduleCounts.get(w) ?? 0) + 1);
    ctx.emit(`${w},${moduleCounts.get(w)}`);
  }),
  twin: keyedCount('twin-module-map', correctCount),
  mutantOptions: { beforeEachRun: () => moduleCounts.clear() },
};

// ---- 3. state in a closure: a "distinct" that remembers what it saw ----
function distinctInClosure() {
  let seen = new Set<string>();
  return {
    fn: (w: string, ctx: { emit(v: string): void }) => {
      if (seen.has(w)) return;
      seen.add(w);
      ctx.emit(w);
    },
    reset: () => (seen = new Set()),
  };
}
const distinct = distinctInClosure();
const closure: Mutant = {
  name: 'closure',
  bug: "a distinct() whose seen-set lives in a closure: replayed records look seen and are dropped",
  mutant: keyedCount('mutant-closure', (w, ctx) => distinct.fn(w, ctx)),
  twin: keyedCount('twin-closure', (w, ctx) => {
    const s = ctx.state.value<boolean>('seen', false);
    if (s.get()) return;
    s.set(true);
    ctx.emit(w);
  }),
  mutantOptions: { beforeEachRun: () => distinct.reset() },
};

// ---- 4. a sink that publishes before its checkpoint completes ----
const earlySink: Mutant = {
  name: 'sink-commits-early',
  bug: 'a two-phase sink that makes epoch n visible at barrier n, before checkpoint n completes',
  mutant: keyedCount('mutant-early-sink', correctCount),
  twin: keyedCount('twin-early-sink', correctCount),
  mutantOptions: { connectors: { sink: (store: TxSinkStore, o: TxSinkOptions) => txSink(store, { ...o, commitEarly: true }) } },
};

// ---- 5. a source whose position does not match what it emitted ----
/** An array source that saves its position one record ahead of what it emitted (an off-by-one on commit). */
function aheadSource(values: readonly unknown[], onRestore: (emittedBefore: boolean) => void): SourceConnector {
  return {
    role: 'source',
    type: 'array-ahead',
    open(ctx): SourceReader {
      const own = (ctx.restored ?? []) as { next: number }[];
      if (own.length) onRestore(own[0].next > ctx.instance);
      let next = own.length ? own[0].next : ctx.instance;
      return {
        pull(max) {
          const records: unknown[] = [];
          while (records.length < max && next < values.length) {
            records.push(values[next]);
            next += ctx.parallelism;
          }
          return { records, done: next >= values.length };
        },
        position: () => ({ next: next + ctx.parallelism }),
      };
    },
  };
}
const sourceAhead: Mutant = {
  name: 'source-position-ahead',
  bug: 'a source whose checkpointed position is one record past what it emitted',
  mutant: keyedCount('mutant-source-ahead', correctCount),
  twin: keyedCount('twin-source-ahead', correctCount),
  mutantOptions: { connectors: { source: aheadSource } },
  options: { connectors: { source: (v, r) => fromArray(v, undefined, r) } },
};

// ---- 6. an operator that emits during snapshot() ----
/** Buffers records and flushes them downstream when snapshotted; the mutant snapshots the buffer it just flushed. */
function flushOnSnapshot(buggy: boolean): () => Operator<string, string> {
  return () => {
    let buf: string[] = [];
    let out: Collector<string> | undefined;
    const flush = () => {
      for (const r of buf) out?.emit(r);
      const flushed = buf;
      buf = [];
      return flushed;
    };
    return {
      processBatch(records, o) {
        out = o;
        buf.push(...records);
      },
      endOfInput(o) {
        out = o;
        flush();
      },
      snapshot() {
        const flushed = flush();
        return buggy ? flushed : buf;
      },
      restore(states) {
        buf = (states[0] as string[] | undefined) ?? [];
      },
    };
  };
}
function withOperator(t: Topology, id: string, operator: () => Operator<string, string>): Topology {
  return { ...t, graph: { ...t.graph, nodes: t.graph.nodes.map((n) => (n.id === id ? { ...n, operator: operator as never } : n)) } };
}
const batcher = (name: string) => topology(name, (t) => t.source('in', generator({ count: 0 })).map((w: string) => w, { name: 'batch' }).sink('out', collect()));
const emitsInSnapshot: Mutant = {
  name: 'emits-during-snapshot',
  bug: 'an operator that flushes its buffer downstream in snapshot() and checkpoints the buffer it flushed',
  mutant: withOperator(batcher('mutant-snapshot-emit'), 'batch', flushOnSnapshot(true)),
  twin: withOperator(batcher('twin-snapshot-emit'), 'batch', flushOnSnapshot(false)),
};

// ---- 7. a key selector that is not deterministic ----
/** A salt to spread hot keys, drawn from a (seeded, per run) random source: differs when records are replayed. */
let salt = seeded(1);
function seeded(s: number): () => number {
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}
const hashSalt = (w: string) => w.charCodeAt(0) % 2;
const saltedKey: Mutant = {
  name: 'non-deterministic-key',
  bug: 'keyBy salts the key with a random number to spread hot keys',
  mutant: keyedCount('mutant-salted-key', correctCount, (w) => `${w}#${salt() < 0.5 ? 0 : 1}`),
  twin: keyedCount('twin-salted-key', correctCount, (w) => `${w}#${hashSalt(w)}`),
  mutantOptions: { beforeEachRun: () => (salt = seeded(1)) },
};

// ---- 8. a sink that drops a batch on retry ----
/** After a restore the first batch written looks like a retry of one already written, and is dropped. */
function dropsRetriedBatch(store: TxSinkStore, o: TxSinkOptions): SinkConnector<unknown> {
  const inner = txSink(store, o);
  return {
    ...inner,
    async open(ctx) {
      const w = await inner.open(ctx);
      let dropNext = ctx.restored !== undefined;
      return {
        ...w,
        write(records) {
          if (dropNext) {
            dropNext = false;
            return;
          }
          return w.write(records);
        },
      };
    },
  };
}
const dropsOnRetry: Mutant = {
  name: 'sink-drops-retried-batch',
  bug: 'a sink that takes the first batch after a restart for a retry it already wrote, and drops it',
  mutant: keyedCount('mutant-drops-retry', correctCount),
  twin: keyedCount('twin-drops-retry', correctCount),
  mutantOptions: { connectors: { sink: dropsRetriedBatch } },
};

export const MUTANTS: Mutant[] = [instanceField, moduleMap, closure, earlySink, sourceAhead, emitsInSnapshot, saltedKey, dropsOnRetry];
