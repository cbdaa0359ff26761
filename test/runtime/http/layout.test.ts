// Tests runtime/http/dashboard/layout.ts: the layered drawing of the job graph.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crossings, DEFAULT_LAYOUT, layout } from '../../../runtime/http/dashboard/layout.js';

const ids = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `op${i}` }));

describe('layout', () => {
  it('puts each operator in the layer of its longest path from a source', () => {
    const g = layout(ids(4), [
      { from: 'op0', to: 'op1' },
      { from: 'op1', to: 'op2' },
      { from: 'op0', to: 'op2' },
      { from: 'op2', to: 'op3' },
    ]);
    expect(g.nodes.map((n) => n.layer)).toEqual([0, 1, 2, 3]);
    expect(g.layers).toBe(4);
  });

  it('orders a layer to undo crossings (barycenter)', () => {
    // a->d, b->c declared so that declaration order crosses.
    const nodes = [{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'd' }];
    const edges = [
      { from: 'a', to: 'd' },
      { from: 'b', to: 'c' },
    ];
    expect(crossings(layout(nodes, edges, { sweeps: 0 }), edges)).toBe(1);
    expect(crossings(layout(nodes, edges), edges)).toBe(0);
  });

  it('on random DAGs up to 50 operators: edges point right, nodes never overlap, the drawing stays bounded (property)', () => {
    let big = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }).chain((n) => fc.tuple(fc.constant(n), fc.array(fc.tuple(fc.nat({ max: n - 1 }), fc.nat({ max: n - 1 })), { maxLength: 2 * n, size: 'max' }))),
        ([n, pairs]) => {
          if (n >= 40) big++;
          // Edges from lower to higher index: a DAG, as plans are.
          const edges = pairs.filter(([a, b]) => a < b).map(([a, b]) => ({ from: `op${a}`, to: `op${b}` }));
          const g = layout(ids(n), edges);
          const at = new Map(g.nodes.map((x) => [x.id, x]));
          for (const e of edges) expect(at.get(e.to)!.layer).toBeGreaterThan(at.get(e.from)!.layer);
          const seen = new Set<string>();
          for (const x of g.nodes) {
            const key = `${x.x},${x.y}`;
            expect(seen.has(key)).toBe(false);
            seen.add(key);
            expect(x.x + DEFAULT_LAYOUT.nodeWidth).toBeLessThanOrEqual(g.width);
            expect(x.y + DEFAULT_LAYOUT.nodeHeight).toBeLessThanOrEqual(g.height + 0.001);
          }
          expect(g.width).toBeLessThanOrEqual(n * (DEFAULT_LAYOUT.nodeWidth + DEFAULT_LAYOUT.gapX));
        },
      ),
      { numRuns: 150 },
    );
    expect(big).toBeGreaterThan(10);
  });

  it('a 50-operator fan-out/fan-in job is drawn in a few layers, not one long row', () => {
    const nodes = [{ id: 'src' }, ...ids(48), { id: 'sink' }];
    const edges = [...ids(48).map((n) => ({ from: 'src', to: n.id })), ...ids(48).map((n) => ({ from: n.id, to: 'sink' }))];
    const g = layout(nodes, edges);
    expect(g.layers).toBe(3);
    expect(g.nodes.find((n) => n.id === 'sink')!.y).toBeCloseTo(g.nodes.find((n) => n.id === 'src')!.y);
  });
});
