import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Barrier } from '../../../runtime/channel/barrier.js';
import { InputChannel } from '../../../runtime/channel/input-channel.js';
import { OutputChannel } from '../../../runtime/channel/output-channel.js';
import { localCreditLink, localLink, type ChannelLink } from '../../../runtime/channel/transport.js';

/** One channel, both ends in memory, as credit.test.ts wires it. */
function wire(credits: number, batchSize: number, now: () => number = () => 0) {
  let out!: OutputChannel;
  let unblocked = 0;
  let dataSignals = 0;
  const inp = new InputChannel(0, 0, credits, localCreditLink(() => out), () => dataSignals++);
  out = new OutputChannel(0, localLink(() => inp), credits, batchSize, () => unblocked++, now);
  return { out, inp, unblocked: () => unblocked, dataSignals: () => dataSignals };
}

type Item = { data: unknown[] } | { barrier: number };

/** Consume everything the input holds right now (barriers too), returning credit per batch. */
function drain(inp: InputChannel): Item[] {
  const got: Item[] = [];
  for (;;) {
    if (inp.hasData()) {
      got.push({ data: inp.take() });
      inp.release();
    } else if (inp.headBarrier() !== undefined) {
      got.push({ barrier: inp.headBarrier()! });
      inp.popBarrier();
    } else return got;
  }
}

describe('Barrier', () => {
  it('carries its checkpoint id', () => {
    const b = new Barrier(7);
    expect(b.id).toBe(7);
    expect(b).toBeInstanceOf(Barrier);
  });
});

describe('localLink / localCreditLink', () => {
  it('hand batches, barriers and end straight to the receiver, and credit straight to the sender', () => {
    const calls: unknown[] = [];
    const link = localLink(() => ({
      deliverBatch: (r) => calls.push(['batch', r]),
      deliverBarrier: (id) => calls.push(['barrier', id]),
      deliverWatermark: (ts) => calls.push(['watermark', ts]),
      deliverEnd: () => calls.push(['end']),
    }));
    const batch = [1, 2];
    link.sendBatch(batch);
    link.sendBarrier(3);
    link.sendEnd();
    expect(calls).toEqual([['batch', [1, 2]], ['barrier', 3], ['end']]);
    expect((calls[0] as unknown[])[1]).toBe(batch); // no copy, no serialization
    const grants: number[] = [];
    localCreditLink(() => ({ grant: (n) => grants.push(n) })).grant(2);
    expect(grants).toEqual([2]);
  });

  it('resolve the other end lazily (so both ends can refer to each other)', () => {
    let target: { deliverBatch(r: unknown[]): void; deliverBarrier(id: number): void; deliverWatermark(ts: number): void; deliverEnd(): void } | undefined;
    const link = localLink(() => target!);
    const got: number[] = [];
    target = { deliverBatch: () => {}, deliverBarrier: (id) => got.push(id), deliverWatermark: () => {}, deliverEnd: () => {} };
    link.sendBarrier(1);
    expect(got).toEqual([1]);
  });
});

