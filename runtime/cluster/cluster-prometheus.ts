/**
 * A cluster member's metrics in Prometheus' text format, one series per task
 * (labels job, member, task), from a private prom-client Registry, with the
 * naming rules of single-process mode's /metrics (runtime/http/prometheus.ts):
 * `weir_` prefix, counters end in `_total`, base units.
 *
 * Counters come from the member's task meters (task-meters.ts), which outlive
 * a task's restarts on this member; gauges cover the tasks running here now.
 * The input lag is read at scrape time (read_committed end offsets minus the
 * task's committed position), so a scrape costs one ListOffsets per input topic.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { TaskMeter, TaskMeters } from './task-meters.js';

export interface LagRow {
  task: string;
  topic: string;
  partition: number;
  lag: number;
}

export interface MemberMetricsSource {
  job: string;
  member: string;
  meters: TaskMeters;
  /** Tasks running on this member now. */
  running(): string[];
  /** Records of each running task's input partitions not yet committed. */
  lag(): Promise<LagRow[]>;
}

export interface MemberPrometheus {
  registry: Registry;
  close(): void;
}

type Labels = Record<string, string | number>;

const TASK_COUNTERS: { name: string; help: string; read: (m: TaskMeter) => number }[] = [
  { name: 'weir_task_records_in_total', help: 'Records a task read from its inputs and committed.', read: (m) => m.recordsIn },
  { name: 'weir_task_records_out_total', help: 'Records a task wrote (sink and repartition topics) in committed transactions.', read: (m) => m.recordsOut },
  { name: 'weir_task_transactions_committed_total', help: 'Kafka transactions a task committed.', read: (m) => m.transactionsCommitted },
  { name: 'weir_task_transactions_aborted_total', help: 'Kafka transactions a task aborted (a failure, or fenced).', read: (m) => m.transactionsAborted },
  { name: 'weir_task_restarts_total', help: 'Restarts of a task on this member after a failure (its restart budget counts them).', read: (m) => m.restarts },
];

const TASK_GAUGES: { name: string; help: string; read: (m: TaskMeter) => number | undefined }[] = [
  { name: 'weir_task_restore_seconds', help: 'How long the last start of a task took to fence, read its offsets and restore its state.', read: (m) => (m.restoreMs === undefined ? undefined : m.restoreMs / 1000) },
  { name: 'weir_task_state_bytes', help: 'Bytes of a stateful task’s state as last written to its changelog.', read: (m) => m.stateBytes },
];

export function memberPrometheus(src: MemberMetricsSource): MemberPrometheus {
  const registry = new Registry();
  const registers = [registry];
  const base = () => ({ job: src.job, member: src.member });
  const labelNames = ['job', 'member', 'task'];
  for (const c of TASK_COUNTERS) {
    new Counter({
      name: c.name,
      help: c.help,
      labelNames,
      registers,
      collect() {
        this.reset();
        for (const [task, m] of src.meters.byTask) this.inc({ ...base(), task }, c.read(m));
      },
    });
  }
  const gauge = (name: string, help: string, names: string[], read: (set: (l: Labels, v: number) => void) => void | Promise<void>) =>
    new Gauge({
      name,
      help,
      labelNames: ['job', 'member', ...names],
      registers,
      async collect() {
        this.reset();
        await read((l, v) => this.set({ ...base(), ...l }, v));
      },
    });
  for (const g of TASK_GAUGES) {
    gauge(g.name, g.help, ['task'], (set) => {
      for (const task of src.running()) {
        const v = src.meters.byTask.get(task) && g.read(src.meters.byTask.get(task)!);
        if (v !== undefined) set({ task }, v);
      }
    });
  }
  gauge('weir_member_tasks', 'Tasks running on this member.', [], (set) => set({}, src.running().length));
  gauge('weir_task_input_lag_records', 'Offsets of a task’s input partition after its committed position, up to the read_committed end (last stable offset): 0 when caught up.', ['task', 'topic', 'partition'], async (set) => {
    for (const r of await src.lag()) set({ task: r.task, topic: r.topic, partition: r.partition }, r.lag);
  });
  const latency = new Histogram({
    name: 'weir_task_commit_latency_seconds',
    help: 'A task’s transaction, from its begin to its commit acknowledged (sends, state, offsets, EndTxn).',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const off = src.meters.onCommit((task, ms) => latency.observe({ ...base(), task }, ms / 1000));
  return { registry, close: off };
}
