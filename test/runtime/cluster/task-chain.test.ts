import { describe, expect, it } from 'vitest';
import { kafka, topology, tumbling } from '../../../runtime/index.js';
import { instanceForKey } from '../../../actors/key-groups.js';
import { decodeBatch } from '../../../runtime/channel/codec.js';
import { kafkaConnectorTopics } from '../../../runtime/cluster/endpoints.js';
import { planCluster, tasksOfNode } from '../../../runtime/cluster/subtopologies.js';
import { TaskChain, type ChainOutput } from '../../../runtime/cluster/task-chain.js';
import type { Topology } from '../../../runtime/dsl/topology.js';
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
/** Every sub-topology with 6 tasks and 6 repartition partitions. */
const setupOf = (t: Topology, tasks = 6) => {
  const p = planCluster(t.graph, t.name, '', kafkaConnectorTopics);
  return { plan: p, setup: { graph: t.graph, repartitionPartitions: new Map(p.repartitionTopics.map((r) => [r, tasks])), tasksOfNode: tasksOfNode(p, new Map(p.subtopologies.map((s) => [s.id, tasks]))), log } };
};
const { setup } = setupOf(wc);

describe('TaskChain (one task of a sub-topology, no I/O)', () => {
  it('routes keyed records to the repartition partition that owns their key group', () => {
    const chain = new TaskChain(setup, plan.subtopologies[0], 2, 6, undefined);
    const out = chain.process('in', 0, ['a', 'b', 'a']);
    expect(out.sinks.size).toBe(0);
    expect(out.repartition.map((r) => r.partition)).toEqual(['a', 'b', 'a'].map((k) => instanceForKey(k, 128, 6)));
    expect(out.repartition.map((r) => decodeBatch(r.value))).toEqual([[0, ['a', 1]], [0, ['b', 1]], [0, ['a', 1]]]);
  });

  it('counts per key, and a chain restored from its snapshot goes on from there (as after a takeover)', () => {
    const p = instanceForKey('a', 128, 6);
    const first = new TaskChain(setup, plan.subtopologies[1], p, 6, undefined);
    expect(first.process('count', 0, [['a', 1], ['a', 1]]).sinks.get('out')).toEqual(['a,1', 'a,2']);
    const taken = new TaskChain(setup, plan.subtopologies[1], p, 6, first.snapshot());
    expect(taken.process('count', 0, [['a', 1]]).sinks.get('out')).toEqual(['a,3']);
    // Another partition's task does not own key 'a': restoring that snapshot there keeps nothing of it.
    const other = new TaskChain(setup, plan.subtopologies[1], (p + 1) % 6, 6, first.snapshot());
    expect(other.process('count', 0, [['a', 1]]).sinks.get('out')).toEqual(['a,1']);
  });
});

