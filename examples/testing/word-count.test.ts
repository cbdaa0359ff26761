/**
 * Copy this file into your own vitest suite: property-based fault injection
 * for a topology with weir/testing. Run with `npx vitest run`.
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEquivalent, checkExactlyOnce, runInline, type Fault } from 'weir/testing';
import wordCount from './word-count.js';

// size 'max': fast-check's default size would stop near 10 lines, too few for a checkpoint to complete mid-run.
const lines = fc.array(fc.array(fc.constantFrom('the', 'cat', 'sat', 'on', 'mat', 'The'), { maxLength: 6 }).map((ws) => ws.join(' ')), { maxLength: 80, size: 'max' });

/** What the topology should compute, on plain arrays. */
function reference(inputs: Record<string, unknown[]>): string[] {
  const n = new Map<string, number>();
  const out: string[] = [];
  for (const line of inputs.words as string[]) {
    for (const w of line.split(/\s+/).filter(Boolean).map((x) => x.toLowerCase())) {
      n.set(w, (n.get(w) ?? 0) + 1);
      out.push(`${w}=${n.get(w)}`);
    }
  }
  return out;
}

describe('word count', () => {
  it('computes the reference, whatever the interleaving', async () => {
    await checkEquivalent(wordCount, lines, reference, { workers: 2, numRuns: 100 });
  });

  it('is exactly-once under simulated faults (crashes, hangs, state backend outages, slow sinks, delays)', async () => {
    // Default options: faults are placed inside each fault-free run; the coverage it prints says how many runs restored from a mid-run checkpoint.
    const coverage = await checkExactlyOnce(wordCount, lines, { workers: 2, parallelism: 2, numRuns: 200 });
    expect(coverage.midRun).toBeGreaterThan(0);
  }, 300_000);

  it('replays one schedule exactly, with a trace', async () => {
    const faults: Fault[] = [{ kind: 'worker-crash', worker: 1, atMs: 3 }];
    const r = await runInline(wordCount, { inputs: { words: ['the cat', 'the mat'] }, workers: 2, faults, seed: 7 });
    expect(r.outputs.counts.sort()).toEqual(['cat=1', 'mat=1', 'the=1', 'the=2']);
    expect(r.trace.join('\n')).toMatch(/final checkpoint/);
  });

  it('is exactly-once on real worker threads too (fewer, slower runs)', async () => {
    const module = fileURLToPath(new URL('./word-count.ts', import.meta.url));
    // shrink: false: shrinking takes minutes on real threads (the seed and path still replay a failure).
    // Paced at 40 records/s so each run lasts over a second: most of it comes after a checkpoint (every 50 ms) completed, even on a loaded machine.
    const many = fc.array(fc.constantFrom('the cat', 'sat on', 'the mat'), { minLength: 40, maxLength: 60, size: 'max' });
    const lines: string[] = [];
    const logger = (l: string) => (console.log(l), lines.push(l));
    await checkExactlyOnce(wordCount, many, { threads: { module, heartbeatTimeoutMs: 1000, inputRatePerSec: 40 }, faultOptions: { maxFaults: 1 }, numRuns: 5, shrink: false, logger });
    // The real-thread mode prints the same coverage summary as the simulation.
    expect(lines.join('\n')).toMatch(/checkExactlyOnce\(word-count\) on threads: 5 runs\n  restored from a mid-run checkpoint \.+ \d/);
  }, 300_000);
});
