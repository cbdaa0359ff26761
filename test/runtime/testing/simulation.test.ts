/**
 * weir/testing on weir itself: deterministic simulation, fault schedules and
 * the property helpers, over several topologies. Includes a deliberately
 * broken sink to show the exactly-once property can fail.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collect, generator, topology } from 'weir';
import { checkAtLeastOnce, checkEquivalent, checkExactlyOnce, runInline, type CoverageSummary, type Fault } from 'weir/testing';

/** Keyed running counts: the canonical exactly-once test job. */
const keyedCount = topology('sim-keyed-count', (t) =>
  t
    .source('in', generator({ count: 0 }), { parallelism: 2 })
    .map((w: string): [string, number] => [w, 1])
    .keyBy(([w]) => w)
    .reduce(([w, a], [, b]) => [w, a + b], { name: 'count' })
    .map(([w, c]) => `${w},${c}`)
    .sink('out', collect()),
);

/** A forward chain with a filter and a flatMap. */
const chain = topology('sim-chain', (t) =>
  t
    .source('in', generator({ count: 0, value: (i) => i }))
    .filter((n: number) => n % 3 !== 0)
    .flatMap((n: number) => [n, -n])
    .map((n: number) => n * 2, { parallelism: 2 })
    .sink('out', collect(), { parallelism: 2 }),
);

/**
 * Two sources joined by union, then a keyed count in value state. (It emits
 * the running count, not a running sum: the sequence of sums would depend on
 * how the two inputs interleave, which faults legitimately change.)
 */
const unionSum = topology('sim-union', (t) => {
  const a = t.source('a', generator({ count: 0, value: (i) => i }));
  const b = t.source('b', generator({ count: 0, value: (i) => i }), { parallelism: 2 });
  a.union(b)
    .keyBy((n: number) => Math.abs(n) % 5)
    .process<string>((n, ctx) => {
      const s = ctx.state.value<number>('count', 0);
      s.set(s.get()! + 1);
      ctx.emit(`${String(ctx.key)}:${s.get()}`);
    }, { name: 'count', parallelism: 2 })
    .sink('out', collect());
});

// size 'max': lengths spread over the whole 0..300 range (fast-check's default size stops near 10).
const words = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 300, size: 'max' });
const ints = fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 300, size: 'max' });
const sim = { workers: 2, parallelism: 2, batchSize: 8, checkpointInterval: 5 } as const;
/** What the properties run with: the defaults (batch size and checkpoint interval scale with each input). */
const defaults = { workers: 2, parallelism: 2 } as const;

/** The coverage each property reports must show recovery from mid-run checkpoints, for every fault kind drawn. */
function expectCovered(c: CoverageSummary, minShare: number): void {
  expect(c.runs).toBeGreaterThan(0);
  expect(c.faulted).toBe(c.runs); // placed schedules are never empty
  expect(c.midRun / c.runs).toBeGreaterThanOrEqual(minShare);
  for (const k of ['actor-throws', 'worker-crash', 'crash-after-checkpoint', 'crash-during-restore'] as const) expect(c.kinds[k]?.midRun ?? 0).toBeGreaterThan(0);
}

describe('runInline', () => {
  it('is deterministic: the same seed gives the same run, bit for bit', async () => {
    const faults: Fault[] = [{ kind: 'actor-throws', operator: 'count', instance: 0, afterRecords: 20 }, { kind: 'channel-delay', maxMs: 5 }];
    const input = { in: Array.from({ length: 200 }, (_, i) => `w${i % 9}`) };
    const a = await runInline(keyedCount, { ...sim, inputs: input, seed: 42, faults });
    const b = await runInline(keyedCount, { ...sim, inputs: input, seed: 42, faults });
    expect(a.error).toBeUndefined();
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.restarts).toBe(1);
    const c = await runInline(keyedCount, { ...sim, inputs: input, seed: 43, faults });
    expect(c.outputs.out.slice().sort()).toEqual(a.outputs.out.slice().sort()); // another interleaving, same result
  });

  it('runs a simulated hour in milliseconds (virtual clock)', async () => {
    const paced = topology('paced-sim', (t) => t.source('in', generator({ ratePerSec: 10 })).sink('out', collect()));
    const t0 = performance.now();
    const r = await runInline(paced, { stopAtMs: 3_600_000, checkpointInterval: 60_000, maxTimeMs: 4_000_000 });
    expect(r.error).toBeUndefined();
    expect(r.virtualTimeMs).toBeGreaterThanOrEqual(3_600_000);
    expect(r.outputs.out.length).toBeGreaterThanOrEqual(35_990);
    expect(r.outputs.out.length).toBeLessThanOrEqual(36_010);
    expect(performance.now() - t0).toBeLessThan(30_000); // generous: the point is not minutes of waiting
  });

  it('reports a trace of restarts and checkpoints', async () => {
    const r = await runInline(keyedCount, { ...sim, inputs: { in: Array.from({ length: 100 }, (_, i) => `w${i % 4}`) }, faults: [{ kind: 'worker-crash', worker: 1, atMs: 8 }] });
    expect(r.trace.some((l) => /worker 1 crashes/.test(l))).toBe(true);
    expect(r.trace.some((l) => /restart region/.test(l))).toBe(true);
    expect(r.trace[r.trace.length - 1]).toMatch(/final checkpoint \d+ committed/);
  });
});

