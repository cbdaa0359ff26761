import { describe, expect, it } from 'vitest';
import { generator } from '../../connectors/generator.js';
import type { SourceConnector, SourceContext, SourceReader } from '../../actors/contract.js';

/**
 * A complete SourceContext for one generator instance. A generator never
 * dead-letters (it decodes nothing), so a call to deadLetter fails the test.
 */
function context(instance: number, parallelism: number, now: () => number, restored?: unknown[]): SourceContext {
  const ctx = {
    operator: 'g',
    instance,
    parallelism,
    clock: { now },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    job: 'generator-test',
    restored,
    onError: 'restart' as const,
    deadLetter(record: unknown, error: Error): void {
      throw new Error(`generator dead-lettered ${String(record)}: ${error.message}`);
    },
  };
  return ctx;
}

function open<T>(g: SourceConnector<T>, instance: number, parallelism: number, now = () => 0): Promise<SourceReader<T>> {
  return Promise.resolve(g.open(context(instance, parallelism, now)));
}

function openRestored<T>(g: SourceConnector<T>, instance: number, parallelism: number, restored: unknown[]): Promise<SourceReader<T>> {
  return Promise.resolve(g.open(context(instance, parallelism, () => 0, restored)));
}

describe('generator', () => {
  it('emits "Message i" up to count and then is done', async () => {
    const r = await open(generator({ count: 5 }), 0, 1);
    expect(await r.pull(3)).toEqual({ records: ['Message 0', 'Message 1', 'Message 2'], done: false });
    expect(await r.pull(3)).toEqual({ records: ['Message 3', 'Message 4'], done: true });
  });

  it('parallel instances split the sequence, each index once', async () => {
    const g = generator({ count: 10, value: (i) => i });
    const all: number[] = [];
    for (const i of [0, 1, 2]) all.push(...((await (await open(g, i, 3)).pull(100)).records));
    expect(all.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('paces to ratePerSec on the injected clock', async () => {
    let t = 0;
    const r = await open(generator({ ratePerSec: 1000 }), 0, 1, () => t);
    expect((await r.pull(100)).records).toHaveLength(1);
    const wait = await r.pull(100);
    expect(wait.records).toHaveLength(0);
    expect(wait.waitMs).toBeGreaterThan(0);
    t = 50;
    expect((await r.pull(100)).records).toHaveLength(50);
  });

  it('resumes from a restored position (replay after a rollback)', async () => {
    const a = await open(generator({ count: 10, value: (i) => i }), 1, 2);
    await a.pull(2);
    const pos = a.position!(1);
    const b = await openRestored(generator({ count: 10, value: (i) => i }), 1, 2, [pos]);
    expect((await b.pull(10)).records).toEqual([5, 7, 9]);
  });

  it('after a rescale every index is emitted exactly once across old and new instances', async () => {
    const g = () => generator({ count: 50, value: (i) => i });
    const old = await Promise.all([0, 1, 2].map((i) => open(g(), i, 3)));
    const before = [(await old[0].pull(4)).records, (await old[1].pull(9)).records, (await old[2].pull(1)).records].flat();
    const positions = old.map((r) => r.position!(1));
    const after: number[] = [];
    for (const i of [0, 1]) after.push(...((await (await openRestored(g(), i, 2, positions)).pull(100)).records));
    expect([...before, ...after].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('rejects bad options with a fix', () => {
    expect(() => generator({ count: -1 })).toThrow(/generator count is -1. Fix:/);
    expect(() => generator({ ratePerSec: 0 })).toThrow(/generator ratePerSec is 0. Fix:/);
  });
});
