/**
 * The JSON API's answers, built from the job's telemetry. Pure: the server
 * only routes to these. Shapes are part of the public API (docs/observability.md).
 */
import type { ChannelPartitioning, ExecutionPlan } from '../plan/plan.js';
import type { JobMetrics } from '../coordinator/metrics.js';
import type { CheckpointEvent, FailureEvent } from '../metrics/events.js';
import type { HistoryPoint, JobInfo, JobTelemetry } from '../metrics/telemetry.js';
import { redactValue } from '../redact.js';

export interface PlanJson {
  job: string;
  workers: number;
  regions: number;
  operators: { id: string; kind: string; parallelism: number; workers: number[]; regions: number[] }[];
  edges: { from: string; to: string; partitioning: ChannelPartitioning }[];
}

export function planJson(plan: ExecutionPlan): PlanJson {
  const ops = new Map<string, PlanJson['operators'][number]>();
  const edges = new Map<string, PlanJson['edges'][number]>();
  for (const a of plan.actors) {
    let o = ops.get(a.operator);
    if (!o) ops.set(a.operator, (o = { id: a.operator, kind: a.kind, parallelism: a.parallelism, workers: [], regions: [] }));
    if (!o.workers.includes(a.worker)) o.workers.push(a.worker);
    if (!o.regions.includes(a.region)) o.regions.push(a.region);
    for (const out of a.outputs) {
      const key = `${a.operator}\u0000${out.to}`;
      if (!edges.has(key)) edges.set(key, { from: a.operator, to: out.to, partitioning: out.partitioning });
    }
  }
  for (const o of ops.values()) {
    o.workers.sort((x, y) => x - y);
    o.regions.sort((x, y) => x - y);
  }
  return { job: plan.job, workers: plan.workers, regions: plan.regions, operators: [...ops.values()], edges: [...edges.values()] };
}

export interface JobJson extends JobInfo {
  /** Seconds since the job started. */
  uptimeSeconds: number;
  restarts: number;
  checkpoints: { completed: number; failed: number; lastCompletedId: number | undefined; lastCompletedAgeSeconds: number | undefined };
}

export function jobJson(t: JobTelemetry, now = Date.now()): JobJson {
  const m = t.latest;
  const last = t.lastCompleted();
  return {
    ...(redactValue(t.info) as JobInfo),
    uptimeSeconds: (now - t.info.startedAt) / 1000,
    restarts: t.restartsByRegion.reduce((a, b) => a + b, 0),
    checkpoints: {
      completed: m?.checkpoints.completed ?? 0,
      failed: m?.checkpoints.failed ?? 0,
      lastCompletedId: last?.id ?? m?.checkpoints.lastId,
      lastCompletedAgeSeconds: last ? (now - last.at) / 1000 : undefined,
    },
  };
}

export interface MetricsJson {
  /** Undefined until the first sample. */
  metrics: JobMetrics | undefined;
  restartsByRegion: number[];
}

export function metricsJson(t: JobTelemetry): MetricsJson {
  return { metrics: t.latest, restartsByRegion: t.restartsByRegion };
}

export interface HistoryJson {
  /** Operator ids, the order of every point's arrays. */
  operators: string[];
  points: HistoryPoint[];
}

export function historyJson(t: JobTelemetry): HistoryJson {
  return { operators: t.latest?.operators.map((o) => o.operator) ?? planJsonOps(t.plan), points: t.history };
}

const planJsonOps = (plan: ExecutionPlan | undefined): string[] => (plan ? planJson(plan).operators.map((o) => o.id) : []);

export interface CheckpointsJson {
  completed: number;
  failed: number;
  /** Newest last; bounded. */
  history: CheckpointEvent[];
}

export function checkpointsJson(t: JobTelemetry): CheckpointsJson {
  const stats = t.latest?.checkpoints;
  const history = t.checkpoints.map((c) => (c.error === undefined ? c : { ...c, error: String(redactValue(c.error)) }));
  return { completed: stats?.completed ?? t.checkpoints.filter((c) => c.status === 'completed').length, failed: stats?.failed ?? t.checkpoints.filter((c) => c.status === 'failed').length, history };
}

export interface FailuresJson {
  restartsByRegion: number[];
  /** Newest last; bounded. */
  failures: FailureEvent[];
}

export function failuresJson(t: JobTelemetry): FailuresJson {
  return { restartsByRegion: t.restartsByRegion, failures: t.failures.map((f) => redactValue(f) as FailureEvent) };
}

/** What the dashboard's live stream carries each sample. */
export function updateJson(t: JobTelemetry, now = Date.now()) {
  return { job: jobJson(t, now), metrics: t.latest, point: t.history.at(-1), checkpoints: t.checkpoints.slice(-20), failures: t.failures.slice(-20), restartsByRegion: t.restartsByRegion };
}