describe('bad input gets a clear error', () => {
  it('a topology whose build is not deterministic', async () => {
    let n = 0;
    const build = () => topology('flaky', (t) => t.source('in', generator({ count: 1 })).map((x) => x, { name: `m${n++}` }).sink('out', collect()));
    await expect(runInline(build)).rejects.toThrow(/topology 'flaky' is not deterministic: two builds differ \(operators in, m0, out vs in, m1, out\).*Fix:/);
  });

  it('a schedule that names an operator that does not exist', async () => {
    await expect(runInline(keyedCount, { inputs: { in: ['a'] }, faults: [{ kind: 'actor-throws', operator: 'nope', instance: 0, afterRecords: 1 }] })).rejects.toThrow(
      /names operator 'nope', which topology 'sim-keyed-count' does not have. Fix: use one of in, map-1, count, map-2, out/,
    );
  });

  it('inputs msgpack cannot encode, and inputs for a source that does not exist', async () => {
    await expect(runInline(chain, { inputs: { in: [1, () => 2] } })).rejects.toThrow(/inputs\['in'\] holds a value msgpack cannot encode.*Fix:/);
    await expect(runInline(chain, { inputs: { nope: [1] } })).rejects.toThrow(/inputs name source 'nope'.*Fix: use one of in/);
  });
});

describe('properties over simulated fault schedules (default options)', () => {
  // Each property prints its coverage; the suite's total of schedules that forced a restore is printed at the end of `npm test`.
  it('keyed counting is exactly-once under any fault schedule', async () => {
    expectCovered(await checkExactlyOnce(keyedCount, words, { ...defaults, numRuns: 250 }), 0.5);
  }, 300_000);

  it('a forward chain is exactly-once under any fault schedule', async () => {
    expectCovered(await checkExactlyOnce(chain, ints, { ...defaults, numRuns: 250 }), 0.5);
  }, 300_000);

  it('union into keyed state is exactly-once under any fault schedule', async () => {
    expectCovered(await checkExactlyOnce(unionSum, fc.record({ a: ints, b: ints }), { ...defaults, numRuns: 250 }), 0.5);
  }, 300_000);

  it('emitted output is at-least-once', async () => {
    expectCovered(await checkAtLeastOnce(keyedCount, words, { ...defaults, numRuns: 150 }), 0.5);
  }, 300_000);

  it('the chain equals its array reference', async () => {
    await checkEquivalent(chain, ints, (i) => (i.in as number[]).filter((n) => n % 3 !== 0).flatMap((n) => [n * 2, -n * 2]), { ...sim, numRuns: 150 });
  }, 300_000);

  it('catches a broken runtime: a sink that commits before the checkpoint completes', async () => {
    const broken = checkExactlyOnce(keyedCount, fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 200, maxLength: 300 }), {
      ...sim,
      brokenSinkCommitsEarly: true,
      faults: fc.constant([{ kind: 'actor-throws', operator: 'count', instance: 0, afterRecords: 80 }] as Fault[]),
      numRuns: 50,
      seed: 1,
    });
    const err = (await broken.then(() => undefined, (e) => e)) as Error & { cause?: Error };
    expect(err).toBeDefined();
    expect(err.message).toMatch(/Counterexample/); // shrunk to the smallest failing input and schedule
    expect(err.message).toMatch(/seed: 1, path: "/); // replays exactly
    expect(String(err.cause?.message ?? err.message)).toMatch(/exactly-once violated\): duplicated or unexpected .*"a,1" x1/);
  }, 120_000);
});
