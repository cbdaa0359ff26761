import { describe, expect, it } from 'vitest';
import { generator, kafka, stdout, topology, tumbling } from '../../../runtime/index.js';
import { kafkaConnectorTopics } from '../../../runtime/cluster/endpoints.js';
import { planCluster } from '../../../runtime/cluster/subtopologies.js';

const brokers = '127.0.0.1:9092';
const src = (topic: string) => kafka.source<string>({ brokers, topic });
const out = (topic: string) => kafka.sink<string>({ brokers, topic });

describe('planCluster (cuts a topology into sub-topologies at keyBy/rebalance)', () => {
  it('cuts a keyed count at keyBy: the source side writes the repartition topic the count side reads', () => {
    const t = topology('wc', (b) =>
      b
        .source('in', src('words'))
        .map((w: string): [string, number] => [w, 1], { name: 'pair' })
        .keyBy(([w]) => w)
        .reduce(([w, a], [, c]) => [w, a + c], { name: 'count' })
        .map(([w, c]) => `${w},${c}`, { name: 'fmt' })
        .sink('out', out('counts')),
    );
    const p = planCluster(t.graph, 'wc', 'pre.', kafkaConnectorTopics);
    expect(p.subtopologies.map((s) => s.nodes)).toEqual([['in', 'pair'], ['count', 'fmt', 'out']]);
    expect(p.repartitionTopics).toEqual(['pre.wc-count-repartition']);
    const [a, b] = p.subtopologies;
    expect(a.inputs).toEqual([{ topic: 'words', kind: 'source', node: 'in' }]);
    expect(a.repartitions).toEqual([{ from: 'pair', to: 'count', inputIndex: 0, partitioning: 'hash', topic: 'pre.wc-count-repartition' }]);
    expect(a.stateful).toBe(false);
    expect(b.inputs).toEqual([{ topic: 'pre.wc-count-repartition', kind: 'repartition', node: 'count' }]);
    expect(b.sinks).toEqual(['out']);
    expect(b.stateful).toBe(true);
    expect(b.changelog).toBe('pre.wc-count-changelog');
  });

  it('keeps a forward chain in one sub-topology, cuts at rebalance, and unions two sources into one (co-partitioned) sub-topology', () => {
    const t = topology('u', (b) => {
      const x = b.source('x', src('tx'));
      const y = b.source('y', src('ty'));
      return x.union(y, { name: 'both' }).rebalance().map((v) => v, { name: 'spread' }).sink('out', out('o'));
    });
    const p = planCluster(t.graph, 'u', '', kafkaConnectorTopics);
    expect(p.subtopologies.map((s) => s.nodes)).toEqual([['x', 'y', 'both'], ['spread', 'out']]);
    expect(p.subtopologies[0].inputs.map((i) => i.topic)).toEqual(['tx', 'ty']);
    expect(p.subtopologies[1].inputs).toEqual([{ topic: 'u-spread-repartition', kind: 'repartition', node: 'spread' }]);
    expect(p.subtopologies[0].repartitions[0].partitioning).toBe('rebalance');
  });

  it('refuses what cluster mode cannot run, naming the operator and the fix', () => {
    const gen = topology('g', (b) => b.source('in', generator({ count: 3 })).sink('out', out('o')));
    expect(() => planCluster(gen.graph, 'g', '', kafkaConnectorTopics)).toThrow(/source 'in' is not a kafka.source.*Fix: read 'in' with kafka.source/);
    const so = topology('s', (b) => b.source('in', src('i')).sink('print', stdout()));
    expect(() => planCluster(so.graph, 's', '', kafkaConnectorTopics)).toThrow(/sink 'print' is not a kafka.sink.*Fix: write 'print' with kafka.sink/);
    const bc = topology('b', (b) => b.source('in', src('i')).broadcast().map((v) => v, { name: 'm' }).sink('out', out('o')));
    expect(() => planCluster(bc.graph, 'b', '', kafkaConnectorTopics)).toThrow(/edge 'in' -> 'm' is a broadcast.*Fix: run this job as one process/);
  });

  it('plans event time: the assigner and the window are task state (a changelog each side of the cut)', () => {
    const ts = topology('t', (b) =>
      b
        .source('in', src('i'))
        .assignTimestamps(() => 0, { name: 'ts' })
        .keyBy((v) => String(v))
        .window(tumbling(1000))
        .reduce((a) => a, { name: 'win' })
        .sink('out', out('o')),
    );
    const p = planCluster(ts.graph, 't', '', kafkaConnectorTopics);
    expect(p.subtopologies.map((s) => [s.nodes, s.stateful])).toEqual([
      [['in', 'ts'], true],
      [['win', 'out'], true],
    ]);
  });
});
