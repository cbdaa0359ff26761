import { describe, expect, it } from 'vitest';
import type { OperatorContext } from '../../../actors/contract.js';
import { UserFunctionError } from '../../../actors/errors.js';
import { filterOperator } from '../../../actors/operators/filter.js';
import { flatMapOperator } from '../../../actors/operators/flat-map.js';
import { mapOperator } from '../../../actors/operators/map.js';
import { processOperator } from '../../../actors/operators/process.js';

function harness() {
  const dead: { record: unknown; error: Error }[] = [];
  const out: unknown[] = [];
  const ctx: OperatorContext = {
    operator: 'op',
    instance: 1,
    parallelism: 2,
    clock: { now: () => 0 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    deadLetter: (record, error) => dead.push({ record, error }),
    time: { watermark: -Infinity, processingTime: () => 0 },
    emitWatermark: () => {},
  };
  return { ctx, dead, out, collector: { emit: (v: unknown) => out.push(v) } };
}

const boomAt = (bad: number) => (v: number) => {
  if (v === bad) throw new Error(`bad ${v}`);
  return v;
};

describe('built-in operators', () => {
  it('map/filter/flatMap transform batches', () => {
    const h = harness();
    const m = mapOperator((v: number) => v * 2, 'restart');
    m.open!(h.ctx);
    m.processBatch([1, 2, 3], h.collector, 0);
    const f = filterOperator((v: number) => v % 2 === 1, 'restart');
    f.open!(h.ctx);
    f.processBatch([1, 2, 3], h.collector, 0);
    const fm = flatMapOperator((v: number) => [v, v], 'restart');
    fm.open!(h.ctx);
    fm.processBatch([7, 8], h.collector, 0);
    expect(h.out).toEqual([2, 4, 6, 1, 3, 7, 7, 8, 8]);
  });

  it("onError 'restart' raises a UserFunctionError naming operator, instance and record", () => {
    const h = harness();
    const m = mapOperator(boomAt(2), 'restart');
    m.open!(h.ctx);
    let err: unknown;
    try {
      m.processBatch([1, 2, 3], h.collector, 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UserFunctionError);
    expect((err as UserFunctionError).message).toBe("operator 'op' (instance 1) threw on record 2: bad 2");
    expect((err as UserFunctionError).context).toMatchObject({ operator: 'op', instance: 1, record: 2 });
    expect(h.out).toEqual([1]);
  });

  it("onError 'skip' dead-letters the record and goes on, for every operator kind", () => {
    for (const make of [
      () => mapOperator(boomAt(2), 'skip'),
      () => filterOperator((v: number) => boomAt(2)(v) > 0, 'skip'),
      () => flatMapOperator((v: number) => [boomAt(2)(v)], 'skip'),
      () => processOperator((v: number, c) => c.emit(boomAt(2)(v)), 'skip', undefined),
    ]) {
      const h = harness();
      const op = make();
      op.open!(h.ctx);
      op.processBatch([1, 2, 3], h.collector, 0);
      expect(h.out).toEqual([1, 3]);
      expect(h.dead.map((d) => d.record)).toEqual([2]);
      expect(h.dead[0].error.message).toContain('bad 2');
    }
  });

  it('a record that fails midway emits nothing (flatMap and process stage their outputs)', () => {
    const h = harness();
    const fm = flatMapOperator(function* (v: number) {
      yield v;
      if (v === 2) throw new Error('half way');
    }, 'skip');
    fm.open!(h.ctx);
    fm.processBatch([1, 2, 3], h.collector, 0);
    expect(h.out).toEqual([1, 3]);
    const h2 = harness();
    const p = processOperator((v: number, c) => {
      c.emit(v);
      if (v === 2) throw new Error('half way');
    }, 'skip', undefined);
    p.open!(h2.ctx);
    p.processBatch([1, 2, 3], h2.collector, 0);
    expect(h2.out).toEqual([1, 3]);
  });

  it('process sees the key of each record on a keyed stream', () => {
    const h = harness();
    const p = processOperator((v: string, c) => c.emit(`${String(c.key)}:${v}:${c.instance}/${c.parallelism}`), 'restart', (v: string) => v.length);
    p.open!(h.ctx);
    p.processBatch(['a', 'bb'], h.collector, 0);
    expect(h.out).toEqual(['1:a:1/2', '2:bb:1/2']);
  });
});
