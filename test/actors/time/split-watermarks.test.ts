/** The per-split watermark core (Kafka partitions): minimum over active splits, idle splits left out, restore. */
import { describe, expect, it } from 'vitest';
import { SplitWatermarks } from '../../../actors/time/split-watermarks.js';

describe('SplitWatermarks', () => {
  it('is the minimum over the splits, each its max - outOfOrderness - 1', () => {
    const w = new SplitWatermarks<number>(10, undefined);
    expect(w.watermark(0)).toBeUndefined(); // no split seen yet
    w.record(0, 1000, 0);
    expect(w.watermark(0)).toBe(989);
    w.record(1, 400, 0);
    expect(w.watermark(0)).toBe(389); // partition 1 holds it back
    w.record(1, 300, 0); // out of order within the split: its max stays
    w.record(1, 2000, 0);
    expect(w.watermark(0)).toBe(989);
    expect(w.watermark(1e9)).toBe(989); // without idleTimeout a split never goes idle
  });

  it('leaves out splits idle for idleTimeout, and says when the next one turns idle', () => {
    const w = new SplitWatermarks<number>(0, 100);
    w.record(0, 5000, 0);
    w.record(1, 50, 40);
    expect(w.watermark(60)).toBe(49);
    expect(w.nextIdleAt(60)).toBe(100); // split 0, last record at 0
    w.record(0, 5100, 90);
    expect(w.nextIdleAt(95)).toBe(140); // split 1, last record at 40
    expect(w.watermark(140)).toBe(5099); // split 1 idle: split 0 alone
    expect(w.watermark(190)).toBeUndefined(); // all idle
    w.record(1, 60, 200); // active again with its next record
    expect(w.watermark(200)).toBe(59);
  });

  it('an assigned split holds the watermark back from the start, until its first record or idleTimeout', () => {
    const w = new SplitWatermarks<number>(0, 100);
    w.assigned([0, 1], 0);
    w.record(0, 5000, 10); // partition 0's first batch comes first
    expect(w.watermark(10)).toBe(Number.NEGATIVE_INFINITY); // partition 1 not read yet: no record of it can be late
    w.record(1, 40, 20);
    expect(w.watermark(20)).toBe(39);
    const empty = new SplitWatermarks<number>(0, 100);
    empty.assigned([0, 1], 0);
    empty.record(0, 5000, 50);
    expect(empty.watermark(99)).toBe(Number.NEGATIVE_INFINITY);
    expect(empty.watermark(100)).toBe(4999); // the empty partition went idle
  });

  it('restores per-split maxima: a split that shows up again never starts lower', () => {
    const a = new SplitWatermarks<number>(0, undefined);
    a.record(0, 700, 0);
    a.record(1, 900, 0);
    const b = new SplitWatermarks<number>(0, undefined);
    b.restore([a.snapshot()]);
    expect(b.watermark(0)).toBeUndefined(); // restored splits count from their next record
    b.record(1, 100, 0);
    expect(b.watermark(0)).toBe(899);
    expect(new Map(b.snapshot())).toEqual(new Map([[0, 700], [1, 900]]));
    const c = new SplitWatermarks<number>(0, undefined);
    c.restore([a.snapshot()]);
    c.assigned([0, 1], 0); // assigned after a restore: each split starts at its restored maximum
    expect(c.watermark(0)).toBe(699);
  });
});
