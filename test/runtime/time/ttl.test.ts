/** State TTL in a running job: processing time is the virtual clock in runInline, and expiry survives a restore. */
import { describe, expect, it } from 'vitest';
import { collect, topology } from '../../../runtime/index.js';
import { fromArray, runInline } from '../../../runtime/testing/index.js';

// One record every 10 virtual ms per key 'a', and key 'b' only at the start and after a long pause.
const data = [
  ...Array.from({ length: 30 }, (_, i) => ({ k: i === 0 || i === 29 ? 'b' : 'a', i })),
];

const job = topology('ttl-job', (t) =>
  t
    .source('in', fromArray(data, 100)) // 100 records/s: record i at ~10 i ms
    .keyBy((r) => r.k)
    .process<string>((r, ctx) => {
      const last = ctx.state.value<number>('last', { ttl: 100 });
      ctx.emit(`${r.k}${r.i}:${last.get() ?? 'expired'}`);
      last.set(r.i);
    })
    .sink('out', collect()),
);

describe('state ttl in a job', () => {
  it('a key written 290 ms ago has expired, one written 10 ms ago has not', async () => {
    const r = await runInline(job);
    expect(r.error).toBeUndefined();
    const out = r.outputs.out as string[];
    expect(out).toContain('b0:expired');
    expect(out).toContain('b29:expired'); // 'b' was written at ~0 ms, read again at ~290 ms: past its 100 ms ttl
    expect(out).toContain('a2:1');
    expect(out).toContain('a28:27');
  });

  it('the same after a worker crash: expiry times are part of the checkpointed state', async () => {
    const r = await runInline(job, { faults: [{ kind: 'worker-crash', worker: 0, atMs: 150 }], restart: { backoff: { initialMs: 10, maxMs: 10, multiplier: 1, jitter: 0 } } });
    expect(r.error).toBeUndefined();
    expect(r.restarts).toBe(1);
    const out = r.outputs.out as string[];
    expect(out).toContain('b29:expired');
    expect(out.filter((s) => s.startsWith('a')).length).toBe(28);
  });
});
