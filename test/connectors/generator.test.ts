import { describe, expect, it } from 'vitest';
import { generator } from '../../connectors/generator.js';
import type { SourceReader } from '../../actors/contract.js';

function open(g: ReturnType<typeof generator>, instance: number, parallelism: number, now = () => 0) {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return g.open({ operator: 'g', instance, parallelism, clock: { now }, log }) as SourceReader<unknown>;
}

function openRestored(g: ReturnType<typeof generator>, instance: number, parallelism: number, restored: unknown[]) {
  const log = { debug() {}, info() {}, warn() {}, error() {} };
  return g.open({ operator: 'g', instance, parallelism, clock: { now: () => 0 }, log, restored }) as SourceReader<unknown>;
}

describe('generator', () => {
  it('emits "Message i" up to count and then is done', () => {
    const r = open(generator({ count: 5 }), 0, 1);
    expect(r.pull(3)).toEqual({ records: ['Message 0', 'Message 1', 'Message 2'], done: false });
    expect(r.pull(3)).toEqual({ records: ['Message 3', 'Message 4'], done: true });
  });

  it('parallel instances split the sequence, each index once', () => {
    const g = generator({ count: 10, value: (i) => i });
    const all = [0, 1, 2].flatMap((i) => open(g, i, 3).pull(100).records as number[]);
    expect(all.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('paces to ratePerSec on the injected clock', () => {
    let t = 0;
    const r = open(generator({ ratePerSec: 1000 }), 0, 1, () => t);
    expect(r.pull(100).records).toHaveLength(1);
    const wait = r.pull(100);
    expect(wait.records).toHaveLength(0);
    expect(wait.waitMs).toBeGreaterThan(0);
    t = 50;
    expect(r.pull(100).records).toHaveLength(50);
  });

  it('resumes from a restored position (replay after a rollback)', () => {
    const a = open(generator({ count: 10, value: (i) => i }), 1, 2);
    a.pull(2);
    const pos = a.position!();
    const b = openRestored(generator({ count: 10, value: (i) => i }), 1, 2, [pos]);
    expect(b.pull(10).records).toEqual([5, 7, 9]);
  });

  it('after a rescale every index is emitted exactly once across old and new instances', () => {
    const g = () => generator({ count: 50, value: (i) => i });
    const old = [0, 1, 2].map((i) => open(g(), i, 3));
    const before = [old[0].pull(4).records, old[1].pull(9).records, old[2].pull(1).records].flat() as number[];
    const positions = old.map((r) => r.position!());
    const after = [0, 1].flatMap((i) => openRestored(g(), i, 2, positions).pull(100).records as number[]);
    expect([...before, ...after].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('rejects bad options with a fix', () => {
    expect(() => generator({ count: -1 })).toThrow(/generator count is -1. Fix:/);
    expect(() => generator({ ratePerSec: 0 })).toThrow(/generator ratePerSec is 0. Fix:/);
  });
});
