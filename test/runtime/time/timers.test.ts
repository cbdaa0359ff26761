/**
 * Timers in `process({ onRecord, onTimer })` on keyed streams, run inline on
 * virtual time: event-time timers fire as the watermark passes, processing-
 * time timers by the (virtual) clock, one per key and timestamp, a timer in
 * the past fires at once, and timers survive failover (restored from the
 * checkpoint; processing-time timers that came due while the job was down
 * fire on restore).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collect, topology } from '../../../runtime/index.js';
import { checkExactlyOnce, faultSchedule, fromArray, runInline } from '../../../runtime/testing/index.js';

type R = { k: string; t: number };
type Fired = { k: string; ts: number; wm: number; domain: string };

const eventTimers = (data: R[] = [], withWatermark = true) =>
  topology(withWatermark ? 'event-timers' : 'event-timers-eo', (t) =>
    t
      .source('in', fromArray(data))
      .assignTimestamps((r: R) => r.t, { outOfOrderness: 5, interval: 0 })
      .keyBy((r) => r.k)
      .process<Fired>({
        onRecord: (r, ctx) => {
          ctx.timers.eventTime(r.t + 10);
          ctx.timers.eventTime(r.t + 10); // one timer per key and timestamp
        },
        // The watermark a timer fires at depends on timing; the exactly-once runs leave it out.
        onTimer: (ts, ctx) => ctx.emit(withWatermark ? { k: ctx.key as string, ts, wm: ctx.watermark, domain: ctx.domain } : ({ k: ctx.key, ts } as Fired)),
      })
      .sink('out', collect()),
  );

describe('event-time timers', () => {
  it('fire once per key and timestamp, only when the watermark has passed them, at any parallelism', async () => {
    const data: R[] = [];
    for (let i = 0; i < 200; i++) data.push({ k: `k${i % 7}`, t: i - (i % 3) * 2 }); // disorder within 5 ms
    for (const parallelism of [1, 2, 3]) {
      const r = await runInline(eventTimers(), { inputs: { in: data }, parallelism, workers: 2, batchSize: 8 });
      expect(r.error).toBeUndefined();
      const out = r.outputs.out as Fired[];
      const want = new Set(data.map((d) => `${d.k}@${d.t + 10}`));
      expect(out.map((f) => `${f.k}@${f.ts}`).sort()).toEqual([...want].sort());
      for (const f of out) {
        expect(f.wm).toBeGreaterThanOrEqual(f.ts);
        expect(f.domain).toBe('event');
      }
      // Most fired before the end of input (the final watermark fires the rest).
      expect(out.filter((f) => f.wm !== Infinity).length).toBeGreaterThan(100);
    }
  });

  it('a timer already behind the watermark fires at once (right after its batch)', async () => {
    const data: R[] = Array.from({ length: 100 }, (_, i) => ({ k: 'a', t: i * 10 }));
    const job = topology('past-timer', (t) =>
      t
        .source('in', fromArray(data, 1000)) // paced: the watermark moves while records still come
        .assignTimestamps((r: R) => r.t, { interval: 0 })
        .keyBy((r) => r.k)
        .process<Fired>({
          onRecord: (r, ctx) => {
            if (r.t >= 500) ctx.timers.eventTime(r.t - 400); // long past by then
          },
          onTimer: (ts, ctx) => ctx.emit({ k: String(ctx.key), ts, wm: ctx.watermark, domain: ctx.domain }),
        })
        .sink('out', collect()),
    );
    const r = await runInline(job, { batchSize: 1 });
    expect(r.error).toBeUndefined();
    const out = r.outputs.out as Fired[];
    expect(out.map((f) => f.ts)).toEqual(Array.from({ length: 50 }, (_, i) => 100 + i * 10));
    for (const f of out) expect(f.wm).toBeLessThan(Infinity); // fired at once, not at the end of input
  });

  it('delete removes a timer; timers need a keyed stream', async () => {
    const data: R[] = [
      { k: 'a', t: 1 },
      { k: 'b', t: 2 },
    ];
    const job = topology('delete-timer', (t) =>
      t
        .source('in', fromArray(data))
        .assignTimestamps((r: R) => r.t)
        .keyBy((r) => r.k)
        .process<string>({
          onRecord: (r, ctx) => {
            ctx.timers.eventTime(100);
            if (r.k === 'a') ctx.timers.deleteEventTime(100);
          },
          onTimer: (_ts, ctx) => ctx.emit(String(ctx.key)),
        })
        .sink('out', collect()),
    );
    expect((await runInline(job)).outputs.out).toEqual(['b']);
    const unkeyed = topology('unkeyed-timer', (t) =>
      t
        .source('in', fromArray([1]))
        .process<number>({ onRecord: (_r, ctx) => ctx.timers.eventTime(1), onTimer: () => {} }, { onError: 'stop' })
        .sink('out', collect()),
    );
    const r = await runInline(unkeyed);
    expect(r.error?.message).toMatch(/timers need a keyed stream. Fix: keyBy\(\.\.\.\) before this process\(\)/);
  });
});

const procTimers = (data: R[] = []) =>
  topology('proc-timers', (t) =>
    t
      .source('in', fromArray(data, 200)) // paced over ~1 s of virtual time
      .keyBy((r: R) => r.k)
      .process<Fired>({
        // Processing time is the virtual clock: a timer at r.t fires when the simulation reaches it.
        onRecord: (r, ctx) => ctx.timers.processingTime(r.t),
        onTimer: (ts, ctx) => ctx.emit({ k: ctx.key as string, ts, wm: ctx.timers.now(), domain: ctx.domain }),
      })
      .sink('out', collect()),
  );

describe('processing-time timers', () => {
  // Record i arrives at about i * 5 ms; its timer is due at 100 + i * 4 ms: all are due before the input ends.
  const data: R[] = Array.from({ length: 200 }, (_, i) => ({ k: `k${i % 5}`, t: 100 + i * 4 }));

  it('fire by the virtual clock, never before their time', async () => {
    const r = await runInline(procTimers(data), { parallelism: 2, workers: 2 });
    expect(r.error).toBeUndefined();
    const out = r.outputs.out as Fired[];
    expect(out.length).toBe(200);
    for (const f of out) {
      expect(f.wm).toBeGreaterThanOrEqual(f.ts);
      expect(f.domain).toBe('processing');
    }
  });

  it('came due while the job was down: fire on restore, each exactly once', async () => {
    // Worker 0 crashes at 500 ms and the region stays down for 1 s of virtual time (restart backoff):
    // timers due in between fire as soon as the restored actors run.
    const r = await runInline(procTimers(data), {
      parallelism: 2,
      workers: 2,
      faults: [{ kind: 'worker-crash', worker: 0, atMs: 500 }],
      restart: { backoff: { initialMs: 1000, maxMs: 1000, multiplier: 1, jitter: 0 } },
    });
    expect(r.error).toBeUndefined();
    expect(r.restarts).toBeGreaterThan(0);
    const clean = await runInline(procTimers(data), { parallelism: 2, workers: 2 });
    const key = (f: Fired) => `${f.k}@${f.ts}`;
    const got = (r.outputs.out as Fired[]).map(key).sort();
    expect(new Set(got).size).toBe(got.length); // none twice
    // Every timer of the clean run fired in the faulty run too (late ones later, at restore).
    expect(got).toEqual((clean.outputs.out as Fired[]).map(key).sort());
    const late = (r.outputs.out as Fired[]).filter((f) => f.wm - f.ts >= 500);
    expect(late.length, 'timers that came due during the outage fired after the restore').toBeGreaterThan(0);
  });
});

describe('timers under simulated faults (exactly-once of what onTimer emits)', () => {
  it('event-time timers: committed output with faults equals the fault-free output', async () => {
    let runs = 0;
    const input = fc
      .array(fc.record({ k: fc.constantFrom('a', 'b', 'c', 'd'), t: fc.integer({ min: 0, max: 400 }) }), { minLength: 1, maxLength: 150, size: 'max' })
      .map((xs) => {
        runs++;
        // Within the out-of-orderness bound: sort, then swap neighbours at most 5 ms apart.
        const s = xs.sort((a, b) => a.t - b.t);
        for (let i = 1; i < s.length; i += 2) if (s[i].t - s[i - 1].t <= 5) [s[i - 1], s[i]] = [s[i], s[i - 1]];
        return s;
      });
    // Faults are placed by weir/testing inside each input's fault-free run (several checkpoints in).
    const coverage = await checkExactlyOnce(() => eventTimers([], false), input, { workers: 2, parallelism: 2, numRuns: 25 });
    expect(runs).toBeGreaterThanOrEqual(25);
    expect(coverage.restarted, 'runs in which a fault forced a restore').toBeGreaterThan(10);
    expect(coverage.midRun, 'runs restored from a mid-run checkpoint').toBeGreaterThan(5);
  }, 300_000);
});

describe('watermarks never go backwards, also across failover', () => {
  // Each key keeps the highest watermark it saw in keyed state (restored with the checkpoint); the
  // operator's watermark must never be below it, also after a restore from that checkpoint.
  const job = topology('wm-monotonic', (t) =>
    t
      .source('in', fromArray<R>([], 500))
      .assignTimestamps((r: R) => r.t, { outOfOrderness: 3, interval: 0 })
      .rebalance()
      .filter(() => true)
      .keyBy((r) => r.k)
      .process<string>(
        (r, ctx) => {
          const seen = ctx.state.value<number>('wm', -Infinity);
          if (ctx.watermark < seen.get()!) throw new Error(`watermark went back from ${seen.get()} to ${ctx.watermark}`);
          seen.set(ctx.watermark);
          ctx.emit(`${r.k}${r.t}`);
        },
        { onError: 'stop' },
      )
      .sink('out', collect()),
  );
  it('under simulated worker crashes, hangs and actor failures at parallelism 1-3', async () => {
    // weir/testing places the faults inside each fault-free run, after checkpoints that hold watermarks.
    const input = fc.array(fc.record({ k: fc.constantFrom('a', 'b', 'c'), t: fc.nat(1000) }), { minLength: 100, maxLength: 300, size: 'max' }).map((xs) => xs.sort((a, b) => a.t - b.t));
    for (const parallelism of [1, 3]) {
      const coverage = await checkExactlyOnce(job, input, { workers: 2, parallelism, numRuns: 15 });
      expect(coverage.restarted, `runs in which a fault forced a restore (parallelism ${parallelism})`).toBeGreaterThan(7);
      expect(coverage.midRun, `runs restored from a mid-run checkpoint (parallelism ${parallelism})`).toBeGreaterThan(3);
    }
  }, 300_000);
});