describe('barriers in an output channel', () => {
  it('flush the open buffer: the barrier comes after every record pushed before it', () => {
    const { out, inp } = wire(4, 10);
    out.push('a');
    out.push('b');
    expect(inp.queued).toBe(0); // buffered, not sent
    out.barrier(1);
    expect(out.buffered).toBe(0);
    out.push('c');
    out.seal();
    expect(drain(inp)).toEqual([{ data: ['a', 'b'] }, { barrier: 1 }, { data: ['c'] }]);
  });

  it('with an empty buffer, the barrier goes out alone at once', () => {
    const { out, inp } = wire(1, 2);
    out.barrier(1);
    expect(inp.headBarrier()).toBe(1);
    expect(inp.hasData()).toBe(false);
    expect(inp.queued).toBe(0); // a barrier takes no buffer
  });

  it('needs no credit: it is sent at once when no batch waits, even with zero credit', () => {
    const { out, inp } = wire(1, 1);
    out.push('a'); // spends the only credit
    expect(out.credit).toBe(0);
    expect(out.blocked).toBe(false);
    out.barrier(1);
    out.barrier(2);
    expect(out.credit).toBe(0);
    expect(out.blocked).toBe(false);
    expect(drain(inp)).toEqual([{ data: ['a'] }, { barrier: 1 }, { barrier: 2 }]);
  });

  it('waits behind batches that wait for credit, and overtakes nothing while the sender is blocked', () => {
    const { out, inp, unblocked } = wire(1, 2);
    out.push(1);
    out.push(2); // batch [1,2] sent, credit 0
    out.push(3);
    out.push(4); // batch [3,4] waits
    expect(out.blocked).toBe(true);
    out.push(5); // the actor would be stopped; a record in the open buffer
    out.barrier(7); // seals [5] behind [3,4], barrier behind that
    out.push(6);
    out.seal(); // [6] after the barrier
    expect(inp.headBarrier()).toBeUndefined();
    expect(inp.queued).toBe(1);

    const got: Item[] = [];
    while (got.length < 5) {
      const step = drain(inp);
      got.push(...step);
      if (step.length === 0) throw new Error('stuck');
    }
    expect(got).toEqual([{ data: [1, 2] }, { data: [3, 4] }, { data: [5] }, { barrier: 7 }, { data: [6] }]);
    expect(out.blocked).toBe(false);
    expect(unblocked()).toBe(1);
  });

  it('a barrier right behind a credit-blocked batch is sent as soon as that batch gets credit', () => {
    const { out, inp } = wire(1, 1);
    out.push('a'); // sent
    out.push('b'); // waits
    out.barrier(3);
    expect(inp.headBarrier()).toBeUndefined();
    expect(inp.take()).toEqual(['a']);
    inp.release(); // credit back: 'b' goes out, and the barrier right after it
    expect(inp.take()).toEqual(['b']);
    expect(inp.headBarrier()).toBe(3);
    expect(out.blocked).toBe(false);
  });

  it('end comes after barriers and batches', () => {
    const { out, inp } = wire(1, 5);
    out.push('x');
    out.barrier(1);
    out.end();
    expect(inp.finished).toBe(false);
    expect(inp.take()).toEqual(['x']);
    inp.release();
    expect(inp.finished).toBe(false); // the barrier is still queued
    expect(inp.headBarrier()).toBe(1);
    inp.popBarrier();
    expect(inp.finished).toBe(true);
    expect(out.isEnded).toBe(true);
  });

  it('end waits for credit of the batches before it, barriers in between', () => {
    const { out, inp } = wire(1, 1);
    out.push('a');
    out.push('b');
    out.barrier(1);
    out.end();
    expect(out.isEnded).toBe(false);
    expect(inp.take()).toEqual(['a']);
    inp.release();
    expect(out.isEnded).toBe(true);
    expect(drain(inp)).toEqual([{ data: ['b'] }, { barrier: 1 }]);
    expect(inp.finished).toBe(true);
  });

  it('measures the time it is blocked by credit', () => {
    let t = 100;
    const { out, inp } = wire(1, 1, () => t);
    out.push('a');
    out.push('b'); // blocked from t=100
    out.barrier(1);
    t = 130;
    inp.take();
    inp.release(); // unblocked at t=130
    expect(out.backpressuredMs).toBe(30);
  });

  it('the link sees barriers in push order relative to batches (no reordering at the link)', () => {
    const sent: string[] = [];
    const link: ChannelLink = {
      sendBatch: (r) => sent.push(`b${JSON.stringify(r)}`),
      sendBarrier: (id) => sent.push(`B${id}`),
      sendWatermark: (ts) => sent.push(`W${ts}`),
      sendEnd: () => sent.push('E'),
    };
    const out = new OutputChannel(0, link, 1, 2, () => {}, () => 0);
    out.push(1);
    out.push(2); // sent
    out.push(3);
    out.barrier(1); // [3] waits, then B1
    out.push(4);
    out.barrier(2); // [4] waits, then B2
    out.end();
    expect(sent).toEqual(['b[1,2]']);
    out.grant(1);
    expect(sent).toEqual(['b[1,2]', 'b[3]', 'B1']);
    out.grant(1);
    expect(sent).toEqual(['b[1,2]', 'b[3]', 'B1', 'b[4]', 'B2', 'E']);
  });
});

