import { describe, expect, it } from 'vitest';
import { collect, generator, topology } from '../../../runtime/index.js';
import { plan } from '../../../runtime/plan/planner.js';

const src = () => generator({ count: 3 });

describe('planner', () => {
  it('expands operators by parallelism and co-locates forward chains (instance i on worker i mod W)', () => {
    const t = topology('j', (b) => b.source('in', src(), { parallelism: 3 }).map((x) => x, { parallelism: 3 }).sink('out', collect(), { parallelism: 3 }));
    const p = plan(t.graph, { workers: 2 });
    expect(p.actors.map((a) => [a.operator, a.instance, a.worker])).toEqual([
      ['in', 0, 0], ['in', 1, 1], ['in', 2, 0],
      ['map-1', 0, 0], ['map-1', 1, 1], ['map-1', 2, 0],
      ['out', 0, 0], ['out', 1, 1], ['out', 2, 0],
    ]);
    expect(p.channels).toHaveLength(6);
    expect(p.channels.every((c) => c.local)).toBe(true);
    for (const a of p.actors.filter((x) => x.kind !== 'sink')) {
      expect(a.outputs).toHaveLength(1);
      expect(a.outputs[0].partitioning).toBe('forward');
      const ch = p.channels[a.outputs[0].channels[0]];
      expect(p.actors[ch.to].instance).toBe(a.instance);
    }
    // three independent forward slices: three failover regions
    expect(p.regions).toBe(3);
  });

  it('plans hash edges all-to-all and joins everything into one region', () => {
    const t = topology('j', (b) => b.source('in', src(), { parallelism: 2 }).keyBy((x) => String(x)).map((x) => x, { parallelism: 3 }).sink('out', collect(), { parallelism: 3 }));
    const p = plan(t.graph, { workers: 2 });
    const srcActors = p.actors.filter((a) => a.operator === 'in');
    for (const s of srcActors) {
      expect(s.outputs[0].partitioning).toBe('hash');
      expect(s.outputs[0].channels.map((c) => p.actors[p.channels[c].to].instance)).toEqual([0, 1, 2]);
    }
    const cross = p.channels.filter((c) => !c.local);
    expect(cross.length).toBeGreaterThan(0);
    for (const c of p.channels) expect(c.local).toBe(p.actors[c.from].worker === p.actors[c.to].worker);
    expect(p.regions).toBe(1);
  });

  it('turns auto into rebalance where parallelism changes, and uses the default parallelism', () => {
    const t = topology('j', (b) => b.source('in', src(), { parallelism: 1 }).map((x) => x).sink('out', collect()));
    const p = plan(t.graph, { workers: 4, defaultParallelism: 4 });
    expect(p.actors.filter((a) => a.operator === 'map-1')).toHaveLength(4);
    expect(p.actors[0].outputs[0].partitioning).toBe('rebalance');
    expect(p.actors[0].outputs[0].channels).toHaveLength(4);
    const mapToSink = p.actors.find((a) => a.operator === 'map-1')!.outputs[0];
    expect(mapToSink.partitioning).toBe('forward');
  });

  it('gives union inputs their input index and broadcast edges all channels', () => {
    const t = topology('j', (b) => {
      const x = b.source('x', src());
      const y = b.source('y', src());
      x.union(y).broadcast().map((v) => v, { parallelism: 2 }).sink('out', collect(), { parallelism: 2 });
    });
    const p = plan(t.graph, { workers: 1 });
    const union = p.actors.find((a) => a.operator === 'union-1')!;
    expect(union.inputs.map((c) => p.channels[c].inputIndex).sort()).toEqual([0, 1]);
    expect(union.outputs[0].partitioning).toBe('broadcast');
    expect(union.outputs[0].channels).toHaveLength(2);
  });

  it('is pure: the same graph gives the same plan', () => {
    const t = topology('j', (b) => b.source('in', src(), { parallelism: 2 }).keyBy((x) => String(x)).map((x) => x, { parallelism: 2 }).sink('out', collect()));
    expect(plan(t.graph, { workers: 2 })).toEqual(plan(t.graph, { workers: 2 }));
  });

  it('rejects a worker count below 1', () => {
    const t = topology('j', (b) => b.source('in', src()).sink('out', collect()));
    expect(() => plan(t.graph, { workers: 0 })).toThrow(/workers must be an integer >= 1/);
  });
});
