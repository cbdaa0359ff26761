/**
 * Property helpers over simulated runs (fast-check). Each run draws an input,
 * a fault schedule and a seed; runs the topology fault-free; places the drawn
 * faults inside what that run did (placement.ts); runs it again with the
 * faults on the same seed, and compares what the sinks committed:
 * - checkExactlyOnce: committed output with faults == fault-free output;
 * - checkAtLeastOnce: everything emitted with faults contains it;
 * - checkEquivalent: fault-free output == a plain reference function.
 * Outputs are compared per sink as multisets (parallel instances interleave).
 * A failure is shrunk by fast-check to the smallest input and schedule and
 * reported with the seed and path that replay it exactly, plus the placed
 * schedule (runInline replays it alone). Each fault property prints what it
 * exercised (coverage.ts) and fails as vacuous when no run restored from a
 * mid-run checkpoint.
 *
 * Unless set, the simulation's batch size and checkpoint interval scale with
 * each drawn input, so a typical input runs over a few dozen scheduler ticks
 * and completes several checkpoints before its final one.
 */
import fc from 'fast-check';
import { ConfigError, WeirError } from '../../actors/errors.js';
import type { LogicalGraph } from '../dsl/graph.js';
import { Coverage, type CoverageSummary } from './coverage.js';
import type { Fault, FaultScheduleOptions } from './faults.js';
import { checkWithinRun, drawableKinds, faultDraws, placeFaults, type FaultDraw, type RunShape } from './placement.js';
import { resolveTopology, runInline, type InlineRunOptions, type TopologySource } from './run-inline.js';
import type { RunTimeline } from './run-probe.js';
import { runThreads, type ThreadRunOptions } from './run-threads.js';

export type Inputs = Record<string, unknown[]>;

export interface PropertyOptions extends Omit<InlineRunOptions, 'inputs' | 'faults' | 'seed'> {
  /**
   * Absolute fault schedules to draw from instead of placed ones (e.g.
   * `faultSchedule(graph, ...)` or `fc.constant([...])`). Each must fit the
   * fault-free run of the input it is paired with, or the property fails
   * naming the fault and the valid range.
   */
  faults?: fc.Arbitrary<Fault[]>;
  /** Placed schedules: up to `maxFaults` faults (default 3). horizonMs and maxRecords belong to faultSchedule() only. */
  faultOptions?: Pick<FaultScheduleOptions, 'maxFaults'>;
  /** fast-check parameters. */
  numRuns?: number;
  seed?: number;
  path?: string;
  /** Shrink a failure to the smallest input and schedule (default true); false stops at the first failure. */
  shrink?: boolean;
  /** Allow a run to fail with restarts exhausted (then its committed output is not compared). Default false. */
  allowJobFailure?: boolean;
  /**
   * Called before every run (fault-free and faulty). A real run starts in a
   * fresh process, but simulated runs share one: reset module-level state
   * your topology keeps here so that runs do not see each other's.
   */
  beforeEachRun?: () => void;
  /** Where the coverage summary goes (default console.log); false: nowhere. */
  logger?: ((line: string) => void) | false;
  /**
   * Run on real worker threads instead of the simulation: `module` is the
   * file that default-exports the topology (workers import it). Faults then
   * happen for real; simulation-only kinds are not drawn.
   */
  threads?: { module: string } & Omit<ThreadRunOptions, 'inputs' | 'faults'>;
}

function key(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
}