describe('barriers in an input channel', () => {
  it('a barrier at the head blocks data behind it until popped', () => {
    const { out, inp } = wire(4, 1);
    out.barrier(1);
    out.push('a');
    expect(inp.hasData()).toBe(false);
    expect(inp.headBarrier()).toBe(1);
    expect(() => inp.take()).toThrow(/^bug: take\(\) without a batch at the head/);
    inp.popBarrier();
    expect(inp.hasData()).toBe(true);
    expect(inp.take()).toEqual(['a']);
  });

  it('popBarrier without a barrier at the head is a bug', () => {
    const { out, inp } = wire(4, 1);
    expect(() => inp.popBarrier()).toThrow(/^bug: popBarrier\(\) without a barrier at the head/);
    out.push('a');
    expect(() => inp.popBarrier()).toThrow(/^bug:/);
  });

  it('barriers take no buffer and are not counted as queued records', () => {
    const { out, inp } = wire(2, 2);
    out.push(1);
    out.barrier(1);
    out.barrier(2);
    out.push(2);
    out.push(3);
    expect(inp.queued).toBe(2);
    expect(inp.queuedRecords).toBe(3);
  });

  it('signals the receiver for barriers and end as well as batches', () => {
    const { out, inp, dataSignals } = wire(2, 1);
    out.barrier(1);
    expect(dataSignals()).toBe(1);
    out.push('a');
    expect(dataSignals()).toBe(2);
    out.end();
    expect(dataSignals()).toBe(3);
    expect(inp.queued).toBe(1);
  });

  it('a barrier or batch after end is a bug', () => {
    const { inp } = wire(2, 1);
    inp.deliverEnd();
    expect(() => inp.deliverBarrier(1)).toThrow(/^bug: barrier after end on channel 0/);
    expect(() => inp.deliverBatch([1])).toThrow(/^bug: batch after end on channel 0/);
  });

  it('keeps FIFO order over a long run (queue compaction does not lose barriers)', () => {
    const { out, inp } = wire(3, 1);
    const expected: Item[] = [];
    const got: Item[] = [];
    for (let i = 0; i < 500; i++) {
      if (i % 7 === 3) {
        out.barrier(i);
        expected.push({ barrier: i });
      } else {
        out.push(i);
        expected.push({ data: [i] });
      }
      if (i % 3 === 0) got.push(...drain(inp));
    }
    got.push(...drain(inp));
    expect(got).toEqual(expected);
  });

  const op = fc.oneof(fc.constant('push' as const), fc.constant('barrier' as const), fc.constant('consume' as const), fc.constant('seal' as const));
  // size 'max': up to 150 operations (fast-check's default size stops near 10).
  const ops150 = fc.array(op, { maxLength: 150, size: 'max' });

  it('its arbitrary reaches the sizes the property needs: runs of 75 to 150 operations with several barriers', () => {
    const samples = fc.sample(ops150, { seed: 1, numRuns: 200 });
    expect(samples.filter((o) => o.length >= 75).length).toBeGreaterThan(50);
    expect(samples.filter((o) => o.filter((x) => x === 'barrier').length >= 10).length).toBeGreaterThan(50);
  });

  it('property: on one channel, barriers split the records exactly where they were pushed, under any credit and batch size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), ops150, (credits, batchSize, ops) => {
        const { out, inp } = wire(credits, batchSize);
        let n = 0;
        let nextBarrier = 1;
        /** The records pushed before each barrier. */
        const before = new Map<number, number[]>();
        const pushed: number[] = [];
        const consumed: number[] = [];
        const consume = () => {
          if (inp.hasData()) {
            consumed.push(...(inp.take() as number[]));
            inp.release();
          } else if (inp.headBarrier() !== undefined) {
            const id = inp.headBarrier()!;
            expect(consumed).toEqual(before.get(id));
            inp.popBarrier();
          }
        };
        for (const o of ops) {
          if (o === 'push' && !out.blocked) {
            out.push(n);
            pushed.push(n++);
          } else if (o === 'barrier') {
            before.set(nextBarrier, [...pushed]);
            out.barrier(nextBarrier++);
          } else if (o === 'seal') out.seal();
          else consume();
          expect(inp.queued).toBeLessThanOrEqual(credits);
        }
        out.end();
        let guard = 0;
        while (!inp.finished) {
          consume();
          if (guard++ > 10_000) throw new Error('stuck');
        }
        expect(consumed).toEqual(pushed);
      }),
      { numRuns: 300 },
    );
  });
});
