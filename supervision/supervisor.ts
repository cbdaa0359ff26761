/**
 * The supervisor core: every supervision decision of a job, as a pure
 * transition `step(state, event, now, random) -> [state, effects]` (OTP's
 * supervisor, written as a state machine with effects as data). It owns the
 * region epochs, the per-region restart history, the failure queue and what
 * is recovering. Two thin interpreters run it: the threaded job
 * (runtime/coordinator/failover.ts) and the simulation
 * (runtime/testing/run-inline.ts). They carry effects out and report back
 * with events; neither decides anything.
 *
 * One recovery at a time: failures that arrive while one runs are merged
 * into one queued failure, handled when it ends. A recovery goes
 * backoff (wait) -> settle (a checkpoint being written may still commit) ->
 * restore (replace crashed workers, rebuild the regions from the last
 * completed checkpoint at their new epochs) -> resume.
 */
import { preview, WeirError } from '../actors/errors.js';
import { decide } from './restart-strategy.js';
import { actorsOf, regionOfActor, regionsOnWorker, type JobSupervisor } from './tree.js';

export type WorkerFailure = 'exited' | 'crashed' | 'hung';

export type SupervisorEvent =
  /** A user function (or a connector) threw in `actor`; `epoch` is its region's epoch then (stale ones are ignored). */
  | { t: 'actor-failed'; actor: number; epoch?: number; error: WeirError }
  /** A worker thread died or stopped answering heartbeats: every region it hosts restarts, the worker is replaced. */
  | { t: 'worker-failed'; worker: number; how: WorkerFailure; error: WeirError }
  /** The `wait` effect's time has passed. */
  | { t: 'backoff-elapsed' }
  /** No checkpoint write is in progress; `checkpoint` is the last completed one (undefined: none). */
  | { t: 'checkpoint-settled'; checkpoint: number | undefined }
  /** A checkpoint committed (the supervisor tells a replay from a new run by it). */
  | { t: 'checkpoint-completed'; id: number }
  /** The `restore` effect finished: the regions run. */
  | { t: 'recovery-finished' }
  /**
   * The `restore` effect failed: an actor's open() failed while its region
   * restarted (`actor` set: a restart of that region, as OTP counts a child
   * that fails to start), or a worker died meanwhile (its own worker-failed
   * event follows; the regions are queued again).
   */
  | { t: 'recovery-failed'; error: WeirError; actor?: number }
  /** The job is ending (final checkpoint, shutdown): a failure now stops it. */
  | { t: 'job-ending' };

export type SupervisorEffect =
  /** Abort the checkpoint in flight and trigger none until resume-checkpoints. */
  | { t: 'pause-checkpoints'; actors: number[] }
  /** The regions' new epochs (messages of older epochs are dropped from now on). */
  | { t: 'bump-epochs'; regions: number[]; epochs: number[] }
  /** Wait (backoff), then report backoff-elapsed. */
  | { t: 'wait'; ms: number }
  /** Wait until no checkpoint is being written, then report checkpoint-settled. */
  | { t: 'settle-checkpoint' }
  /** Terminate worker W and start a new thread in its place (done with the next restore). */
  | { t: 'replace-worker'; worker: number }
  /**
   * Rebuild `regions` from checkpoint `from` (none: from scratch) at `epochs`, then run them; report
   * recovery-finished/failed. `poisoned`: record signatures (recordSignature) to dead-letter if they fail again.
   */
  | { t: 'restore'; regions: number[]; actors: number[]; epochs: number[]; from: number | undefined; poisoned?: string[] }
  | { t: 'resume-checkpoints' }
  /** Stop the job with this error, its last checkpoint kept. */
  | { t: 'escalate'; error: WeirError };

interface Pending {
  regions: number[];
  crashed: number[];
  error: WeirError;
  /** The failing record, for a failure that names one (see repeat detection). */
  signature?: string;
}

export interface SupervisorState {
  readonly tree: JobSupervisor;
  /** Current epoch of every region. */
  readonly epochs: readonly number[];
  /** Times of recent restarts, per region. */
  readonly history: readonly (readonly number[])[];
  /** What the last restart of each region came from: its checkpoint and the failure that caused it. */
  readonly lastRestart: readonly ({ from: number | undefined; signature: string | undefined } | undefined)[];
  /** The last completed checkpoint known. */
  readonly completed: number | undefined;
  readonly recovering: (Pending & { phase: 'backoff' | 'settling' | 'restoring'; from?: number }) | undefined;
  readonly queued: Pending | undefined;
  /** Region restarts done. */
  readonly restarts: number;
  readonly ending: boolean;
  /** Records found failing deterministically, to dead-letter (repeatedFailure: 'dead-letter'). */
  readonly poisoned: readonly string[];
  /** Set once the supervisor escalated: it decides nothing more. */
  readonly escalated: WeirError | undefined;
}

