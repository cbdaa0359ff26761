/**
 * Copy this file into your own vitest suite: property-based fault injection
 * for a topology with weir/testing. Run with `npx vitest run`.
 */
import fc from 'fast-check';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkEquivalent, checkExactlyOnce, faultSchedule, runInline, type Fault } from 'weir/testing';
import wordCount from './word-count.js';

const lines = fc.array(fc.array(fc.constantFrom('the', 'cat', 'sat', 'on', 'mat', 'The'), { maxLength: 6 }).map((ws) => ws.join(' ')), { maxLength: 40 });

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
    await checkExactlyOnce(wordCount, lines, { workers: 2, parallelism: 2, checkpointInterval: 5, batchSize: 4, faultOptions: { horizonMs: 40, maxRecords: 30 }, numRuns: 200 });
  }, 120_000);

  it('replays one schedule exactly, with a trace', async () => {
    const faults: Fault[] = [{ kind: 'worker-crash', worker: 1, atMs: 3 }];
    const r = await runInline(wordCount, { inputs: { words: ['the cat', 'the mat'] }, workers: 2, faults, seed: 7 });
    expect(r.outputs.counts.sort()).toEqual(['cat=1', 'mat=1', 'the=1', 'the=2']);
    expect(r.trace.join('\n')).toMatch(/final checkpoint/);
  });

  it('is exactly-once on real worker threads too (fewer, slower runs)', async () => {
    const module = fileURLToPath(new URL('./word-count.ts', import.meta.url));
    const realFaults = faultSchedule(wordCount.graph, { workers: 2, maxFaults: 1, horizonMs: 300, maxRecords: 20 }).filter((fs) =>
      fs.every((f) => f.kind !== 'slow-sink' && f.kind !== 'channel-delay' && !(f.kind === 'worker-hang' && f.forMs > 1500)),
    );
    await checkExactlyOnce(wordCount, lines, { threads: { module, heartbeatTimeoutMs: 1000 }, faults: realFaults, numRuns: 3 });
  }, 180_000);
});
