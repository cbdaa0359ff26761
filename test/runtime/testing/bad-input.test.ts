/**
 * weir/testing's bad input: fault schedules naming what does not exist or
 * falling outside the run, and input arbitraries whose data the topology
 * does not accept. Each gets an error naming the problem and the valid
 * range or the fix, never a pass.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collect, generator, topology } from 'weir';
import { checkExactlyOnce, runInline, type Fault } from 'weir/testing';

const keyedCount = topology('bad-input-count', (t) =>
  t
    .source('in', generator({ count: 0 }))
    .keyBy((w: string) => w)
    .process<string>((w, ctx) => {
      const s = ctx.state.value<number>('n', 0);
      s.set(s.get()! + 1);
      ctx.emit(`${w},${s.get()}`);
    }, { name: 'count' })
    .sink('out', collect()),
);
const twoSources = topology('bad-input-two', (t) => {
  const a = t.source('a', generator({ count: 0 }));
  const b = t.source('b', generator({ count: 0 }));
  a.union(b).sink('out', collect());
});
const words = fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: 50, maxLength: 100, size: 'max' });
const run = (faults: Fault[]) => runInline(keyedCount, { inputs: { in: ['a', 'b'] }, workers: 2, parallelism: 2, faults });

describe('a fault schedule naming what does not exist', () => {
  it('a worker', async () => {
    await expect(run([{ kind: 'worker-crash', worker: 2, atMs: 1 }])).rejects.toThrow(/names worker 2, but the run has 2 worker\(s\)\. Fix: use 0\.\.1/);
    await expect(run([{ kind: 'crash-after-checkpoint', worker: -1, checkpoint: 1, beforeSinkCommit: false }])).rejects.toThrow(/names worker -1.*Fix: use 0\.\.1/);
  });

  it('an operator, or a source where an operator is needed', async () => {
    await expect(run([{ kind: 'actor-throws', operator: 'nope', instance: 0, afterRecords: 1 }])).rejects.toThrow(/names operator 'nope'.*Fix: use one of in, count, out/);
    await expect(run([{ kind: 'actor-throws', operator: 'in', instance: 0, afterRecords: 1 }])).rejects.toThrow(/names source 'in'.*Fix: name one of count, out/);
  });

  it('an instance', async () => {
    await expect(run([{ kind: 'actor-throws', operator: 'count', instance: 2, afterRecords: 1 }])).rejects.toThrow(/names instance 2 of 'count', which runs 2 instance\(s\)\. Fix: use 0\.\.1/);
  });

  it('a value no run can have, or a kind that does not exist', async () => {
    await expect(run([{ kind: 'actor-throws', operator: 'count', instance: 0, afterRecords: 0 }])).rejects.toThrow(/has afterRecords 0\. Fix: an integer >= 1/);
    await expect(run([{ kind: 'worker-hang', worker: 0, atMs: -5, forMs: 10 }])).rejects.toThrow(/has atMs -5\. Fix: an integer >= 0/);
    await expect(run([{ kind: 'checkpoint-fails', nth: 0 }])).rejects.toThrow(/has nth 0\. Fix: an integer >= 1/);
    await expect(run([{ kind: 'reboot' } as unknown as Fault])).rejects.toThrow(/has no known kind\. Fix: kind is one of actor-throws, worker-crash/);
  });
});

describe('a fault option outside the run', () => {
  const property = (faults: Fault[]) => checkExactlyOnce(keyedCount, words, { faults: fc.constant(faults), numRuns: 3, logger: false });

  it('a time after the fault-free run ended', async () => {
    await expect(property([{ kind: 'worker-crash', worker: 0, atMs: 1_000_000 }])).rejects.toThrow(/falls outside the fault-free run of this input: the run lasts \d+ virtual ms.*Fix: atMs in 0\.\.\d+/);
  });

  it('more records than the actor takes', async () => {
    await expect(property([{ kind: 'actor-throws', operator: 'count', instance: 0, afterRecords: 5000 }])).rejects.toThrow(/count\[0\] takes \d+ record\(s\).*Fix: afterRecords in 1\.\.\d+/);
  });

  it('a checkpoint the run never completes', async () => {
    await expect(property([{ kind: 'checkpoint-fails', nth: 500 }])).rejects.toThrow(/the run completes \d+ checkpoint\(s\).*Fix: nth in 1\.\.\d+/);
  });

  it('faultOptions that only absolute schedules have', async () => {
    await expect(checkExactlyOnce(keyedCount, words, { faultOptions: { horizonMs: 40 } as never })).rejects.toThrow(/faultOptions\.horizonMs is for faultSchedule\(\) only.*Fix: remove faultOptions\.horizonMs/);
  });
});

describe('an input arbitrary whose data the topology does not accept', () => {
  it('records the user function throws on: an error, not a pass', async () => {
    const upper = topology('bad-input-upper', (t) => t.source('in', generator({ count: 0 })).map((s: string) => s.toUpperCase()).sink('out', collect()));
    await expect(checkExactlyOnce(upper, fc.array(fc.integer(), { minLength: 1, maxLength: 20 }), { numRuns: 5, logger: false })).rejects.toThrow(
      /the input arbitrary produced data topology 'bad-input-upper' does not accept.*the fault-free run failed: .*toUpperCase/s,
    );
  });

  it('one array for a topology with two sources', async () => {
    await expect(checkExactlyOnce(twoSources, fc.array(fc.integer(), { minLength: 1 }), { numRuns: 5, logger: false })).rejects.toThrow(
      /draws one array, but topology 'bad-input-two' has sources a, b\. Fix: draw fc\.record\(\{ a: fc\.array\(\.\.\.\), b: fc\.array\(\.\.\.\) \}\)/,
    );
  });

  it('values msgpack cannot encode', async () => {
    await expect(checkExactlyOnce(keyedCount, fc.constant([() => 1]) as never, { numRuns: 2, logger: false })).rejects.toThrow(/does not accept.*msgpack cannot encode/s);
  });

  it('inputs with nothing to restore (here: always empty): the property fails as vacuous, saying how to enlarge them', async () => {
    const err = await checkExactlyOnce(keyedCount, fc.constant([] as string[]), { numRuns: 20, logger: false }).then(
      () => undefined,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).toBe('VACUOUS_PROPERTY');
    expect(err?.message).toMatch(/none of its 20 runs restored from a mid-run checkpoint.*Fix: draw larger inputs \(e\.g\. fc\.array\(arb, \{ minLength: 20, maxLength: 300 \}\)\)/);
  });
});
