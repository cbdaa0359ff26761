/** Runs examples/device-temperature.ts on weir/testing's simulation and checks its averages and late readings. */
import { describe, expect, it } from 'vitest';
import { runInline } from 'weir/testing';
import job, { reading, type MinuteAverage, type Reading } from './device-temperature.js';

describe('device temperature example', () => {
  it('averages each device per minute of event time; readings too late go to the side output', async () => {
    const readings: Reading[] = Array.from({ length: 1800 }, (_, i) => reading(i));
    // The example's own paced generator, on virtual time: the watermark moves as readings arrive.
    const r = await runInline(job, { workers: 2, parallelism: 2 });
    expect(r.error).toBeUndefined();
    const averages = r.outputs.averages as MinuteAverage[];
    const late = r.outputs.late as Reading[];

    // Reference: per device and minute, over the readings that were not too late.
    const lateSet = new Set(late.map((x) => JSON.stringify(x)));
    const want = new Map<string, { sum: number; n: number }>();
    for (const x of readings) {
      if (lateSet.has(JSON.stringify(x))) continue;
      const id = `${x.device} ${new Date(Math.floor(x.time / 60_000) * 60_000).toISOString().slice(11, 16)}`;
      const e = want.get(id) ?? { sum: 0, n: 0 };
      e.sum += x.celsius;
      e.n++;
      want.set(id, e);
    }
    // The last result per device and minute is the final one (a window may fire again for a late reading).
    const final = new Map<string, MinuteAverage>();
    for (const a of averages) final.set(`${a.device} ${a.minute}`, a);
    expect([...final.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [id, e] of want) {
      expect(final.get(id)!.readings).toBe(e.n);
      expect(final.get(id)!.celsius).toBe(Math.round((e.sum / e.n) * 100) / 100);
    }
    // 36 readings arrive 2 minutes late: past the 10 s of disorder and 30 s of lateness, so all are side output.
    expect(late.length).toBe(36);
    expect([...final.values()].reduce((n, a) => n + a.readings, 0), "every reading counted once or sent to the side output").toBe(1800 - 36);
    const delayed = new Set(readings.filter((_, i) => i % 50 === 49).map((x) => JSON.stringify(x)));
    expect(late.every((x) => delayed.has(JSON.stringify(x)))).toBe(true);
    expect(r.deadLetters).toEqual([]);
  });
});
