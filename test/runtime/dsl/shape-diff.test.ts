import { describe, expect, it } from 'vitest';
import { generator, stdout, topology } from '../../../runtime/index.js';
import { graphShape } from '../../../runtime/dsl/fingerprint.js';
import { shapeDifferences } from '../../../runtime/dsl/shape-diff.js';

const build = (kind: 'reduce' | 'process', extra: boolean) =>
  topology('job', (t) => {
    const k = t.source('in', generator({ count: 3 })).keyBy((v) => String(v));
    const c = kind === 'reduce' ? k.reduce((a) => a, { name: 'count' }) : k.process((v, ctx) => ctx.emit(v), { name: 'count' });
    const s = extra ? c.map((v) => v, { name: 'fmt' }) : c;
    return s.sink('out', stdout());
  });

describe('shapeDifferences (names how two builds of a topology differ)', () => {
  it('is empty for equal builds and names kind changes and missing operators', () => {
    expect(shapeDifferences(graphShape(build('reduce', true).graph), graphShape(build('reduce', true).graph))).toEqual([]);
    const d = shapeDifferences(graphShape(build('reduce', false).graph), graphShape(build('process', true).graph));
    expect(d).toContain("operator 'count' is a reduce here, a process there");
    expect(d).toContain("operator 'out' reads count(auto) here, fmt(auto) there");
    expect(d).toContain("operator 'fmt' (map) exists only there");
  });
});
