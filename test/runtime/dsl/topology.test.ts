import { describe, expect, it } from 'vitest';
import { collect, generator, topology, TopologyError } from '../../../runtime/index.js';
import { validateGraph } from '../../../runtime/dsl/validate.js';
import type { LogicalGraph } from '../../../runtime/dsl/graph.js';

const src = () => generator({ count: 3 });

function buildError(fn: () => unknown): TopologyError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(TopologyError);
    return e as TopologyError;
  }
  throw new Error('expected the build to fail');
}

describe('topology DSL', () => {
  it('gives operators stable ids in build order and equal fingerprints for equal builds', () => {
    const build = () =>
      topology('j', (t) => {
        const a = t.source('a', src());
        const b = t.source('b', src());
        a.map((x) => x).filter(() => true).union(b.map((x) => x, { name: 'named' })).keyBy((x) => String(x)).process((x, c) => c.emit(x)).sink('out', collect());
      });
    const t1 = build();
    expect(t1.graph.nodes.map((n) => n.id)).toEqual(['a', 'b', 'map-1', 'filter-1', 'named', 'union-1', 'process-1', 'out']);
    expect(build().fingerprint).toBe(t1.fingerprint);
    const process = t1.graph.nodes.find((n) => n.id === 'process-1')!;
    expect(process.inputs[0].partitioning).toBe('hash');
    expect(process.keySelector).toBeTypeOf('function');
    expect(t1.graph.nodes.find((n) => n.id === 'union-1')!.inputs.map((e) => e.from)).toEqual(['filter-1', 'named']);
  });

  it('union takes operator options last: name and parallelism', () => {
    const t = topology('j', (b) => {
      const x = b.source('x', src());
      const y = b.source('y', src());
      const z = b.source('z', src());
      x.union(y, z, { name: 'all', parallelism: 3 }).sink('out', collect());
    });
    const u = t.graph.nodes.find((n) => n.kind === 'union')!;
    expect(u.id).toBe('all');
    expect(u.parallelism).toBe(3);
    expect(u.inputs.map((e) => e.from)).toEqual(['x', 'y', 'z']);
    const bad = buildError(() => topology('j', (b) => b.source('x', src()).union(b.source('y', src()), { parallelism: 0 }).sink('out', collect())));
    expect(bad.message).toMatch(/parallelism/);
  });

  it('changes the fingerprint when the shape changes', () => {
    const a = topology('j', (t) => t.source('a', src()).map((x) => x).sink('out', collect()));
    const b = topology('j', (t) => t.source('a', src()).filter(() => true).sink('out', collect()));
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('rejects a topology without sink', () => {
    const e = buildError(() => topology('j', (t) => t.source('a', src())));
    expect(e.message).toMatch(/operator 'a' has no downstream sink|has no sink/);
  });

  it('rejects a topology without source', () => {
    const e = buildError(() => topology('j', () => {}));
    expect(e.message).toContain("topology 'j' has no source");
    expect(e.message).toContain('Fix:');
  });

  it('rejects duplicate names, naming the operator', () => {
    const e = buildError(() =>
      topology('j', (t) => {
        t.source('a', src()).map((x) => x, { name: 'm' }).map((x) => x, { name: 'm' }).sink('out', collect());
      }),
    );
    expect(e.message).toContain("two operators are named 'm'");
    expect(e.context.operator).toBe('m');
  });

  it('rejects parallelism < 1 or not an integer, naming the operator', () => {
    expect(buildError(() => topology('j', (t) => t.source('a', src()).map((x) => x, { parallelism: 0 }).sink('out', collect()))).message).toContain("operator 'map-1' has parallelism 0");
    expect(buildError(() => topology('j', (t) => t.source('a', src(), { parallelism: 1.5 }).sink('out', collect()))).message).toContain("operator 'a' has parallelism 1.5");
  });

  it('rejects a dangling operator whose output reaches no sink', () => {
    const e = buildError(() =>
      topology('j', (t) => {
        const s = t.source('a', src());
        s.map((x) => x, { name: 'lost' });
        s.sink('out', collect());
      }),
    );
    expect(e.message).toContain("operator 'lost' has no downstream sink");
  });

  it('rejects a cycle in a graph, naming an operator on it', () => {
    const g: LogicalGraph = {
      name: 'cyclic',
      maxParallelism: 128,
      nodes: [
        { id: 'a', kind: 'source', onError: 'restart', inputs: [], source: src() },
        { id: 'x', kind: 'union', onError: 'restart', inputs: [{ from: 'a', partitioning: 'auto' }, { from: 'y', partitioning: 'auto' }] },
        { id: 'y', kind: 'map', onError: 'restart', inputs: [{ from: 'x', partitioning: 'auto' }], fn: (v) => v },
        { id: 'out', kind: 'sink', onError: 'restart', inputs: [{ from: 'y', partitioning: 'auto' }], sink: collect() },
      ],
    };
    const e = buildError(() => validateGraph(g));
    expect(e.message).toMatch(/has a cycle through '(x|y)'/);
  });

  it('rejects bad names, non-functions, non-connectors and unknown onError with a fix', () => {
    expect(buildError(() => topology('j', (t) => t.source('a b', src()).sink('out', collect()))).message).toContain('source name "a b" is invalid');
    expect(buildError(() => topology('j', (t) => t.source('a', src()).map(42 as never).sink('out', collect()))).message).toContain('map() needs a function');
    expect(buildError(() => topology('j', (t) => t.source('a', {} as never).sink('out', collect()))).message).toContain("source 'a' needs a source connector");
    expect(buildError(() => topology('j', (t) => t.source('a', src()).sink('out', {} as never))).message).toContain("sink 'out' needs a sink connector");
    expect(buildError(() => topology('j', (t) => t.source('a', src()).map((x) => x, { onError: 'ignore' as never }).sink('out', collect()))).message).toContain("onError \"ignore\"");
  });

  it('rejects union with a stream of another topology', () => {
    let foreign: any;
    topology('other', (t) => {
      foreign = t.source('a', src());
      foreign.sink('out', collect());
    });
    const e = buildError(() => topology('j', (t) => t.source('a', src()).union(foreign).sink('out', collect())));
    expect(e.message).toContain('union() takes streams of the same topology');
  });
});
