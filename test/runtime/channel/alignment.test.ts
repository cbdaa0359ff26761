import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { alignedBarrier, releaseBarrier } from '../../../runtime/channel/alignment.js';
import { InputChannel } from '../../../runtime/channel/input-channel.js';
import { OutputChannel } from '../../../runtime/channel/output-channel.js';
import { localCreditLink, localLink } from '../../../runtime/channel/transport.js';

/** `n` channels into one receiving actor, each from its own sender. */
function wireMany(n: number, credits: number, batchSize: number) {
  const outs: OutputChannel[] = [];
  const ins: InputChannel[] = [];
  for (let i = 0; i < n; i++) {
    const inp = new InputChannel(i, 0, credits, localCreditLink(() => outs[i]), () => {});
    ins.push(inp);
    outs.push(new OutputChannel(i, localLink(() => inp), credits, batchSize, () => {}, () => 0));
  }
  return { outs, ins };
}

function takeAll(ch: InputChannel): unknown[] {
  const got: unknown[] = [];
  while (ch.hasData()) {
    got.push(...ch.take());
    ch.release();
  }
  return got;
}

describe('barrier alignment', () => {
  it('no barriers anywhere: nothing is aligned', () => {
    const { outs, ins } = wireMany(2, 2, 1);
    expect(alignedBarrier(ins)).toBeUndefined();
    outs[0].push('a');
    expect(alignedBarrier(ins)).toBeUndefined();
  });

  it('two inputs: undefined until the barrier is at the head of both, then its id', () => {
    const { outs, ins } = wireMany(2, 4, 1);
    outs[0].push('a0');
    outs[0].barrier(1);
    outs[0].push('a1'); // after the barrier: held
    outs[1].push('b0');
    expect(alignedBarrier(ins)).toBeUndefined();
    expect(takeAll(ins[0])).toEqual(['a0']);
    expect(ins[0].headBarrier()).toBe(1);
    expect(ins[0].hasData()).toBe(false); // a1 is held behind the barrier
    expect(alignedBarrier(ins)).toBeUndefined(); // input 1 has no barrier yet
    outs[1].barrier(1);
    expect(alignedBarrier(ins)).toBeUndefined(); // b0 is still before it
    expect(takeAll(ins[1])).toEqual(['b0']);
    expect(alignedBarrier(ins)).toBe(1);
    // aligned is a query: asking again changes nothing
    expect(alignedBarrier(ins)).toBe(1);
    releaseBarrier(ins);
    expect(ins[0].headBarrier()).toBeUndefined();
    expect(ins[1].headBarrier()).toBeUndefined();
    expect(alignedBarrier(ins)).toBeUndefined();
    // data flows again after the release
    expect(takeAll(ins[0])).toEqual(['a1']);
    outs[1].push('b1');
    expect(takeAll(ins[1])).toEqual(['b1']);
  });

  it('three inputs, barriers arriving in any order', () => {
    const { outs, ins } = wireMany(3, 2, 1);
    outs[2].barrier(5);
    expect(alignedBarrier(ins)).toBeUndefined();
    outs[0].barrier(5);
    expect(alignedBarrier(ins)).toBeUndefined();
    outs[1].push('x');
    outs[1].barrier(5);
    expect(alignedBarrier(ins)).toBeUndefined();
    expect(takeAll(ins[1])).toEqual(['x']);
    expect(alignedBarrier(ins)).toBe(5);
    releaseBarrier(ins);
    expect(ins.map((c) => c.headBarrier())).toEqual([undefined, undefined, undefined]);
  });

  it('finished inputs count as aligned', () => {
    const { outs, ins } = wireMany(3, 2, 1);
    outs[0].push('last');
    outs[0].end();
    outs[1].barrier(2);
    outs[2].barrier(2);
    expect(alignedBarrier(ins)).toBeUndefined(); // input 0 ended but still holds data
    expect(ins[0].finished).toBe(false);
    expect(takeAll(ins[0])).toEqual(['last']);
    expect(ins[0].finished).toBe(true);
    expect(alignedBarrier(ins)).toBe(2);
    releaseBarrier(ins); // leaves the finished input alone
    expect(ins[0].finished).toBe(true);
    expect(alignedBarrier(ins)).toBeUndefined();
  });

  it('an ended input with its barrier still at the head counts with that barrier', () => {
    const { outs, ins } = wireMany(2, 2, 1);
    outs[0].barrier(3);
    outs[0].end();
    expect(ins[0].finished).toBe(false);
    expect(alignedBarrier(ins)).toBeUndefined();
    outs[1].barrier(3);
    expect(alignedBarrier(ins)).toBe(3);
    releaseBarrier(ins);
    expect(ins[0].finished).toBe(true);
  });

  it('all inputs finished and no barrier: nothing to align', () => {
    const { outs, ins } = wireMany(2, 2, 1);
    outs[0].end();
    outs[1].end();
    expect(alignedBarrier(ins)).toBeUndefined();
  });

  it('one input', () => {
    const { outs, ins } = wireMany(1, 1, 1);
    outs[0].barrier(1);
    expect(alignedBarrier(ins)).toBe(1);
    releaseBarrier(ins);
    expect(alignedBarrier(ins)).toBeUndefined();
  });

  it('no inputs: nothing to align', () => {
    expect(alignedBarrier([])).toBeUndefined();
  });

  it('two different barrier ids at the heads is a bug', () => {
    const { ins } = wireMany(2, 1, 1);
    ins[0].deliverBarrier(1);
    ins[1].deliverBarrier(2);
    expect(() => alignedBarrier(ins)).toThrow(/^bug: barriers 1 and 2 at the heads of one actor's inputs/);
  });

  it('a barrier blocks only its own input: the other inputs keep flowing', () => {
    const { outs, ins } = wireMany(2, 1, 1);
    outs[0].barrier(1);
    outs[0].push('held');
    for (let i = 0; i < 10; i++) {
      outs[1].push(i);
      expect(takeAll(ins[1])).toEqual([i]);
    }
    expect(ins[0].hasData()).toBe(false);
    expect(outs[0].blocked).toBe(false); // 'held' went out on the one credit and waits in the input queue
  });

  it('barriers need no credit: a sender blocked on credit still lets the barrier align once its batches are consumed', () => {
    const { outs, ins } = wireMany(2, 1, 2);
    for (let i = 0; i < 6; i++) outs[0].push(i); // [0,1] sent, [2,3] and [4,5] wait
    expect(outs[0].blocked).toBe(true);
    outs[0].barrier(1);
    outs[1].barrier(1);
    expect(alignedBarrier(ins)).toBeUndefined();
    expect(takeAll(ins[0])).toEqual([0, 1, 2, 3, 4, 5]);
    expect(outs[0].blocked).toBe(false);
    expect(alignedBarrier(ins)).toBe(1);
  });

  it('several checkpoints in a row', () => {
    const { outs, ins } = wireMany(2, 4, 1);
    for (const id of [1, 2, 3]) {
      outs[0].push(`a${id}`);
      outs[0].barrier(id);
    }
    for (const id of [1, 2, 3]) {
      outs[1].barrier(id);
      outs[1].push(`b${id}`);
    }
    const aligned: number[] = [];
    const seen: unknown[] = [];
    for (let guard = 0; guard < 100; guard++) {
      const b = alignedBarrier(ins);
      if (b !== undefined) {
        aligned.push(b);
        seen.push(`|${b}`);
        releaseBarrier(ins);
        continue;
      }
      const ch = ins.find((c) => c.hasData());
      if (!ch) break;
      seen.push(...ch.take());
      ch.release();
    }
    expect(aligned).toEqual([1, 2, 3]);
    expect(seen.indexOf('|1')).toBeGreaterThan(seen.indexOf('a1'));
    expect(seen.indexOf('|1')).toBeLessThan(seen.indexOf('b1'));
    expect(seen.indexOf('|2')).toBeGreaterThan(seen.indexOf('a2'));
    expect(seen.indexOf('|3')).toBeLessThan(seen.indexOf('b3'));
    expect(seen.filter((s) => typeof s === 'string' && !s.startsWith('|')).sort()).toEqual(['a1', 'a2', 'a3', 'b1', 'b2', 'b3']);
  });
});

describe('barrier alignment (property)', () => {
  type Op = { t: 'push'; ch: number } | { t: 'barrier'; ch: number } | { t: 'step'; pick: number } | { t: 'seal'; ch: number };

  it('the records consumed before aligned barrier n are exactly those pushed before barrier n on each channel', () => {
    const opArb = (n: number): fc.Arbitrary<Op> =>
      fc.oneof(
        { weight: 4, arbitrary: fc.record({ t: fc.constant('push' as const), ch: fc.integer({ min: 0, max: n - 1 }) }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('barrier' as const), ch: fc.integer({ min: 0, max: n - 1 }) }) },
        { weight: 4, arbitrary: fc.record({ t: fc.constant('step' as const), pick: fc.nat() }) },
        { weight: 1, arbitrary: fc.record({ t: fc.constant('seal' as const), ch: fc.integer({ min: 0, max: n - 1 }) }) },
      );
    const arb = fc.integer({ min: 2, max: 3 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        credits: fc.integer({ min: 1, max: 3 }),
        batchSize: fc.integer({ min: 1, max: 4 }),
        ops: fc.array(opArb(n), { maxLength: 200, size: 'max' }), // size 'max': up to 200 (the default size stops near 10)
        // at the end, does each sender send its missing barriers before ending, or just end?
        catchUp: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      }),
    );
    // The property's runs reach 100 to 200 operations, with several barriers per channel.
    const sampled = fc.sample(arb, { seed: 1, numRuns: 200 });
    expect(sampled.filter((s) => s.ops.length >= 100).length).toBeGreaterThan(50);
    expect(sampled.filter((s) => s.ops.filter((o) => o.t === 'barrier').length >= 2 * s.n).length).toBeGreaterThan(50);
    fc.assert(
      fc.property(arb, ({ n, credits, batchSize, ops, catchUp }) => {
        const { outs, ins } = wireMany(n, credits, batchSize);
        const pushed: number[][] = Array.from({ length: n }, () => []);
        const consumed: number[][] = Array.from({ length: n }, () => []);
        /** before[ch][id - 1]: the records pushed on ch before its barrier id. */
        const before: number[][][] = Array.from({ length: n }, () => []);
        const aligned: number[] = [];
        let next = 0;

        const barrier = (ch: number) => {
          before[ch].push([...pushed[ch]]);
          outs[ch].barrier(before[ch].length);
        };
        const step = (pick: number): boolean => {
          const b = alignedBarrier(ins);
          if (b !== undefined) {
            // barriers are aligned in order, one at a time
            expect(b).toBe(aligned.length + 1);
            for (let ch = 0; ch < n; ch++) {
              // a channel that ended before barrier b contributes everything it carried
              const expected = before[ch][b - 1] ?? pushed[ch];
              expect(consumed[ch]).toEqual(expected);
            }
            aligned.push(b);
            releaseBarrier(ins);
            return true;
          }
          const ready = ins.filter((c) => c.hasData());
          if (ready.length === 0) return false;
          const ch = ready[pick % ready.length];
          consumed[ch.id].push(...(ch.take() as number[]));
          ch.release();
          return true;
        };

        for (const op of ops) {
          if (op.t === 'push') {
            if (outs[op.ch].blocked) continue; // the sending actor would not run
            outs[op.ch].push(next);
            pushed[op.ch].push(next++);
          } else if (op.t === 'barrier') barrier(op.ch);
          else if (op.t === 'seal') outs[op.ch].seal();
          else step(op.pick);
          for (const c of ins) expect(c.queued).toBeLessThanOrEqual(credits);
        }

        const maxBarrier = Math.max(...before.map((b) => b.length));
        for (let ch = 0; ch < n; ch++) {
          if (catchUp[ch]) while (before[ch].length < maxBarrier) barrier(ch);
          outs[ch].end();
        }
        let guard = 0;
        while (step(guard)) if (guard++ > 100_000) throw new Error('stuck');

        expect(ins.every((c) => c.finished)).toBe(true);
        expect(outs.every((o) => o.isEnded)).toBe(true);
        // every barrier that some channel carried got aligned, in order
        expect(aligned).toEqual(Array.from({ length: maxBarrier }, (_, i) => i + 1));
        // nothing lost, nothing duplicated, FIFO per channel
        expect(consumed).toEqual(pushed);
      }),
      { numRuns: 400 },
    );
  });
});
