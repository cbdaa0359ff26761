import { describe, expect, it } from 'vitest';
import { topology, collect, tumbling, session } from '../../../runtime/index.js';
import { runInline, fromArray } from '../../../runtime/testing/index.js';

type R = { k: string; t: number; v: number };
describe('smoke', () => {
  it('tumbling sums', async () => {
    const job = topology('w', (t) =>
      t.source('in', fromArray<R>([]))
        .assignTimestamps((r: R) => r.t, { outOfOrderness: 5 })
        .keyBy((r) => r.k)
        .window(tumbling(10))
        .aggregate({ create: () => 0, add: (a: number, r: R) => a + r.v, result: (a, key, w) => ({ key, start: w.start, sum: a }) })
        .sink('out', collect()),
    );
    const input: R[] = [];
    for (let i = 0; i < 50; i++) input.push({ k: `k${i % 3}`, t: i, v: 1 });
    const r = await runInline(job, { inputs: { in: input }, parallelism: 2, workers: 2 });
    expect(r.error).toBeUndefined();
    console.log(r.outputs.out);
  });
});