function counts(xs: readonly unknown[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

/** Describe how two multisets differ (empty string when equal / contained). */
export function multisetDiff(actual: readonly unknown[], expected: readonly unknown[], mode: 'equal' | 'contains'): string {
  const a = counts(actual);
  const e = counts(expected);
  const missing: string[] = [];
  const extra: string[] = [];
  for (const [k, n] of e) if ((a.get(k) ?? 0) < n) missing.push(`${k} x${n - (a.get(k) ?? 0)}`);
  if (mode === 'equal') for (const [k, n] of a) if ((e.get(k) ?? 0) < n) extra.push(`${k} x${n - (e.get(k) ?? 0)}`);
  if (!missing.length && !extra.length) return '';
  return [missing.length ? `missing ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5})` : ''}` : '', extra.length ? `duplicated or unexpected ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ` (+${extra.length - 5})` : ''}` : '']
    .filter(Boolean)
    .join('; ');
}

/** The input arbitrary produced data the topology does not accept: reported as such, not as a property failure. */
class InputRejected extends Error {
  constructor(readonly reason: string, readonly input: Inputs) {
    super(reason);
  }
}

function inputsArb(inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>, sourceNames: string[], name: string): fc.Arbitrary<Inputs> {
  if (!inputs || typeof (inputs as fc.Arbitrary<unknown>).generate !== 'function') throw new ConfigError(`the input arbitrary for topology '${name}' is not a fast-check arbitrary. Fix: pass fc.array(...) or fc.record({ ${sourceNames.join(': ..., ')}: ... })`);
  return (inputs as fc.Arbitrary<unknown>).map((v) => {
    if (Array.isArray(v)) {
      if (sourceNames.length > 1) throw new InputRejected(`the input arbitrary draws one array, but topology '${name}' has sources ${sourceNames.join(', ')}. Fix: draw fc.record({ ${sourceNames.map((s) => `${s}: fc.array(...)`).join(', ')} })`, {});
      return { [sourceNames[0]]: v };
    }
    if (typeof v !== 'object' || v === null) throw new InputRejected(`the input arbitrary drew ${JSON.stringify(v)}, not an array of records nor a record of arrays by source name. Fix: draw fc.array(...) or fc.record({ ${sourceNames.join(': ..., ')}: ... })`, {});
    return v as Inputs;
  });
}

const preview = (x: unknown) => {
  const s = key(x);
  return s.length > 300 ? `${s.slice(0, 300)}...` : s;
};

/** Records fed per instance of the busiest fed source. */
function perInstance(graph: LogicalGraph, ins: Inputs, parallelism: number): number {
  let max = 0;
  for (const n of graph.nodes) if (n.kind === 'source' && Array.isArray(ins[n.id])) max = Math.max(max, Math.ceil(ins[n.id].length / (n.parallelism ?? parallelism)));
  return max;
}

/**
 * Scale the simulation to the input: about 32 source batches per instance,
 * and a checkpoint interval of about a twentieth of the expected span (a
 * checkpoint takes ~10 virtual ms to align and write), so a typical input
 * completes several checkpoints before its final one. Explicit options win.
 */
export function scaledSimulation(graph: LogicalGraph, ins: Inputs, o: Pick<InlineRunOptions, 'batchSize' | 'checkpointInterval' | 'parallelism'>): { batchSize: number; checkpointInterval: number } {
  const per = perInstance(graph, ins, o.parallelism ?? 1);
  const batchSize = o.batchSize ?? Math.min(256, Math.max(1, Math.ceil(per / 32)));
  const expectedSpanMs = 1.4 * Math.ceil(per / batchSize) + 5;
  return { batchSize, checkpointInterval: o.checkpointInterval ?? Math.max(1, Math.floor(expectedSpanMs / 20)) };
}

interface RunView {
  outputs: Record<string, unknown[]>;
  emitted: Record<string, unknown[]>;
  error?: WeirError;
  trace: string[];
  timeline: RunTimeline;
  spanMs: number;
}

async function compareRuns(t: TopologySource, inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>, o: PropertyOptions, mode: 'equal' | 'contains'): Promise<CoverageSummary> {
  const topology = resolveTopology(t);
  const graph = topology.graph;
  const sources = graph.nodes.filter((n) => n.kind === 'source').map((n) => n.id);
  const sinks = graph.nodes.filter((n) => n.kind === 'sink').map((n) => n.id);
  const workers = o.workers ?? 2;
  const fo = (o.faultOptions ?? {}) as FaultScheduleOptions;
  for (const k of ['horizonMs', 'maxRecords', 'workers', 'parallelism'] as const) {
    if (fo[k] !== undefined) {
      throw new ConfigError(
        `faultOptions.${k} is for faultSchedule() only: ${mode === 'equal' ? 'checkExactlyOnce' : 'checkAtLeastOnce'} places faults within each fault-free run (times within its span, afterRecords within what each actor took). Fix: remove faultOptions.${k}, or pass faults: faultSchedule(topology.graph, { ${k}: ... }) for absolute schedules`,
      );
    }
  }
  const { faults: userFaults, faultOptions: _fo, numRuns: _n, seed: _s, path: _p, shrink: _sh, allowJobFailure: _a, logger, threads, beforeEachRun, ...rest } = o;
  const schedules: fc.Arbitrary<Fault[] | FaultDraw[]> = userFaults ?? faultDraws(drawableKinds(!!threads), fo.maxFaults);
  const heartbeatTimeoutMs = threads?.heartbeatTimeoutMs ?? o.heartbeatTimeoutMs ?? (threads ? 2000 : 1000);
  const name = `${mode === 'equal' ? 'checkExactlyOnce' : 'checkAtLeastOnce'}(${topology.name})${threads ? ' on threads' : ''}`;
  const coverage = new Coverage(name);

  const once = async (ins: Inputs, scaled: ReturnType<typeof scaledSimulation>, seed: number, faults: Fault[] | undefined): Promise<RunView> => {
    beforeEachRun?.();
    if (!threads) {
      const r = await runInline(topology, { ...rest, ...scaled, workers, inputs: ins, seed, faults });
      return { ...r, spanMs: r.virtualTimeMs };
    }
    const { module, ...threadOptions } = threads;
    const r = await runThreads(module, { ...threadOptions, workers, inputs: ins, faults });
    return { outputs: r.outputs, emitted: r.outputs, error: r.error, timeline: r.timeline, spanMs: r.elapsedMs, trace: [`restarts: ${r.restarts}`, `faults: ${JSON.stringify(faults ?? [])}`] };
  };

  const property = fc.asyncProperty(inputsArb(inputs, sources, topology.name), schedules, fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (ins, drawn, seed) => {
    let clean: RunView;
    let scaled: ReturnType<typeof scaledSimulation>;
    try {
      scaled = scaledSimulation(graph, ins, rest); // once per input: both runs and the replay line use it
      clean = await once(ins, scaled, seed, undefined);
    } catch (e) {
      if (e instanceof ConfigError) throw new InputRejected(e.message, ins);
      throw e;
    }
    if (clean.error) throw new InputRejected(`the fault-free run failed: ${clean.error.message}`, ins);
    const shape: RunShape = { timeline: clean.timeline, spanMs: clean.spanMs, workers, sinks, heartbeatTimeoutMs };
    let faults: Fault[];
    if (userFaults) {
      faults = drawn as Fault[];
      checkWithinRun(faults, shape, threads ? 'ms' : 'virtual ms');
    } else faults = placeFaults(drawn as FaultDraw[], shape);
    const records = Object.values(ins).reduce((n, xs) => n + (Array.isArray(xs) ? xs.length : 0), 0);
    const faulty = await once(ins, scaled, seed, faults);
    coverage.add(faults, clean.timeline, records, faulty.timeline);
    // The replay names every option the run used, so pasting it reproduces the run exactly.
    const sim = threads ? '' : Object.entries({ workers, parallelism: rest.parallelism ?? 1, ...scaled }).map(([k, v]) => `${k}: ${v}, `).join('');
    const context = `\nschedule (replay: runInline(topology, { inputs, ${sim}seed: ${seed}, faults })): ${JSON.stringify(faults)}\ntrace:\n  ${faulty.trace.join('\n  ')}`;
    if (faulty.error) {
      if (o.allowJobFailure && faulty.error.code === 'RESTARTS_EXHAUSTED') return;
      throw new Error(`the run with faults failed: ${faulty.error.message}${context}`);
    }
    for (const sink of Object.keys(clean.outputs)) {
      const got = (mode === 'equal' ? faulty.outputs[sink] : faulty.emitted[sink]) ?? [];
      const diff = multisetDiff(got, clean.outputs[sink], mode);
      if (diff) {
        throw new Error(`sink '${sink}' ${mode === 'equal' ? 'committed' : 'emitted'} output differs from the fault-free run (${mode === 'equal' ? 'exactly-once' : 'at-least-once'} violated): ${diff}${context}`);
      }
    }
  });
  await assertOrExplain(property, o, topology.name);
  return coverage.finish(logger === undefined ? console.log : logger, threads ? '' : ', or lower checkpointInterval');
}

/** fc.assert, except that an input the topology rejects is reported as bad input (ConfigError), not as a counterexample of the property. */
async function assertOrExplain<T extends unknown[]>(property: fc.IAsyncProperty<T>, o: Pick<PropertyOptions, 'numRuns' | 'seed' | 'path' | 'shrink'>, name: string): Promise<void> {
  try {
    await fc.assert(property, { numRuns: o.numRuns ?? 100, seed: o.seed, path: o.path, endOnFailure: o.shrink === false });
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    // A schedule that does not fit its run: the ConfigError itself names the fault and the range.
    if (cause instanceof ConfigError) throw cause;
    if (cause instanceof InputRejected) {
      throw new ConfigError(
        `the input arbitrary produced data topology '${name}' does not accept, so the property cannot test it: ${cause.reason}\ninput (shrunk): ${preview(cause.input)}\nFix: draw only records the topology accepts (or let the operator skip them with onError: 'skip')`,
        { input: cause.input },
      );
    }
    throw e;
  }
}

/** Committed output under any placed fault schedule equals the fault-free committed output. Resolves with what the runs exercised. */
export function checkExactlyOnce(t: TopologySource, inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>, o: PropertyOptions = {}): Promise<CoverageSummary> {
  return compareRuns(t, inputs, o, 'equal');
}

/** Everything emitted under any placed fault schedule contains the fault-free output. Resolves with what the runs exercised. */
export function checkAtLeastOnce(t: TopologySource, inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>, o: PropertyOptions = {}): Promise<CoverageSummary> {
  return compareRuns(t, inputs, o, 'contains');
}

/** The topology computes what `reference` computes on plain arrays: per sink, as multisets. */
export async function checkEquivalent(
  t: TopologySource,
  inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>,
  reference: (inputs: Inputs) => Record<string, unknown[]> | unknown[],
  o: Omit<PropertyOptions, 'faults' | 'faultOptions' | 'logger'> = {},
): Promise<void> {
  const topology = resolveTopology(t);
  const sources = topology.graph.nodes.filter((n) => n.kind === 'source').map((n) => n.id);
  const sinks = topology.graph.nodes.filter((n) => n.kind === 'sink').map((n) => n.id);
  const property = fc.asyncProperty(inputsArb(inputs, sources, topology.name), fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (ins, seed) => {
    const { numRuns: _n, seed: _s, path: _p, shrink: _sh, allowJobFailure: _a, threads: _t, beforeEachRun, ...rest } = o;
    let r;
    try {
      beforeEachRun?.();
      r = await runInline(topology, { ...rest, inputs: ins, seed });
    } catch (e) {
      if (e instanceof ConfigError) throw new InputRejected(e.message, ins);
      throw e;
    }
    if (r.error) throw new Error(`the run failed: ${r.error.message}`);
    const ref = reference(ins);
    const expected = Array.isArray(ref) ? { [sinks[0]]: ref } : ref;
    for (const sink of Object.keys(expected)) {
      const diff = multisetDiff(r.outputs[sink] ?? [], expected[sink], 'equal');
      if (diff) throw new Error(`sink '${sink}' differs from the reference: ${diff}`);
    }
  });
  await assertOrExplain(property, o, topology.name);
}
