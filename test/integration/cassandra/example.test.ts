/**
 * examples/sensor-to-cassandra.ts through the real CLI against the real
 * Cassandra: it creates its schema, and its table holds each device's
 * aggregate exactly as a plain computation over the same readings gives it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, cql, weir } from './helpers.js';

describe('examples/sensor-to-cassandra.ts (real Cassandra)', () => {
  afterAll(cleanup);

  it('creates its schema and upserts each device aggregate', { timeout: 180_000 }, async () => {
    const n = 3000;
    const r = weir(['run', 'examples/sensor-to-cassandra.ts', '--workers', '2', '--no-status', '--state', 'memory'], { SENSOR_READINGS: String(n) });
    const exit = await r.exit;
    expect(exit.code, r.stderr()).toBe(0);
    expect(r.stderr()).toContain('CREATE TABLE IF NOT EXISTS weir_examples.sensor_stats');
    const want = new Map<string, { readings: number; min: number; max: number; sum: number; last: number }>();
    for (let i = 0; i < n; i++) {
      const d = `sensor-${i % 20}`;
      const c = 15 + ((i * 37) % 200) / 10;
      const s = want.get(d) ?? { readings: 0, min: Infinity, max: -Infinity, sum: 0, last: -1 };
      want.set(d, { readings: s.readings + 1, min: Math.min(s.min, c), max: Math.max(s.max, c), sum: s.sum + c, last: Math.max(s.last, i) });
    }
    const rows = (await (await cql()).execute('SELECT device, readings, min_celsius, max_celsius, mean_celsius, last_seq FROM weir_examples.sensor_stats')).rows;
    expect(rows.length).toBe(20);
    for (const row of rows) {
      const w = want.get(row.device as string)!;
      expect(Number(row.readings)).toBe(w.readings);
      expect(row.min_celsius).toBe(w.min);
      expect(row.max_celsius).toBe(w.max);
      expect(row.mean_celsius).toBeCloseTo(w.sum / w.readings, 9);
      expect(Number(row.last_seq)).toBe(w.last);
    }
  });
});
