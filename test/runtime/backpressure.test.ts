/**
 * Credit-based flow control end to end on real worker threads: a source 10x
 * faster than its sink is held to the sink's pace; records in flight, queue
 * lengths and worker heaps stay bounded instead of growing with time.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run, type JobMetrics } from 'weir';

const fixture = fileURLToPath(new URL('../fixtures/slow-sink.ts', import.meta.url));

describe('backpressure', () => {
  it('keeps in-flight records, queues and heap flat when the sink is 10x slower than the source', async () => {
    const samples: JobMetrics[] = [];
    const batchSize = 256;
    const credits = 4;
    const handle = run(fixture, { workers: 2, metricsIntervalMs: 250, batchSize, credits, onMetrics: (m) => samples.push(m) });
    // 16 metric samples (~4 s unloaded), counted rather than timed: a slower machine samples later, not fewer times.
    const SAMPLES = 16;
    const until = performance.now() + 90_000;
    while (samples.length < SAMPLES && performance.now() < until) await new Promise((r) => setTimeout(r, 50));
    const result = await handle.stop();
    expect(result.stopped).toBe(true);
    expect(samples.length, 'metric samples within 90 s').toBeGreaterThanOrEqual(SAMPLES);

    const op = (m: JobMetrics, name: string) => m.operators.find((o) => o.operator === name)!;
    // Channels: source->map (2), map->sink (2). Each holds at most `credits` buffers
    // at the receiver plus one open buffer and one sealed batch at the sender.
    const channels = 4;
    const bound = channels * (credits + 2) * batchSize;
    // Workers sample independently, up to one interval apart: allow one interval of
    // sink throughput (~40k/s x 0.25 s) for that skew. Without credit the gap would
    // grow by ~160k records every second.
    const skew = 10_000;
    for (const m of samples.slice(1)) {
      const inFlight = op(m, 'in').recordsOut - op(m, 'out').recordsIn;
      expect(inFlight).toBeLessThanOrEqual(bound + skew);
      for (const o of m.operators) expect(o.queued).toBeLessThanOrEqual(2 * credits * batchSize);
    }
    // The source was held to the sink's pace (~20k/s per instance = ~40k/s), far below its 200k/s.
    // A slower machine only lowers both rates, so the bound (2.5x the sink's pace) cannot fail from load.
    const last = samples[samples.length - 1];
    const seconds = last.elapsedMs / 1000;
    expect(op(last, 'in').recordsOut / seconds).toBeLessThan(100_000);
    expect(op(last, 'out').recordsIn).toBeGreaterThan(1000);
    // Heaps flat: the later half of the run does not grow beyond the first half's peak plus slack.
    const heaps = (from: number, to: number) => samples.slice(from, to).flatMap((m) => m.workers.map((w) => w.heapUsed));
    const half = Math.floor(samples.length / 2);
    const early = Math.max(...heaps(1, half));
    const late = Math.max(...heaps(half, samples.length));
    expect(late).toBeLessThan(early + 16 * 1024 * 1024);
  });
});
