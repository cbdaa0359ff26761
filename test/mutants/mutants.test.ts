/**
 * The checker's own test: each mutant (mutants.ts) is a realistic bug that
 * checkExactlyOnce must catch with DEFAULT options (workers 2, parallelism
 * 2, placed faults, 50-300 input records), and each correct twin must pass.
 * Every mutant is first shown deterministic without faults, so what catches
 * it is a fault. Detection is measured over several property seeds: the
 * share of seeds whose property failed within its runs, and how many runs
 * the first failure took; the table is printed at the end.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { checkExactlyOnce, runInline } from 'weir/testing';
import { MUTANTS, words, type Mutant } from './mutants.js';

const DEFAULTS = { workers: 2, parallelism: 2 } as const;
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
const RUNS = 100;
const figures: { name: string; caught: number; runs: number[] }[] = [];

function optionsOf(m: Mutant, which: 'mutant' | 'twin') {
  return { ...DEFAULTS, ...m.options, ...(which === 'mutant' ? m.mutantOptions : {}) };
}

describe.each(MUTANTS.map((m) => [m.name, m] as const))('mutant %s', (_name, m) => {
  it('is deterministic without faults (the same input and seed commit the same output)', async () => {
    const o = optionsOf(m, 'mutant');
    const input = fc.sample(words, { seed: 7, numRuns: 3 });
    for (const [i, ws] of input.entries()) {
      const once = async () => {
        o.beforeEachRun?.();
        return runInline(m.mutant, { ...DEFAULTS, connectors: o.connectors, inputs: { in: ws }, seed: i + 1, batchSize: 4, checkpointInterval: 3 });
      };
      const a = await once();
      const b = await once();
      expect(a.error).toBeUndefined();
      expect(a.restarts).toBe(0);
      expect(a.outputs.out.length).toBeGreaterThan(0);
      expect(b.outputs).toEqual(a.outputs);
    }
  });

  it(`is caught by checkExactlyOnce with default options (${m.bug})`, async () => {
    const runs: number[] = [];
    for (const seed of SEEDS) {
      const err = await checkExactlyOnce(m.mutant, words, { ...optionsOf(m, 'mutant'), numRuns: RUNS, seed, shrink: false, logger: false }).then(
        () => undefined,
        (e: Error) => e,
      );
      if (!err) continue;
      // Caught as a violation of exactly-once, not as bad input or a vacuous property.
      expect(err.message).toMatch(/Property failed after \d+ tests/);
      expect(String((err as Error & { cause?: Error }).cause?.message ?? err.message)).toMatch(/exactly-once violated|the run with faults failed/);
      runs.push(Number(/Property failed after (\d+) tests/.exec(err.message)![1]));
    }
    figures.push({ name: m.name, caught: runs.length, runs });
    expect(runs.length).toBe(SEEDS.length);
  }, 600_000);

  it('its correct twin passes with default options', async () => {
    const c = await checkExactlyOnce(m.twin, words, { ...optionsOf(m, 'twin'), numRuns: 60, seed: 1, logger: false });
    expect(c.midRun).toBeGreaterThan(0);
  }, 600_000);
});

afterAll(() => {
  const rows = figures.map((f) => {
    const sorted = f.runs.slice().sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
    return `  ${f.name.padEnd(28)} caught ${f.caught}/${SEEDS.length} seeds (${((100 * f.caught) / SEEDS.length).toFixed(0)}%)  runs to first failure: median ${median}, max ${sorted[sorted.length - 1] ?? '-'} (of ${RUNS})`;
  });
  console.log(`weir/testing mutant detection with default options (workers 2, parallelism 2, 50-300 records):\n${rows.join('\n')}`);
});
