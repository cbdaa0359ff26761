/**
 * The job's metrics in Prometheus' text format, from a private prom-client
 * Registry (never the global one: two jobs in one process, or a user's own
 * metrics, do not collide). Names follow Prometheus' conventions: `weir_`
 * prefix, counters end in `_total`, base units (seconds, bytes), ratios 0..1
 * end in `_ratio`. Gauges and counters are read from the telemetry at scrape
 * time (prom-client's collect()); the checkpoint histograms observe each
 * checkpoint as it settles.
 *
 * Counters come from the telemetry's cumulative counts, so they never go down
 * across a region restart.
 */
import { Counter, Gauge, Histogram, Registry, exponentialBuckets } from 'prom-client';
import type { JobTelemetry } from '../metrics/telemetry.js';
import type { CheckpointEvent } from '../metrics/events.js';
import type { InstanceMetrics, OperatorMetrics } from '../coordinator/metrics.js';

export interface PrometheusExport {
  registry: Registry;
  /** Stop observing checkpoints. */
  close(): void;
}

type Labels = Record<string, string | number>;

/**
 * The metrics every operator and every actor has: `weir_operator_<name>`
 * (help `operator`) and `weir_actor_<name>` (help `actor`), each where its
 * help is given. `read` returning undefined leaves the series out (no
 * watermark yet).
 */
interface FlowMetric {
  type: 'counter' | 'gauge';
  name: string;
  operator?: string;
  actor?: string;
  read(m: OperatorMetrics | InstanceMetrics): number | undefined;
}

const FLOW_METRICS: FlowMetric[] = [
  { type: 'counter', name: 'records_in_total', operator: 'Records an operator took in (all instances, all incarnations).', actor: 'Records an actor took in.', read: (m) => m.recordsIn },
  { type: 'counter', name: 'records_out_total', operator: 'Records an operator emitted.', actor: 'Records an actor emitted.', read: (m) => m.recordsOut },
  { type: 'gauge', name: 'records_in_per_second', operator: 'Records/s in over the last sampling interval.', actor: 'Records/s in of an actor.', read: (m) => m.inRate },
  { type: 'gauge', name: 'records_out_per_second', operator: 'Records/s out over the last sampling interval.', actor: 'Records/s out of an actor.', read: (m) => m.outRate },
  { type: 'gauge', name: 'queued_records', operator: 'Records waiting in the input channels of an operator.', actor: 'Records waiting in an actor’s input channels.', read: (m) => m.queued },
  { type: 'gauge', name: 'output_credits', actor: 'Buffers an actor may still send before waiting for credit.', read: (m) => m.credits },
  { type: 'gauge', name: 'backpressure_ratio', operator: 'Share of the last interval the outputs waited for credit (mean over instances).', actor: 'Share of the last interval an actor’s outputs waited for credit.', read: (m) => m.backpressure },
  { type: 'gauge', name: 'busy_ratio', operator: 'Share of the last interval spent processing (mean over instances).', actor: 'Share of the last interval an actor spent processing.', read: (m) => m.busy },
  // Event time (operators after assignTimestamps), as Flink's currentInputWatermark and event-time lag.
  {
    type: 'gauge',
    name: 'watermark_timestamp_seconds',
    operator: 'Current watermark of an operator, the minimum over its instances (Unix time); absent before the first watermark.',
    actor: 'Current watermark of an actor (Unix time; assignTimestamps: the one it emits).',
    read: (m) => (m.watermark === undefined ? undefined : m.watermark / 1000),
  },
  {
    type: 'gauge',
    name: 'event_time_lag_seconds',
    operator: 'Processing time minus the operator’s watermark when sampled: how far event time trails the clock.',
    actor: 'Processing time minus the actor’s watermark when sampled.',
    read: (m) => (m.eventTimeLagMs === undefined ? undefined : m.eventTimeLagMs / 1000),
  },
];

function seriesOf(f: FlowMetric, m: OperatorMetrics | InstanceMetrics, set: (v: number) => void): void {
  const v = f.read(m);
  if (v !== undefined) set(v);
}

