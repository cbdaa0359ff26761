import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BufferLedger, CreditLedger } from '../../../runtime/channel/credit.js';
import { InputChannel } from '../../../runtime/channel/input-channel.js';
import { OutputChannel } from '../../../runtime/channel/output-channel.js';
import { localCreditLink, localLink } from '../../../runtime/channel/transport.js';

describe('credit ledger', () => {
  it('never lets a sender spend credit it does not have', () => {
    const l = new CreditLedger(2);
    l.spend();
    l.spend();
    expect(l.canSend()).toBe(false);
    expect(() => l.spend()).toThrow(/bug: sending without credit/);
    l.grant(1);
    expect(l.available).toBe(1);
    expect(() => l.grant(5)).toThrow(/above the receiver's 2 buffers/);
  });

  it('a receiver refuses a batch beyond its buffers', () => {
    const b = new BufferLedger(1);
    b.receive();
    expect(() => b.receive()).toThrow(/beyond 1 buffers/);
    b.consume();
    expect(() => b.consume()).toThrow(/not queued/);
  });
});

describe('a channel under credit', () => {
  function wire(credits: number, batchSize: number) {
    let out!: OutputChannel;
    let unblocked = 0;
    const inp = new InputChannel(0, 0, credits, localCreditLink(() => out), () => {});
    out = new OutputChannel(0, localLink(() => inp), credits, batchSize, () => unblocked++, () => 0);
    return { out, inp, unblocked: () => unblocked };
  }

  it('blocks the sender when the receiver holds all buffers, and resumes when they are consumed', () => {
    const { out, inp, unblocked } = wire(2, 3);
    for (let i = 0; i < 9; i++) out.push(i);
    expect(inp.queued).toBe(2);
    expect(out.blocked).toBe(true);
    expect(inp.take()).toEqual([0, 1, 2]);
    inp.release();
    expect(unblocked()).toBe(1);
    expect(out.blocked).toBe(false);
    expect(inp.queued).toBe(2);
  });

  it('sends the end event only after every batch, and keeps FIFO order', () => {
    const { out, inp } = wire(1, 2);
    out.push('a');
    out.push('b');
    out.push('c');
    out.end();
    expect(inp.finished).toBe(false);
    const got: unknown[] = [];
    while (!inp.finished) {
      got.push(...inp.take());
      inp.release();
    }
    expect(got).toEqual(['a', 'b', 'c']);
    expect(out.isEnded).toBe(true);
  });

  // size 'max': up to 200 operations (fast-check's default size stops near 10).
  const ops200 = fc.array(fc.boolean(), { maxLength: 200, size: 'max' });

  it('its arbitrary reaches the sizes the property needs: runs of 100 to 200 operations', () => {
    const lengths = fc.sample(ops200, { seed: 1, numRuns: 200 }).map((o) => o.length);
    expect(lengths.filter((n) => n >= 100).length).toBeGreaterThan(50);
  });

  it('property: any interleaving of pushes and consumption delivers every record once, in order, within the buffer bound', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 5 }), ops200, (credits, batchSize, ops) => {
        const { out, inp } = wire(credits, batchSize);
        const got: number[] = [];
        let n = 0;
        for (const push of ops) {
          if (push && !out.blocked) out.push(n++);
          else if (inp.hasData()) {
            got.push(...(inp.take() as number[]));
            inp.release();
          }
          expect(inp.queued).toBeLessThanOrEqual(credits);
        }
        out.end();
        while (!inp.finished) {
          got.push(...(inp.take() as number[]));
          inp.release();
        }
        expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });
});
