/**
 * Property: random topologies of map/filter/flatMap/keyBy/union/rebalance with
 * random parallelism and worker counts produce the same multiset of outputs
 * as the same functions applied to a plain array.
 */
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { run } from 'weir';
import { buildFromSpec, reference, type Spec, type Stage } from '../fixtures/random-topology.js';

const fixture = fileURLToPath(new URL('../fixtures/random-topology.ts', import.meta.url));

const par = fc.integer({ min: 1, max: 3 });
const stage: fc.Arbitrary<Stage> = fc.oneof(
  fc.record({ op: fc.constant('map' as const), f: fc.constantFrom('inc' as const, 'double' as const, 'neg' as const), parallelism: par }),
  fc.record({ op: fc.constant('filter' as const), mod: fc.integer({ min: 2, max: 5 }), parallelism: par }),
  fc.record({ op: fc.constant('flatMap' as const), copies: fc.integer({ min: 0, max: 3 }), parallelism: par }),
  fc.record({ op: fc.constant('keyBy' as const), mod: fc.integer({ min: 1, max: 7 }), parallelism: par }),
  fc.record({ op: fc.constant('rebalance' as const), parallelism: par }),
);
const spec: fc.Arbitrary<Spec> = fc.record({
  branches: fc.array(
    fc.record({ count: fc.integer({ min: 0, max: 400 }), offset: fc.integer({ min: -1000, max: 1000 }), parallelism: par, stages: fc.array(stage, { maxLength: 3 }) }),
    { minLength: 1, maxLength: 3 },
  ),
  stages: fc.array(stage, { maxLength: 3 }),
  sinkParallelism: par,
});

// Records crossing workers are msgpack, which has no -0: compare -0 and 0 as equal.
const sorted = (xs: unknown[]) => [...(xs as number[])].map((x) => (x === 0 ? 0 : x)).sort((a, b) => a - b);

describe('random topologies equal their array reference', () => {
  it('inline (one thread), many cases', async () => {
    await fc.assert(
      fc.asyncProperty(spec, fc.integer({ min: 1, max: 300 }), async (s, batchSize) => {
        const result = await run(buildFromSpec(s), { workers: 0, batchSize, metricsIntervalMs: 0 }).done;
        expect(sorted(result.outputs.out ?? [])).toEqual(sorted(reference(s)));
      }),
      { numRuns: 60 },
    );
  });

  it('on 1-3 real worker threads', async () => {
    await fc.assert(
      fc.asyncProperty(spec, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 300 }), async (s, workers, batchSize) => {
        process.env.WEIR_TEST_SPEC = JSON.stringify(s);
        const result = await run(fixture, { workers, batchSize, metricsIntervalMs: 0 }).done;
        expect(sorted(result.outputs.out ?? [])).toEqual(sorted(reference(s)));
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