export function initialState(tree: JobSupervisor, restoredFrom?: number): SupervisorState {
  const n = tree.regions.length;
  return {
    tree,
    epochs: new Array<number>(n).fill(0),
    history: Array.from({ length: n }, () => []),
    lastRestart: new Array(n).fill(undefined),
    completed: restoredFrom,
    recovering: undefined,
    queued: undefined,
    restarts: 0,
    ending: false,
    poisoned: [],
    escalated: undefined,
  };
}

type Result = [SupervisorState, SupervisorEffect[]];

export function step(s: SupervisorState, e: SupervisorEvent, now: number, random: () => number): Result {
  if (s.escalated) return [s, []];
  switch (e.t) {
    case 'checkpoint-completed':
      return [{ ...s, completed: Math.max(e.id, s.completed ?? 0) }, []];
    case 'job-ending':
      return [{ ...s, ending: true }, []];
    case 'actor-failed': {
      const region = regionOfActor(s.tree, e.actor);
      if (e.epoch !== undefined && e.epoch !== s.epochs[region]) return [s, []]; // from before a restart
      return fail(s, { regions: [region], crashed: [], error: e.error, signature: signatureOf(e.error) }, now, random);
    }
    case 'worker-failed':
      return fail(s, { regions: regionsOnWorker(s.tree, e.worker), crashed: [e.worker], error: e.error }, now, random);
    case 'backoff-elapsed':
      if (s.recovering?.phase !== 'backoff') return [s, []];
      return [{ ...s, recovering: { ...s.recovering, phase: 'settling' } }, [{ t: 'settle-checkpoint' }]];
    case 'checkpoint-settled': {
      const r = s.recovering;
      if (r?.phase !== 'settling') return [s, []];
      const from = e.checkpoint;
      const effects: SupervisorEffect[] = r.crashed.map((worker) => ({ t: 'replace-worker', worker }));
      effects.push({ t: 'restore', regions: r.regions, actors: actorsOf(s.tree, r.regions), epochs: [...s.epochs], from, ...(s.poisoned.length ? { poisoned: [...s.poisoned] } : {}) });
      return [{ ...s, completed: from === undefined ? s.completed : Math.max(from, s.completed ?? 0), recovering: { ...r, phase: 'restoring', from } }, effects];
    }
    case 'recovery-finished': {
      const r = s.recovering;
      if (r?.phase !== 'restoring') return [s, []];
      const lastRestart = s.lastRestart.slice();
      for (const region of r.regions) lastRestart[region] = { from: r.from, signature: r.signature };
      return next({ ...s, lastRestart, recovering: undefined, restarts: s.restarts + r.regions.length }, [{ t: 'resume-checkpoints' }], now, random);
    }
    case 'recovery-failed': {
      const r = s.recovering;
      if (r?.phase !== 'restoring') return [s, []];
      const effects: SupervisorEffect[] = [{ t: 'resume-checkpoints' }];
      const after = { ...s, recovering: undefined };
      if (e.actor !== undefined) {
        // A connector that gave up after its own retry budget keeps its rule: the job stops.
        if (e.error.context.budgetExhausted === true) return escalate(s, e.error);
        // An actor that cannot open while its region restarts: a restart of that region (counted by its strategy).
        const region = regionOfActor(s.tree, e.actor);
        return next(queue(after, { regions: [region, ...r.regions], crashed: [], error: e.error }), effects, now, random);
      }
      if (isWorkerLoss(e.error)) {
        // A worker died while the regions were being rebuilt: its own failure is (or will be)
        // reported; the regions are rebuilt again with it. Not a restart of theirs.
        return next(queue(after, { regions: r.regions, crashed: [], error: e.error }), effects, now, random);
      }
      return escalate(s, e.error);
    }
  }
}

/** After a recovery ends: resume, then handle what queued up meanwhile. */
function next(s: SupervisorState, effects: SupervisorEffect[], now: number, random: () => number): Result {
  if (!s.queued || s.ending) return [s, effects];
  const [s2, more] = fail({ ...s, queued: undefined }, s.queued, now, random);
  return [s2, [...effects, ...more]];
}

