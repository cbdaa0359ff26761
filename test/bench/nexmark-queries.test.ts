/**
 * The Nexmark queries added for the benchmark (q0, q3, q4, q8; bench/nexmark/queries.ts) compute what plain
 * reference functions compute from the same generated events (bench/nexmark/reference.ts), run inline at
 * parallelism 2 on 2 simulated workers, the benchmark's layout. Enough events that every query has results,
 * q4's auctions expire during the run, and q8's windows close before the end.
 */
import { describe, expect, it } from 'vitest';
import { collect, generator, topology } from 'weir';
import { runInline } from 'weir/testing';
import { recordHash, type QueryId } from '../../bench/nexmark/checksum.js';
import { nexmarkEvent } from '../../bench/nexmark/generator.js';
import { nexmarkQuery } from '../../bench/nexmark/queries.js';
import { q0Reference, q3Reference, q4Reference, q8Reference } from '../../bench/nexmark/reference.js';

const N = 150_000; // 15 s of event time: auctions expire after 10 to 110 s, q8's windows are 10 s

const events = Array.from({ length: N }, (_, i) => nexmarkEvent(i));
const references: [QueryId, (es: typeof events) => unknown[]][] = [
  ['q0', q0Reference],
  ['q3', q3Reference],
  ['q4', q4Reference],
  ['q8', q8Reference],
];

describe('Nexmark queries equal their plain reference', () => {
  for (const [query, reference] of references) {
    it(query, async () => {
      const job = topology(`nexmark-test-${query}`, (t) => {
        const source = t.source('events', generator({ count: N, value: nexmarkEvent }), { parallelism: 2 });
        nexmarkQuery(query, source, 2, (s) => s.sink('out', collect()));
      });
      const r = await runInline(job, { workers: 2, parallelism: 2 });
      expect(r.error).toBeUndefined();
      const hash = recordHash[query] as (x: unknown) => number;
      const sorted = (xs: unknown[]) => xs.map((x) => [hash(x), JSON.stringify(x)] as const).sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1])).map((x) => x[1]);
      const want = reference(events);
      expect(want.length).toBeGreaterThan(query === 'q4' ? 5 : 50); // the query exercised something
      expect(sorted(r.outputs.out)).toEqual(sorted(want));
    });
  }
});
