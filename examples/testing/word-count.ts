/** A keyed word count: the topology the example tests below check. */
import { collect, generator, topology } from 'weir';

export default topology('word-count', (t) =>
  t
    .source('words', generator({ count: 0 }), { parallelism: 2 })
    .flatMap((line: string) => line.split(/\s+/).filter(Boolean))
    .map((w: string): [string, number] => [w.toLowerCase(), 1])
    .keyBy(([w]) => w)
    .reduce(([w, a], [, b]) => [w, a + b], { name: 'count' })
    .map(([w, n]) => `${w}=${n}`)
    .sink('counts', collect()),
);