function queue(s: SupervisorState, f: Pending): SupervisorState {
  const q = s.queued;
  if (!q) return { ...s, queued: { ...f, regions: uniq(f.regions), crashed: uniq(f.crashed) } };
  return { ...s, queued: { regions: uniq([...q.regions, ...f.regions]), crashed: uniq([...q.crashed, ...f.crashed]), error: q.error, signature: q.signature } };
}

function fail(s: SupervisorState, f: Pending, now: number, random: () => number): Result {
  if (s.ending) return escalate(s, f.error);
  if (f.error.context.onError === 'stop') return escalate(s, f.error);
  if (s.recovering) return [queue(s, f), []];
  const regions = uniq(f.regions);
  const history = s.history.slice();
  let poisoned = s.poisoned;
  let delay = 0;
  for (const r of regions) {
    const strategy = s.tree.regions[r].strategy;
    const last = s.lastRestart[r];
    if (f.signature !== undefined && last?.signature === f.signature && last.from === s.completed) {
      if (strategy.repeatedFailure === 'escalate') return escalate(s, repeatedFailure(f.error, s.completed));
      if (strategy.repeatedFailure === 'dead-letter' && !poisoned.includes(f.signature)) poisoned = [...poisoned, f.signature];
    }
    const d = decide(history[r], now, strategy, random);
    if (d.action === 'escalate') {
      const kept = s.completed === undefined ? '' : `, its last checkpoint ${s.completed} kept`;
      return escalate(
        s,
        new WeirError(
          'RESTARTS_EXHAUSTED',
          `failover region ${r} failed ${d.restarts + 1} times within ${strategy.withinMs} ms (allowed: ${strategy.maxRestarts}); the job stops${kept}. Last failure: ${f.error.message}`,
          { cause: f.error, context: { ...f.error.context, region: r } },
        ),
      );
    }
    history[r] = d.history;
    delay = Math.max(delay, d.delayMs);
  }
  const epochs = s.epochs.slice();
  for (const r of regions) epochs[r]++;
  const crashed = uniq(f.crashed);
  return [
    { ...s, epochs, history, poisoned, recovering: { regions, crashed, error: f.error, signature: f.signature, phase: 'backoff' } },
    [{ t: 'pause-checkpoints', actors: actorsOf(s.tree, regions) }, { t: 'bump-epochs', regions, epochs: [...epochs] }, { t: 'wait', ms: delay }],
  ];
}

function escalate(s: SupervisorState, error: WeirError): Result {
  return [{ ...s, escalated: error, recovering: undefined, queued: undefined }, [{ t: 'escalate', error }]];
}

/** Which record failed which operator: a failure that names both (user function errors do). */
export function signatureOf(error: WeirError): string | undefined {
  const { operator, record } = error.context;
  if (error.code !== 'USER_FUNCTION_FAILED' || typeof operator !== 'string' || !('record' in error.context)) return undefined;
  // Errors from worker threads carry a preview of the record already (a string); inline ones the record itself.
  return recordSignature(operator, typeof record === 'string' ? record : preview(record));
}

/** How the supervisor names a record failing an operator: the operator and the record's preview (errors carry it across threads). */
export function recordSignature(operator: string, recordPreview: string): string {
  return `${operator}\u0000${recordPreview}`;
}

function repeatedFailure(error: WeirError, checkpoint: number | undefined): WeirError {
  const { operator, record } = error.context;
  const shown = typeof record === 'string' ? record : preview(record);
  const from = checkpoint === undefined ? 'the start (no checkpoint yet)' : `checkpoint ${checkpoint}`;
  return new WeirError(
    'RECORD_FAILS_DETERMINISTICALLY',
    `operator '${String(operator)}' failed on record ${shown} again right after restarting from ${from}: the failure is deterministic, so restarting replays it. ` +
      `The job stops${checkpoint === undefined ? '' : `, its last checkpoint ${checkpoint} kept`}. ` +
      `Fix: set onError: 'skip' on '${String(operator)}' to send such records to the dead letters, or correct the function; ` +
      `for failures that depend on outside conditions, restart: { repeatedFailure: 'restart' } retries as the restart strategy allows. Failure: ${error.message}`,
    { cause: error, context: { ...error.context } },
  );
}

function isWorkerLoss(e: WeirError): boolean {
  return e.code.startsWith('WORKER_');
}

function uniq(xs: readonly number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}