describe('TaskChain event time: watermarks in-band across the repartition topic', () => {
  // "key@ts" records; 1 s tumbling windows counted per key, on event time (no out-of-orderness).
  const win = topology('win', (t) =>
    t
      .source('in', kafka.source<string>({ brokers, topic: 'ev' }))
      .assignTimestamps((r: string) => Number(r.split('@')[1]), { name: 'ts', interval: 0 })
      .keyBy((r: string) => r.split('@')[0])
      .window(tumbling(1000))
      .aggregate({ create: () => 0, add: (n: number) => n + 1, result: (n: number, key, w) => `${String(key)}@${w.start}=${n}` }, { name: 'count' })
      .sink('out', kafka.sink<string>({ brokers, topic: 'counts' })),
  );
  const { plan: wp, setup: ws } = setupOf(win, 2);
  /** Delivers the repartition records of an upstream output to the downstream task that owns their partition. */
  const deliver = (from: ChainOutput, to: TaskChain, partition: number): string[] => {
    const out: string[] = [];
    for (const r of from.repartition.filter((x) => x.partition === partition)) {
      const [index, record, marker] = decodeBatch(r.value) as [number, unknown, [number, number, boolean]?];
      const o = marker ? to.watermark('count', index, ...marker) : to.process('count', index, [record]);
      out.push(...((o.sinks.get('out') as string[]) ?? []));
    }
    return out;
  };

  it('an upstream task writes its watermark after its records into every partition; the window fires at the minimum over upstream tasks', () => {
    const up = [0, 1].map((p) => new TaskChain(ws, wp.subtopologies[0], p, 2, undefined));
    const down = [0, 1].map((p) => new TaskChain(ws, wp.subtopologies[1], p, 2, undefined));
    const k = 'k';
    const kp = instanceForKey(k, 128, 2);
    const a = up[0].process('in', 0, [`${k}@100`, `${k}@900`, `${k}@1500`]);
    // Records first, then a marker to each of the 2 partitions: [input 0, no record, [task 0, 1499, not idle]].
    expect(a.repartition.map((r) => decodeBatch(r.value).length)).toEqual([2, 2, 2, 3, 3]);
    expect(a.repartition.slice(3).map((r) => [r.partition, decodeBatch(r.value)])).toEqual([
      [0, [0, null, [0, 1499, false]]],
      [1, [0, null, [0, 1499, false]]],
    ]);
    // Upstream task 1 has said nothing yet: event time downstream stays back, the window [0, 1000) does not fire.
    expect(deliver(a, down[kp], kp)).toEqual([]);
    const b = up[1].process('in', 0, [`x@2000`]);
    // Now both upstream tasks are past 999: the window fires once, on the task that owns the key.
    const fired = deliver(b, down[kp], kp);
    expect(fired).toEqual([`${k}@0=2`]);
    // The other downstream task has its own watermark table: it heard from task 0 only through its own partition.
    expect(deliver(a, down[1 - kp], 1 - kp)).toEqual([]);
  });

  it('a downstream task restored from its snapshot keeps its windows and the upstream watermarks (a takeover fires what is due, once)', () => {
    const up = [0, 1].map((p) => new TaskChain(ws, wp.subtopologies[0], p, 2, undefined));
    const kp = instanceForKey('k', 128, 2);
    const first = new TaskChain(ws, wp.subtopologies[1], kp, 2, undefined);
    expect(deliver(up[0].process('in', 0, ['k@10', 'k@20', 'k@3000']), first, kp)).toEqual([]);
    const taken = new TaskChain(ws, wp.subtopologies[1], kp, 2, first.snapshot());
    // Task 0's watermark (2999) was restored: task 1 alone moving past 999 now fires [0, 1000) with both records.
    expect(deliver(up[1].process('in', 0, ['z@1500']), taken, kp)).toEqual(['k@0=2']);
  });
});

describe('TaskChain processing time', () => {
  it('a processing-time timer is state and fires on tick once due', () => {
    const due = Date.now() + 3_600_000;
    const timed = topology('tm', (t) =>
      t
        .source('in', kafka.source<string>({ brokers, topic: 'x' }))
        .keyBy((v: string) => v)
        .process<string>(
          {
            onRecord: (v, ctx) => ctx.timers.processingTime(due),
            onTimer: (ts, ctx) => ctx.emit(`${String(ctx.key)} at ${ts}`),
          },
          { name: 'later' },
        )
        .sink('out', kafka.sink<string>({ brokers, topic: 'y' })),
    );
    const { plan: tp, setup: tsu } = setupOf(timed, 1);
    const chain = new TaskChain(tsu, tp.subtopologies[1], 0, 1, undefined);
    chain.process('later', 0, ['k']);
    expect(chain.nextProcessingTime()).toBe(due);
    const taken = new TaskChain(tsu, tp.subtopologies[1], 0, 1, chain.snapshot());
    expect(taken.nextProcessingTime()).toBe(due);
    expect(taken.tick(due - 1).sinks.size).toBe(0);
    expect(taken.tick(due).sinks.get('out')).toEqual([`k at ${due}`]);
    expect(taken.nextProcessingTime()).toBeUndefined();
  });
});
