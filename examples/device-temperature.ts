/**
 * Per-device average temperature per minute, in event time: readings carry
 * the time they were measured and may arrive up to 10 s out of order;
 * a minute's averages are emitted once the watermark passes its end, and
 * updated for readings up to 30 s later (allowed lateness). Readings later
 * than that go to the 'late-readings' side output, printed on their own:
 * nothing is dropped silently.
 *
 *   weir run examples/device-temperature.ts
 */
import { generator, stdout, topology, tumbling } from 'weir';

export interface Reading {
  device: string;
  /** When it was measured, ms since the epoch. */
  time: number;
  celsius: number;
}

export interface MinuteAverage {
  device: string;
  minute: string;
  celsius: number;
  readings: number;
}

const START = Date.UTC(2026, 10, 29, 12, 0, 0);

/** Demo readings (300 per second, so a run takes 6 s): three devices, one reading per second of event time each; every 50th arrives 2 minutes late. */
export function reading(i: number): Reading {
  const late = i % 50 === 49 ? 120_000 : 0;
  return { device: `sensor-${i % 3}`, time: START + Math.floor(i / 3) * 1000 - late, celsius: 20 + ((i * 7) % 11) / 2 };
}

export default topology('device-temperature', (t) => {
  const averages = t
    .source('readings', generator({ count: 1800, ratePerSec: 300, value: reading }))
    .assignTimestamps((r: Reading) => r.time, { outOfOrderness: 10_000 })
    .keyBy((r) => r.device)
    .window(tumbling(60_000))
    .allowedLateness(30_000)
    .lateRecords('late-readings')
    .aggregate(
      {
        create: () => ({ sum: 0, n: 0 }),
        add: (acc, r) => ({ sum: acc.sum + r.celsius, n: acc.n + 1 }),
        result: (acc, device, w): MinuteAverage => ({
          device: String(device),
          minute: new Date(w.start).toISOString().slice(11, 16),
          celsius: Math.round((acc.sum / acc.n) * 100) / 100,
          readings: acc.n,
        }),
      },
      { name: 'average' },
    );
  averages.sink('averages', stdout());
  averages.sideOutput('late-readings').sink('late', stdout());
});
