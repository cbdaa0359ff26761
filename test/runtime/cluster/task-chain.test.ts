import { describe, expect, it } from 'vitest';
import { kafka, topology } from '../../../runtime/index.js';
import { instanceForKey } from '../../../actors/key-groups.js';
import { decodeBatch } from '../../../runtime/channel/codec.js';
import { kafkaConnectorTopics } from '../../../runtime/cluster/endpoints.js';
import { planCluster } from '../../../runtime/cluster/subtopologies.js';
import { TaskChain } from '../../../runtime/cluster/task-chain.js';
import { createLogger } from '../../../runtime/log.js';

const brokers = '127.0.0.1:9092';
const log = createLogger('silent');
const wc = topology('wc', (t) =>
  t
    .source('in', kafka.source<string>({ brokers, topic: 'words' }))
    .map((w: string): [string, number] => [w, 1], { name: 'pair' })
    .keyBy(([w]) => w)
    .reduce(([w, a], [, b]) => [w, a + b], { name: 'count' })
    .map(([w, c]) => `${w},${c}`, { name: 'fmt' })
    .sink('out', kafka.sink<string>({ brokers, topic: 'counts' })),
);
const plan = planCluster(wc.graph, 'wc', '', kafkaConnectorTopics);
const parts = new Map([['wc-count-repartition', 6]]);

describe('TaskChain (one task of a sub-topology, no I/O)', () => {
  it('routes keyed records to the repartition partition that owns their key group', () => {
    const chain = new TaskChain(wc.graph, plan.subtopologies[0], 2, 6, parts, log, undefined);
    const out = chain.process('in', 0, ['a', 'b', 'a']);
    expect(out.sinks.size).toBe(0);
    expect(out.repartition.map((r) => r.partition)).toEqual(['a', 'b', 'a'].map((k) => instanceForKey(k, 128, 6)));
    expect(out.repartition.map((r) => decodeBatch(r.value))).toEqual([[0, ['a', 1]], [0, ['b', 1]], [0, ['a', 1]]]);
  });

  it('counts per key, and a chain restored from its snapshot goes on from there (as after a takeover)', () => {
    const p = instanceForKey('a', 128, 6);
    const first = new TaskChain(wc.graph, plan.subtopologies[1], p, 6, parts, log, undefined);
    expect(first.process('count', 0, [['a', 1], ['a', 1]]).sinks.get('out')).toEqual(['a,1', 'a,2']);
    const taken = new TaskChain(wc.graph, plan.subtopologies[1], p, 6, parts, log, first.snapshot());
    expect(taken.process('count', 0, [['a', 1]]).sinks.get('out')).toEqual(['a,3']);
    // Another partition's task does not own key 'a': restoring that snapshot there keeps nothing of it.
    const other = new TaskChain(wc.graph, plan.subtopologies[1], (p + 1) % 6, 6, parts, log, first.snapshot());
    expect(other.process('count', 0, [['a', 1]]).sinks.get('out')).toEqual(['a,1']);
  });

  it('a timer set in cluster mode fails with the reason and the fix instead of never firing', () => {
    const timed = topology('tm', (t) =>
      t
        .source('in', kafka.source<string>({ brokers, topic: 'x' }))
        .keyBy((v: string) => v)
        .process<string>((v, ctx) => ctx.timers.processingTime(Date.now() + 1000), { name: 'later' })
        .sink('out', kafka.sink<string>({ brokers, topic: 'y' })),
    );
    const p = planCluster(timed.graph, 'tm', '', kafkaConnectorTopics);
    const chain = new TaskChain(timed.graph, p.subtopologies[1], 0, 1, new Map(), log, undefined);
    expect(() => chain.process('later', 0, ['k'])).toThrow("operator 'later' sets a timer, and timers do not fire in cluster mode yet. Fix: run this job as one process (without --cluster)");
  });
});