export function prometheusRegistry(t: JobTelemetry): PrometheusExport {
  const registry = new Registry();
  const registers = [registry];
  const job = () => t.info.job;

  /** A gauge whose series are recomputed at every scrape (series that vanished are dropped). */
  const gauge = (name: string, help: string, labelNames: string[], read: (set: (labels: Labels, v: number) => void) => void) =>
    new Gauge({
      name,
      help,
      labelNames: ['job', ...labelNames],
      registers,
      collect() {
        this.reset();
        read((labels, v) => this.set({ job: job(), ...labels }, Number.isFinite(v) ? v : 0));
      },
    });
  /** A counter mirrored from a cumulative count the telemetry keeps (prom-client counters only inc). */
  const counter = (name: string, help: string, labelNames: string[], read: (set: (labels: Labels, v: number) => void) => void) =>
    new Counter({
      name,
      help,
      labelNames: ['job', ...labelNames],
      registers,
      collect() {
        this.reset();
        read((labels, v) => this.inc({ job: job(), ...labels }, Math.max(0, v)));
      },
    });

  const ops = () => t.latest?.operators ?? [];
  const actors = function* () {
    for (const o of ops()) for (const i of o.instances) yield { o, i, labels: { operator: o.operator, instance: i.instance, worker: i.worker } };
  };

  gauge('weir_job_uptime_seconds', 'Seconds since the job started.', [], (set) => set({}, (Date.now() - t.info.startedAt) / 1000));
  gauge('weir_job_running', '1 while the job runs, 0 otherwise.', [], (set) => set({}, t.info.state === 'running' ? 1 : 0));

  // Per operator (instances added up; ratios averaged over instances) and per actor (operator instance): one table.
  for (const f of FLOW_METRICS) {
    const make = f.type === 'counter' ? counter : gauge;
    if (f.operator) make(`weir_operator_${f.name}`, f.operator, ['operator'], (set) => ops().forEach((o) => seriesOf(f, o, (v) => set({ operator: o.operator }, v))));
    if (f.actor) make(`weir_actor_${f.name}`, f.actor, ['operator', 'instance', 'worker'], (set) => {
      for (const a of actors()) seriesOf(f, a.i, (v) => set(a.labels, v));
    });
  }
  gauge('weir_operator_parallelism', 'Instances of an operator.', ['operator', 'kind'], (set) => ops().forEach((o) => set({ operator: o.operator, kind: o.kind }, o.parallelism)));

  // Sources: how far behind their input they are.
  gauge(
    'weir_source_lag_records',
    'Records of a source partition not yet read, where the source knows (Kafka: high watermark minus position; Redis Streams with a group: the group lag of XINFO GROUPS; MQTT: messages received from the broker, not yet emitted).',
    ['operator', 'instance', 'worker', 'partition'],
    (set) => {
      for (const a of actors()) for (const [partition, n] of Object.entries(a.i.lag ?? {})) set({ ...a.labels, partition }, n);
    },
  );
  gauge('weir_source_unacked_records', 'Records a source read and has not yet acknowledged upstream (MQTT PUBACK, Redis Streams XACK): they wait for the checkpoint that covers them.', ['operator', 'instance', 'worker'], (set) => {
    for (const a of actors()) if (a.i.unacked !== undefined) set(a.labels, a.i.unacked);
  });
  gauge('weir_source_receive_delay_seconds', 'How long the oldest record a source received (MQTT) has waited to be emitted into the job.', ['operator', 'instance', 'worker'], (set) => {
    for (const a of actors()) if (a.i.receiveDelayMs !== undefined) set(a.labels, a.i.receiveDelayMs / 1000);
  });

  // Checkpoints.
  counter('weir_checkpoints_completed_total', 'Checkpoints committed.', [], (set) => set({}, t.latest?.checkpoints.completed ?? 0));
  counter('weir_checkpoints_failed_total', 'Checkpoints declined (write failed or timed out).', [], (set) => set({}, t.latest?.checkpoints.failed ?? 0));
  gauge('weir_checkpoint_last_completed_id', 'Id of the last committed checkpoint.', [], (set) => {
    const id = t.lastCompleted()?.id ?? t.latest?.checkpoints.lastId;
    if (id !== undefined) set({}, id);
  });
  gauge('weir_checkpoint_last_completed_age_seconds', 'Seconds since the last checkpoint committed.', [], (set) => {
    const c = t.lastCompleted();
    if (c) set({}, (Date.now() - c.at) / 1000);
  });
  const duration = new Histogram({
    name: 'weir_checkpoint_duration_seconds',
    help: 'Checkpoint trigger to commit.',
    labelNames: ['job'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const size = new Histogram({ name: 'weir_checkpoint_size_bytes', help: 'Bytes of all snapshots of a checkpoint.', labelNames: ['job'], buckets: exponentialBuckets(256, 4, 12), registers });
  const observe = (e: CheckpointEvent) => {
    if (e.status !== 'completed') return;
    if (e.durationMs !== undefined) duration.observe({ job: job() }, e.durationMs / 1000);
    if (e.sizeBytes !== undefined) size.observe({ job: job() }, e.sizeBytes);
  };
  // Those already in the log (an endpoint started late), then each as it settles.
  t.checkpoints.forEach(observe);
  const unsubscribe = t.onCheckpoint(observe);

  // Restarts and failures.
  counter('weir_region_restarts_total', 'Restarts of a failover region.', ['region'], (set) => t.restartsByRegion.forEach((n, region) => set({ region }, n)));
  gauge('weir_region_last_failure_timestamp_seconds', 'When the failure that last restarted a region happened (Unix time), with its error code.', ['region', 'code'], (set) => {
    const last = new Map<number, { at: number; code: string }>();
    for (const f of t.failures) for (const r of f.regions) last.set(r, f);
    for (const [region, f] of last) set({ region, code: f.code }, f.at / 1000);
  });

  // Worker threads.
  const workers = () => t.latest?.workers ?? [];
  gauge('weir_worker_heap_used_bytes', 'V8 heap in use by a worker thread.', ['worker'], (set) => workers().forEach((w) => set({ worker: w.worker }, w.heapUsed)));
  gauge('weir_worker_event_loop_utilization_ratio', 'Share of the last interval a worker’s event loop was busy.', ['worker'], (set) => workers().forEach((w) => set({ worker: w.worker }, w.elu)));
  gauge('weir_worker_event_loop_delay_seconds', 'Event-loop delay of a worker over the last interval.', ['worker', 'stat'], (set) =>
    workers().forEach((w) => {
      set({ worker: w.worker, stat: 'mean' }, w.loopDelayMs.mean / 1000);
      set({ worker: w.worker, stat: 'p99' }, w.loopDelayMs.p99 / 1000);
      set({ worker: w.worker, stat: 'max' }, w.loopDelayMs.max / 1000);
    }),
  );

  return { registry, close: unsubscribe };
}
