/**
 * A layered drawing of the job graph (Sugiyama, simplified): each operator
 * goes in the layer of its longest path from a source, so every edge points
 * right; the order within a layer is refined by a few barycenter sweeps
 * (down, then up) to cut crossings. Pure and deterministic: the dashboard
 * runs it in the browser, the tests in Node.
 *
 * ```ts
 * layout([{ id: 'in' }, { id: 'map' }, { id: 'out' }], [{ from: 'in', to: 'map' }, { from: 'map', to: 'out' }]);
 * // in at layer 0, map at 1, out at 2, all in row 0
 * ```
 */

export interface LayoutOptions {
  nodeWidth: number;
  nodeHeight: number;
  /** Horizontal gap between layers, vertical gap between rows. */
  gapX: number;
  gapY: number;
  /** Barycenter sweeps (down + up counts as two). */
  sweeps: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { nodeWidth: 190, nodeHeight: 64, gapX: 70, gapY: 26, sweeps: 8 };

export interface PlacedNode {
  id: string;
  layer: number;
  /** Position within its layer (0 = top). */
  row: number;
  x: number;
  y: number;
}

export interface GraphLayout {
  nodes: PlacedNode[];
  width: number;
  height: number;
  layers: number;
}

export function layout(nodes: { id: string }[], edges: { from: string; to: string }[], options: Partial<LayoutOptions> = {}): GraphLayout {
  const o = { ...DEFAULT_LAYOUT, ...options };
  const ids = nodes.map((n) => n.id);
  const index = new Map(ids.map((id, i) => [id, i]));
  const preds: number[][] = ids.map(() => []);
  const succs: number[][] = ids.map(() => []);
  for (const e of edges) {
    const a = index.get(e.from);
    const b = index.get(e.to);
    if (a === undefined || b === undefined || a === b) continue;
    succs[a].push(b);
    preds[b].push(a);
  }
  // Longest path from a source (Kahn's order; a cycle, which a plan never has, is broken where it is met).
  const layer = new Array<number>(ids.length).fill(0);
  const indeg = preds.map((p) => p.length);
  const queue = ids.map((_, i) => i).filter((i) => indeg[i] === 0);
  const seen = new Array<boolean>(ids.length).fill(false);
  for (let q = 0; q < queue.length || seen.includes(false); q++) {
    if (q >= queue.length) queue.push(seen.indexOf(false)); // cycle: start anywhere unseen
    const n = queue[q];
    if (seen[n]) continue;
    seen[n] = true;
    for (const s of succs[n]) {
      layer[s] = Math.max(layer[s], layer[n] + 1);
      if (--indeg[s] === 0) queue.push(s);
    }
  }
  const layers = Math.max(0, ...layer) + (ids.length ? 1 : 0);
  const rows: number[][] = Array.from({ length: layers }, () => []);
  ids.forEach((_, i) => rows[layer[i]].push(i)); // initial order: declaration order
  const pos = new Array<number>(ids.length).fill(0);
  const renumber = (l: number) => rows[l].forEach((n, r) => (pos[n] = r));
  for (let l = 0; l < layers; l++) renumber(l);
  for (let s = 0; s < o.sweeps; s++) {
    const down = s % 2 === 0;
    for (let k = 1; k < layers; k++) {
      const l = down ? k : layers - 1 - k;
      const nbrs = down ? preds : succs;
      const bary = new Map<number, number>();
      for (const n of rows[l]) {
        const ns = nbrs[n];
        bary.set(n, ns.length ? ns.reduce((a, m) => a + pos[m], 0) / ns.length : pos[n]);
      }
      // Stable: ties keep the current order.
      rows[l] = rows[l].map((n, i) => ({ n, i })).sort((a, b) => bary.get(a.n)! - bary.get(b.n)! || a.i - b.i).map((x) => x.n);
      renumber(l);
    }
  }
  const tallest = Math.max(0, ...rows.map((r) => r.length));
  const rowH = o.nodeHeight + o.gapY;
  const placed: PlacedNode[] = ids.map((id, i) => {
    const l = layer[i];
    const offset = ((tallest - rows[l].length) * rowH) / 2; // centre short layers
    return { id, layer: l, row: pos[i], x: l * (o.nodeWidth + o.gapX), y: offset + pos[i] * rowH };
  });
  return {
    nodes: placed,
    width: layers ? layers * o.nodeWidth + (layers - 1) * o.gapX : 0,
    height: tallest ? tallest * o.nodeHeight + (tallest - 1) * o.gapY : 0,
    layers,
  };
}

/** Edge crossings between adjacent layers (for tests and to judge the ordering). */
export function crossings(g: GraphLayout, edges: { from: string; to: string }[]): number {
  const by = new Map(g.nodes.map((n) => [n.id, n]));
  const segs = edges.map((e) => [by.get(e.from), by.get(e.to)] as const).filter(([a, b]) => a && b && b.layer === a.layer + 1) as [PlacedNode, PlacedNode][];
  let c = 0;
  for (let i = 0; i < segs.length; i++) {
    for (let j = i + 1; j < segs.length; j++) {
      const [a1, b1] = segs[i];
      const [a2, b2] = segs[j];
      if (a1.layer !== a2.layer) continue;
      if ((a1.row - a2.row) * (b1.row - b2.row) < 0) c++;
    }
  }
  return c;
}
