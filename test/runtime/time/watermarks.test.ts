/**
 * Watermarks through every channel kind, inline on virtual time with two
 * simulated workers (so channels are both in-memory and across workers):
 * forward, keyBy (hash), rebalance, broadcast and union. An operator's
 * watermark is the minimum over its inputs (so a record of the slower input
 * is never late), an idle input stops holding it back, and a Kafka source
 * can take event time from its records' timestamps.
 */
import { describe, expect, it } from 'vitest';
import { collect, kafka, topology, type Stream } from '../../../runtime/index.js';
import { fromArray, runInline } from '../../../runtime/testing/index.js';

type R = { src: string; t: number };
type Seen = { src: string; t: number; wm: number };

/** Two sources whose event time advances at different speeds: fast = 10 ms per record, slow = 1 ms. */
const fast: R[] = Array.from({ length: 200 }, (_, i) => ({ src: 'fast', t: i * 10 }));
const slow: R[] = Array.from({ length: 200 }, (_, i) => ({ src: 'slow', t: i }));

function job(route: (s: Stream<R>) => Stream<R>, o: { idleTimeout?: number; slowRate?: number } = {}) {
  return topology('wm-flow', (t) => {
    const a = t.source('fast', fromArray(fast, 1000)).assignTimestamps((r) => r.t, { interval: 0 });
    const b = t.source('slow', fromArray(slow, o.slowRate ?? 1000)).assignTimestamps((r) => r.t, { interval: 0, idleTimeout: o.idleTimeout });
    route(a.union(b))
      .process<Seen>((r, ctx) => ctx.emit({ src: r.src, t: r.t, wm: ctx.watermark }), { parallelism: 2 })
      .sink('out', collect());
  });
}

const routes: [string, (s: Stream<R>) => Stream<R>][] = [
  ['forward (union)', (s) => s],
  ['keyBy', (s) => s.keyBy((r) => r.t % 7)],
  ['rebalance', (s) => s.rebalance()],
  ['broadcast', (s) => s.broadcast()],
];

describe('watermarks are the minimum over inputs, through every channel kind', () => {
  for (const [name, route] of routes) {
    it(name, async () => {
      const r = await runInline(job(route), { workers: 2, parallelism: 2, batchSize: 4 });
      expect(r.error).toBeUndefined();
      const seen = r.outputs.out as Seen[];
      expect(seen.length).toBe(name === 'broadcast' ? 800 : 400);
      // With the maximum instead of the minimum, the slow source's records would be behind the watermark.
      for (const s of seen) expect(s.t, `${s.src} record at ${s.t} behind watermark ${s.wm}`).toBeGreaterThan(s.wm);
      const advanced = seen.filter((s) => s.wm > 0);
      expect(advanced.length, 'the watermark advanced while records flowed').toBeGreaterThan(100);
    });
  }

  it('an idle input stops holding the watermark back (idleTimeout)', async () => {
    // The slow source emits 5 records/s: without idleness the watermark follows it (~1 ms of event time per 200 ms).
    const held = await runInline(job((s) => s.keyBy((r) => r.t % 3), { slowRate: 5 }), { workers: 2, parallelism: 2, batchSize: 4, stopAtMs: 1500 });
    const idle = await runInline(job((s) => s.keyBy((r) => r.t % 3), { slowRate: 5, idleTimeout: 20 }), { workers: 2, parallelism: 2, batchSize: 4, stopAtMs: 1500 });
    const maxWm = (x: typeof held) => Math.max(...(x.outputs.out as Seen[]).filter((s) => s.src === 'fast').map((s) => s.wm));
    expect(maxWm(held)).toBeLessThan(20);
    expect(maxWm(idle)).toBeGreaterThan(1000);
  });
});

describe('Kafka record timestamps as event time', () => {
  it('kafka.source({ envelope: true, timestamps }) assigns event time right after the source', async () => {
    const job = topology('kafka-ts', (t) =>
      t
        .source('in', kafka.source({ brokers: '127.0.0.1:9092', topic: 'unused', envelope: true, timestamps: { outOfOrderness: 5 } }))
        .keyBy(() => 0)
        .process<number>((_r, ctx) => ctx.emit(ctx.timestamp!))
        .sink('out', collect()),
    );
    expect(job.graph.nodes.map((n) => `${n.id}:${n.kind}`)).toEqual(['in:source', 'in.timestamps:timestamps', 'process-1:process', 'out:sink']);
    const records = [3, 1, 7].map((ts, i) => ({ key: null, value: `v${i}`, headers: {}, timestamp: ts, topic: 'unused', partition: 0, offset: i }));
    const r = await runInline(job, { inputs: { in: records } });
    expect(r.outputs.out).toEqual([3, 1, 7]);
  });

  it('needs envelope: true (the timestamp travels in the record)', () => {
    expect(() => kafka.source({ brokers: '127.0.0.1:9092', topic: 'x', timestamps: {} })).toThrow(/timestamps come from the Kafka record.*Fix: kafka.source\(\{ \.\.\., envelope: true/);
  });
});
