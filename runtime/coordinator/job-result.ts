/**
 * A finished job is remembered, as Flink's JobResultStore: a rerun of a job
 * id whose last run ended because its sources ended refuses, instead of
 * processing the input a second time into exactly-once sinks.
 *
 * The end of such a run, in this order:
 *   1. the final checkpoint commits (kind 'final');
 *   2. every sink commits that checkpoint's output;
 *   3. the job result record is written (StateBackend.putResult).
 * A process killed anywhere in between leaves the next run one of:
 *   - before 1: a regular checkpoint is the newest, and the run resumes from
 *     it as after any crash (sinks drop uncommitted output, the replay writes
 *     it once);
 *   - between 1 and 3: a final checkpoint is the newest and no record names
 *     it. `finishFinal` opens every sink restored from that checkpoint, which
 *     finishes its pending commits (idempotently: every exactly-once sink
 *     does so on restore), closes it, and the record is written. No source
 *     opens and no record is processed again;
 *   - after 3: the record, and the run refuses (JOB_FINISHED) unless `fresh`.
 * A record whose checkpoint is older than the newest committed checkpoint
 * belongs to an earlier run (a later one started with `fresh` or from a
 * savepoint and has not finished): it no longer applies.
 *
 * Only jobs with an exactly-once sink refuse: their committed output would
 * hold every record twice. A job whose sinks are at-least-once (stdout,
 * collect) promises no such thing, so a rerun of it runs again from scratch,
 * as with `fresh` (printing the reference job's output again is what
 * `npm start` twice should do).
 */
import type { Logger, SinkContext } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import type { JobResultRecord, StateBackend } from '../checkpoint/storage/backend.js';
import { CheckpointCorruptError } from '../checkpoint/storage/errors.js';
import { loadCheckpoint, type RestoredCheckpoint } from '../checkpoint/storage/restore.js';
import { restoreSet } from '../checkpoint/restore-plan.js';
import { decodeSnapshot } from '../channel/codec.js';
import type { LogicalGraph } from '../dsl/graph.js';
import { realClock, type ActorSnapshot } from '../host/env.js';
import type { ExecutionPlan } from '../plan/plan.js';

export interface RerunOptions {
  /** Run from scratch: forget the job's result record and resume no checkpoint. */
  fresh?: boolean;
  fromSavepoint?: number;
}

/**
 * Before a run: throws JOB_FINISHED when the job's last run finished; returns
 * the final checkpoint of a last run that finished but was not recorded (the
 * caller finishes it with `finishFinal` instead of running); undefined when
 * the run goes ahead.
 */
export async function priorRun(backend: StateBackend, job: string, graph: LogicalGraph, o: RerunOptions, log: Logger): Promise<RestoredCheckpoint | undefined> {
  if (o.fresh || !hasExactlyOnceSink(graph)) {
    const old = await backend.getResult(job);
    if (old && o.fresh) log.warn({ finishedAt: new Date(old.finishedAt).toISOString(), checkpoint: old.checkpoint }, `running job '${job}' again from scratch (--fresh); its earlier run finished at ${new Date(old.finishedAt).toISOString()}`);
    await backend.deleteResult(job);
    return undefined;
  }
  const [record, newest] = await Promise.all([backend.getResult(job), backend.list(job).then((l) => l[0])]);
  if (record && !(newest && newest.id > record.checkpoint)) throw jobFinished(record, backend.description);
  if (o.fromSavepoint !== undefined || newest?.kind !== 'final') return undefined;
  try {
    return await loadCheckpoint(backend, job, newest.id);
  } catch (e) {
    if (e instanceof CheckpointCorruptError) return undefined; // the normal restore path falls back past it, with a warning
    throw e;
  }
}

const hasExactlyOnceSink = (graph: LogicalGraph): boolean => graph.nodes.some((n) => n.kind === 'sink' && n.sink?.guarantee === 'exactly-once');

export function jobFinished(r: JobResultRecord, where: string): WeirError {
  const at = new Date(r.finishedAt).toISOString();
  return new WeirError(
    'JOB_FINISHED',
    `job '${r.job}' already finished at ${at}: its sources ended and its final checkpoint ${r.checkpoint} is committed (state ${where}). ` +
      `Running it again would process its input a second time. Fix: pass --fresh (run(job, { fresh: true })) to run it again from scratch, or use another --job-id`,
    { context: { job: r.job, checkpoint: r.checkpoint, finishedAt: at } },
  );
}

/**
 * The last run committed its final checkpoint but may have died before its
 * sinks committed it: open each sink instance restored from that checkpoint
 * (its restore finishes the commits), commit it once more and close it.
 */
export async function finishFinal(
  final: RestoredCheckpoint,
  plan: ExecutionPlan,
  graph: LogicalGraph,
  ctx: { job: string; log: Logger; publish(actor: number, data: unknown): void },
): Promise<void> {
  const id = final.meta.id;
  const sinks = plan.actors.filter((a) => graph.nodes.find((n) => n.id === a.operator)?.kind === 'sink');
  const restore = restoreSet({ id, parallelism: final.meta.parallelism, blobs: final.blobs }, sinks);
  for (const a of sinks) {
    const connector = graph.nodes.find((n) => n.id === a.operator)!.sink!;
    const restored = restore[a.id]?.map((b) => (decodeSnapshot(b) as ActorSnapshot).sink).filter((s) => s !== undefined);
    const sinkCtx: SinkContext = {
      operator: a.operator,
      instance: a.instance,
      parallelism: a.parallelism,
      clock: realClock,
      log: ctx.log,
      job: ctx.job,
      restored,
      restoredCheckpoint: id,
      publish: (d) => ctx.publish(a.id, d),
    };
    const writer = await connector.open(sinkCtx);
    try {
      await writer.commit?.(id);
    } finally {
      await writer.close?.();
    }
  }
}

/**
 * Step 3: write the result record. A failure is only logged: the output is
 * committed, and the next run, finding the final checkpoint unrecorded,
 * finishes it again (a no-op) and records it.
 */
export async function recordFinished(backend: StateBackend, r: Omit<JobResultRecord, 'status' | 'finishedAt'>, log: Logger): Promise<void> {
  const record: JobResultRecord = { ...r, status: 'finished', finishedAt: Date.now() };
  for (let attempt = 1; ; attempt++) {
    try {
      return await backend.putResult(record);
    } catch (e) {
      if (attempt >= 3) {
        log.warn({ err: e, checkpoint: r.checkpoint }, `could not record that job '${r.job}' finished (${e instanceof Error ? e.message : String(e)}); its output is committed, and the next run records it`);
        return;
      }
      await new Promise((res) => setTimeout(res, 200 * attempt));
    }
  }
}
