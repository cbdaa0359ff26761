/**
 * Property helpers over simulated runs (fast-check). Each draws an input and
 * a fault schedule, runs the topology with and without the faults on the
 * same seed, and compares what the sinks committed:
 * - checkExactlyOnce: committed output with faults == fault-free output;
 * - checkAtLeastOnce: everything emitted with faults contains it;
 * - checkEquivalent: fault-free output == a plain reference function.
 * Outputs are compared per sink as multisets (parallel instances interleave).
 * A failure is shrunk by fast-check to the smallest input and schedule and
 * reported with the seed and path that replay it exactly.
 */
import fc from 'fast-check';
import { faultSchedule, type Fault, type FaultScheduleOptions } from './faults.js';
import { resolveTopology, runInline, type InlineResult, type InlineRunOptions, type TopologySource } from './run-inline.js';
import { runThreads, type ThreadRunOptions } from './run-threads.js';

export type Inputs = Record<string, unknown[]>;

export interface PropertyOptions extends Omit<InlineRunOptions, 'inputs' | 'faults' | 'seed'> {
  /** Fault schedules to draw from (default: faultSchedule(topology, { workers })). */
  faults?: fc.Arbitrary<Fault[]>;
  faultOptions?: FaultScheduleOptions;
  /** fast-check parameters. */
  numRuns?: number;
  seed?: number;
  path?: string;
  /** Allow a run to fail with restarts exhausted (then its committed output is not compared). Default false. */
  allowJobFailure?: boolean;
  /**
   * Run on real worker threads instead of the simulation: `module` is the
   * file that default-exports the topology (workers import it). Faults then
   * happen for real; simulation-only kinds (slow-sink, channel-delay) must
   * not be drawn.
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

function inputsArb(inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>, sourceNames: string[]): fc.Arbitrary<Inputs> {
  return (inputs as fc.Arbitrary<unknown>).map((v) => (Array.isArray(v) ? { [sourceNames[0]]: v } : (v as Inputs)));
}

async function compareRuns(t: TopologySource, inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>, o: PropertyOptions, mode: 'equal' | 'contains'): Promise<void> {
  const topology = resolveTopology(t);
  const sources = topology.graph.nodes.filter((n) => n.kind === 'source').map((n) => n.id);
  const workers = o.workers ?? 2;
  const schedules = o.faults ?? faultSchedule(topology.graph, { workers, ...o.faultOptions });
  const { faults: _f, faultOptions: _fo, numRuns: _n, seed: _s, path: _p, allowJobFailure: _a, threads, ...rest } = o;
  const run: InlineRunOptions = { ...rest, workers };
  const once = async (ins: Inputs, seed: number, faults: Fault[] | undefined): Promise<Pick<InlineResult, 'outputs' | 'emitted' | 'error' | 'trace'>> => {
    if (!threads) return runInline(topology, { ...run, inputs: ins, seed, faults });
    const { module, ...threadOptions } = threads;
    const r = await runThreads(module, { ...threadOptions, workers, inputs: ins, faults });
    return { outputs: r.outputs, emitted: r.outputs, error: r.error, trace: [`restarts: ${r.restarts}`, `faults: ${JSON.stringify(faults ?? [])}`] };
  };
  await fc.assert(
    fc.asyncProperty(inputsArb(inputs, sources), schedules, fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (ins, faults, seed) => {
      const clean = await once(ins, seed, undefined);
      if (clean.error) throw new Error(`the fault-free run failed: ${clean.error.message}`);
      const faulty = await once(ins, seed, faults);
      if (faulty.error) {
        if (o.allowJobFailure && faulty.error.code === 'RESTARTS_EXHAUSTED') return;
        throw new Error(`the run with faults failed: ${faulty.error.message}\ntrace:\n  ${faulty.trace.join('\n  ')}`);
      }
      for (const sink of Object.keys(clean.outputs)) {
        const got = (mode === 'equal' ? faulty.outputs[sink] : faulty.emitted[sink]) ?? [];
        const diff = multisetDiff(got, clean.outputs[sink], mode);
        if (diff) {
          throw new Error(
            `sink '${sink}' ${mode === 'equal' ? 'committed' : 'emitted'} output differs from the fault-free run (${mode === 'equal' ? 'exactly-once' : 'at-least-once'} violated): ${diff}\ntrace:\n  ${faulty.trace.join('\n  ')}`,
          );
        }
      }
    }),
    { numRuns: o.numRuns ?? 100, seed: o.seed, path: o.path, endOnFailure: false },
  );
}

/** Committed output under any drawn fault schedule equals the fault-free committed output. */
export function checkExactlyOnce(t: TopologySource, inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>, o: PropertyOptions = {}): Promise<void> {
  return compareRuns(t, inputs, o, 'equal');
}

/** Everything emitted under any drawn fault schedule contains the fault-free output. */
export function checkAtLeastOnce(t: TopologySource, inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>, o: PropertyOptions = {}): Promise<void> {
  return compareRuns(t, inputs, o, 'contains');
}

/** The topology computes what `reference` computes on plain arrays: per sink, as multisets. */
export async function checkEquivalent(
  t: TopologySource,
  inputs: fc.Arbitrary<Inputs> | fc.Arbitrary<unknown[]>,
  reference: (inputs: Inputs) => Record<string, unknown[]> | unknown[],
  o: Omit<PropertyOptions, 'faults' | 'faultOptions'> = {},
): Promise<void> {
  const topology = resolveTopology(t);
  const sources = topology.graph.nodes.filter((n) => n.kind === 'source').map((n) => n.id);
  const sinks = topology.graph.nodes.filter((n) => n.kind === 'sink').map((n) => n.id);
  await fc.assert(
    fc.asyncProperty(inputsArb(inputs, sources), fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (ins, seed) => {
      const { numRuns: _n, seed: _s, path: _p, allowJobFailure: _a, ...rest } = o;
      const r = await runInline(topology, { ...rest, inputs: ins, seed });
      if (r.error) throw new Error(`the run failed: ${r.error.message}`);
      const ref = reference(ins);
      const expected = Array.isArray(ref) ? { [sinks[0]]: ref } : ref;
      for (const sink of Object.keys(expected)) {
        const diff = multisetDiff(r.outputs[sink] ?? [], expected[sink], 'equal');
        if (diff) throw new Error(`sink '${sink}' differs from the reference: ${diff}`);
      }
    }),
    { numRuns: o.numRuns ?? 100, seed: o.seed, path: o.path, endOnFailure: false },
  );
}
