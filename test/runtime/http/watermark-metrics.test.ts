// Event time on the real HTTP endpoint: a job whose event time trails the
// clock by 5 s shows, per operator and per actor, its current watermark and
// its event-time lag (processing time - watermark) in /metrics, the same in
// /api/metrics, and none for operators without event time.
import { describe, expect, it } from 'vitest';
import { run } from '../../../runtime/index.js';
import type { JobMetrics } from '../../../runtime/coordinator/metrics.js';

const fixture = new URL('../../fixtures/event-time-behind.ts', import.meta.url).pathname;
const BEHIND_MS = 5000;

function series(text: string, name: string): { labels: string; value: number }[] {
  return [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))].map((m) => ({ labels: m[1], value: Number(m[2]) }));
}

describe('watermark metrics', () => {
  it('per operator and per actor: current watermark and event-time lag, in Prometheus and the JSON API', { timeout: 90_000 }, async () => {
    process.env.WEIR_TEST_BEHIND_MS = String(BEHIND_MS);
    let onListening!: (u: string) => void;
    const ready = new Promise<string>((r) => (onListening = r));
    const h = run(fixture, { workers: 2, metricsIntervalMs: 200, checkpointInterval: 1000, state: 'memory', logLevel: 'warn', jobId: `wm-metrics-${process.pid}`, http: { port: 0, onListening } });
    try {
      const url = await ready;
      let text = '';
      for (let i = 0; i < 300; i++) {
        text = await (await fetch(`${url}/metrics`)).text();
        // Each worker reports on its own sampling tick: wait until every instance with event time has reported once.
        const reported = (name: string) => series(text, name).filter((s) => s.labels.includes('operator="counts"')).length;
        if (series(text, 'weir_operator_watermark_timestamp_seconds').length >= 2 && reported('weir_actor_event_time_lag_seconds') === 2 && reported('weir_actor_watermark_timestamp_seconds') === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const startedAt = Date.now();
      const wm = series(text, 'weir_operator_watermark_timestamp_seconds');
      const lag = series(text, 'weir_operator_event_time_lag_seconds');
      // The assigner (the watermark it emits) and the window have event time; the source before them does not.
      const names = wm.map((s) => /operator="([^"]+)"/.exec(s.labels)![1]);
      expect(names).toContain('counts');
      expect(names).not.toContain('in');
      expect(names.length).toBe(2);
      const counts = lag.find((s) => s.labels.includes('operator="counts"'))!;
      // Event time trails the clock by 5 s (plus outOfOrderness and the watermark interval): the lag says so.
      expect(counts.value).toBeGreaterThanOrEqual(BEHIND_MS / 1000);
      expect(counts.value).toBeLessThan(60);
      const countsWm = wm.find((s) => s.labels.includes('operator="counts"'))!.value;
      expect(countsWm * 1000).toBeLessThanOrEqual(startedAt - BEHIND_MS);
      expect(countsWm * 1000).toBeGreaterThan(startedAt - 60_000);
      // Per actor: both instances of the window.
      expect(series(text, 'weir_actor_event_time_lag_seconds').filter((s) => s.labels.includes('operator="counts"')).length).toBe(2);
      expect(series(text, 'weir_actor_watermark_timestamp_seconds').filter((s) => s.labels.includes('operator="counts"')).length).toBe(2);

      const api = (await (await fetch(`${url}/api/metrics`)).json()) as { metrics: JobMetrics };
      const op = api.metrics.operators.find((o) => o.operator === 'counts')!;
      expect(op.watermark).toBeLessThanOrEqual(Date.now() - BEHIND_MS);
      expect(op.eventTimeLagMs).toBeGreaterThanOrEqual(BEHIND_MS);
      expect(op.instances.every((i) => i.watermark !== undefined && i.eventTimeLagMs! >= BEHIND_MS)).toBe(true);
      expect(api.metrics.operators.find((o) => o.operator === 'in')!.watermark).toBeUndefined();
    } finally {
      delete process.env.WEIR_TEST_BEHIND_MS;
      await h.stop();
    }
  });
});
