// Tests runtime/http/prometheus.ts: metric names, types, labels and values, from a telemetry fed by hand.
import { describe, expect, it } from 'vitest';
import { JobTelemetry } from '../../../runtime/metrics/telemetry.js';
import { prometheusRegistry } from '../../../runtime/http/prometheus.js';
import { smallPlan, task, thread } from './fixtures.js';

function fed(): JobTelemetry {
  const t = new JobTelemetry('small');
  t.planned(smallPlan(), 'small', undefined);
  t.started();
  t.state = 'running';
  t.report(0, [task(0, 1000, 0, { lag: { '0': 12, '1': 0 }, unacked: 7, receiveDelayMs: 250 }), task(1, 400), task(3, 800)], thread(5000));
  t.report(1, [task(2, 600)], thread(7000));
  t.checkpoint({ id: 1, kind: 'checkpoint', status: 'completed', at: Date.now() - 2000, durationMs: 120, sizeBytes: 4096 });
  t.checkpoint({ id: 2, kind: 'checkpoint', status: 'failed', at: Date.now() - 1000, durationMs: 50, error: 'disk full' });
  t.restarted({ at: 1_700_000_000_000, regions: [0], code: 'INJECTED_FAULT', message: 'boom', operator: 'map', instance: 1, crashedWorkers: [] });
  t.sample({ checkpoints: { completed: 1, failed: 1, lastId: 1, lastDurationMs: 100, lastSizeBytes: 4096 }, restarts: 1 });
  return t;
}

/** name -> TYPE, and every sample line parsed. */
function parse(text: string) {
  const types = new Map<string, string>();
  const samples: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    const t = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (t) types.set(t[1], t[2]);
    const m = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    if (m && !line.startsWith('#')) {
      const labels: Record<string, string> = {};
      for (const l of (m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[l[1]] = l[2];
      samples.push({ name: m[1], labels, value: Number(m[3]) });
    }
  }
  return { types, samples };
}

describe('Prometheus export', () => {
  it('names follow the conventions: weir_ prefix, counters end in _total, base units', async () => {
    const { registry } = prometheusRegistry(fed());
    const { types } = parse(await registry.metrics());
    expect(types.size).toBeGreaterThan(20);
    for (const [name, type] of types) {
      expect(name).toMatch(/^weir_[a-z0-9_]+$/);
      if (type === 'counter') expect(name).toMatch(/_total$/);
      else expect(name).not.toMatch(/_total$/);
      // Base units only: no milliseconds, kilobytes or percentages.
      expect(name).not.toMatch(/_(ms|milliseconds|kb|mb|kilobytes|megabytes|percent)(_|$)/);
    }
    expect(types.get('weir_checkpoint_duration_seconds')).toBe('histogram');
    expect(types.get('weir_checkpoint_size_bytes')).toBe('histogram');
    expect(types.get('weir_operator_records_in_total')).toBe('counter');
    expect(types.get('weir_region_restarts_total')).toBe('counter');
    expect(types.get('weir_worker_heap_used_bytes')).toBe('gauge');
  });

  it('per operator and per actor series with their labels and values', async () => {
    const { registry } = prometheusRegistry(fed());
    const { samples } = parse(await registry.metrics());
    const get = (name: string, labels: Record<string, string> = {}) =>
      samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
    expect(get('weir_operator_records_in_total').map((s) => [s.labels.operator, s.value])).toEqual([
      ['src', 1000],
      ['map', 1000],
      ['out', 800],
    ]);
    for (const s of samples) expect(s.labels.job).toBe('small');
    const actor = get('weir_actor_records_out_total', { operator: 'map', instance: '1' });
    expect(actor).toEqual([{ name: 'weir_actor_records_out_total', labels: { job: 'small', operator: 'map', instance: '1', worker: '1' }, value: 600 }]);
    expect(get('weir_actor_output_credits', { operator: 'map', instance: '0' })[0].value).toBe(4);
    expect(get('weir_operator_parallelism', { operator: 'map' })[0].labels.kind).toBe('map');
    const ratio = get('weir_operator_backpressure_ratio', { operator: 'map' })[0].value;
    expect(ratio).toBeGreaterThanOrEqual(0);
    expect(ratio).toBeLessThanOrEqual(1);
    expect(get('weir_checkpoints_completed_total')[0].value).toBe(1);
    expect(get('weir_checkpoints_failed_total')[0].value).toBe(1);
    expect(get('weir_checkpoint_last_completed_id')[0].value).toBe(1);
    expect(get('weir_checkpoint_last_completed_age_seconds')[0].value).toBeGreaterThan(1);
    expect(get('weir_checkpoint_duration_seconds_count')[0].value).toBe(1);
    expect(get('weir_checkpoint_duration_seconds_sum')[0].value).toBeCloseTo(0.12);
    expect(get('weir_checkpoint_size_bytes_sum')[0].value).toBe(4096);
    expect(get('weir_region_restarts_total', { region: '0' })[0].value).toBe(1);
    expect(get('weir_region_last_failure_timestamp_seconds', { region: '0' })[0]).toMatchObject({ labels: { code: 'INJECTED_FAULT' }, value: 1_700_000_000 });
    expect(get('weir_worker_heap_used_bytes').map((s) => [s.labels.worker, s.value])).toEqual([
      ['0', 5000],
      ['1', 7000],
    ]);
    expect(get('weir_worker_event_loop_utilization_ratio', { worker: '1' })[0].value).toBe(0.25);
    expect(get('weir_worker_event_loop_delay_seconds', { worker: '0', stat: 'p99' })[0].value).toBeCloseTo(0.004);
    expect(get('weir_job_running')[0].value).toBe(1);
    expect(get('weir_source_lag_records').map((s) => [s.labels.operator, s.labels.partition, s.value])).toEqual([
      ['src', '0', 12],
      ['src', '1', 0],
    ]);
    // Only sources that know report them (MQTT, Redis Streams); seconds, not ms.
    expect(get('weir_source_unacked_records').map((x) => [x.labels.operator, x.labels.instance, x.value])).toEqual([['src', '0', 7]]);
    expect(get('weir_source_receive_delay_seconds').map((x) => [x.labels.operator, x.value])).toEqual([['src', 0.25]]);
  });

  it('two jobs in one process keep separate registries (never the global one)', async () => {
    const a = prometheusRegistry(fed());
    const b = prometheusRegistry(fed());
    expect(a.registry).not.toBe(b.registry);
    const { register } = await import('prom-client');
    expect(await register.getSingleMetric('weir_operator_records_in_total')).toBeUndefined();
  });
});
