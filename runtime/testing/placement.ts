/**
 * Fault placement: the properties draw faults as fractions and picks, and
 * place them inside what the fault-free run of the same input and seed
 * actually did (run-probe.ts): timed faults within its span, `afterRecords`
 * within the records the chosen actor really took, any instance, and faults
 * pinned to protocol moments (just after checkpoint n, between a
 * checkpoint's completion and its sinks' commit, during a restore). A run
 * with faults is the fault-free run until its first fault, so the first fault
 * lands exactly where it was placed. Pure: same draws, same timeline, same
 * schedule.
 */
import fc from 'fast-check';
import { ConfigError } from '../../actors/errors.js';
import { SIMULATION_ONLY, type Fault, type FaultKind } from './faults.js';
import type { RunTimeline } from './run-probe.js';

/** One drawn fault before placement: a kind, a pick (which actor/worker/sink/checkpoint), two per-mille fractions and a flag. */
export interface FaultDraw {
  kind: FaultKind;
  pick: number;
  at: number;
  len: number;
  flag: boolean;
}

/** What placement needs from the fault-free run. */
export interface RunShape {
  timeline: RunTimeline;
  /** How long the fault-free run lasted (virtual ms in the simulation, wall ms on threads). */
  spanMs: number;
  workers: number;
  sinks: readonly string[];
  heartbeatTimeoutMs: number;
}

/** Kinds the properties draw by default; on real threads, the simulation-only ones are left out. */
export function drawableKinds(threads: boolean): FaultKind[] {
  const all: FaultKind[] = ['actor-throws', 'worker-crash', 'worker-hang', 'backend-unavailable', 'checkpoint-fails', 'slow-sink', 'channel-delay', 'crash-after-checkpoint', 'crash-during-restore'];
  return threads ? all.filter((k) => !SIMULATION_ONLY.has(k)) : all;
}

const RESTARTING: ReadonlySet<FaultKind> = new Set(['actor-throws', 'worker-crash', 'crash-after-checkpoint', 'crash-during-restore']);

/**
 * Schedules of 1..maxFaults drawn faults whose first one forces a restore
 * (an empty schedule, or one of only slow sinks and delays, tests no
 * recovery); the others are of any kind.
 */
export function faultDraws(kinds: readonly FaultKind[], maxFaults = 3): fc.Arbitrary<FaultDraw[]> {
  const draw = (ks: readonly FaultKind[]) =>
    fc.record({
      kind: fc.constantFrom(...ks),
      pick: fc.nat({ max: 65_535 }),
      at: fc.nat({ max: 999 }),
      len: fc.nat({ max: 999 }),
      flag: fc.boolean(),
    });
  const first = kinds.filter((k) => RESTARTING.has(k));
  return fc.tuple(draw(first.length ? first : kinds), fc.array(draw(kinds), { maxLength: Math.max(0, maxFaults - 1), size: 'max' })).map(([a, rest]) => [a, ...rest]);
}

/** Place drawn faults inside the fault-free run `shape`. */
export function placeFaults(draws: readonly FaultDraw[], shape: RunShape): Fault[] {
  // Faults land before the job starts ending (after that, all actors have finished and failures are moot).
  const span = Math.max(1, Math.min(shape.spanMs, shape.timeline.endingAtMs ?? shape.spanMs));
  const frac = (x: number, n: number) => Math.floor((x / 1000) * n);
  const takers = shape.timeline.actors.filter((a) => a.recordsIn > 0);
  const mids = shape.timeline.checkpoints.filter((c) => c.midRun && c.completedAtMs < span);
  const total = shape.timeline.checkpoints.length;
  // Only workers that host actors: a crash of an empty one restarts nothing.
  const hosting = shape.timeline.workers.length ? shape.timeline.workers : Array.from({ length: shape.workers }, (_, w) => w);
  const worker = (d: FaultDraw) => hosting[d.pick % hosting.length];
  const out: Fault[] = [];
  // Three times in four, a fault lands after a mid-run checkpoint (picked by `len`),
  // where a restore from it tests what state survived; else anywhere in the run.
  const after = (d: FaultDraw) => (mids.length && d.len % 4 !== 0 ? mids[d.len % mids.length] : undefined);
  const atMs = (d: FaultDraw) => {
    const cp = after(d);
    const from = cp ? Math.min(span - 1, cp.completedAtMs + 1) : 0;
    return from + frac(d.at, span - from);
  };
  const crashAt = (d: FaultDraw): Fault => ({ kind: 'worker-crash', worker: worker(d), atMs: atMs(d) });
  for (const d of draws) {
    switch (d.kind) {
      case 'actor-throws': {
        if (!takers.length) {
          out.push(crashAt(d));
          break;
        }
        const a = takers[d.pick % takers.length];
        const before = Math.min(a.recordsIn - 1, after(d)?.recordsIn[`${a.operator}[${a.instance}]`] ?? 0);
        out.push({ kind: 'actor-throws', operator: a.operator, instance: a.instance, afterRecords: before + 1 + frac(d.at, a.recordsIn - before) });
        break;
      }
      case 'worker-crash':
        out.push(crashAt(d));
        break;
      case 'worker-hang':
        // Up to twice the heartbeat timeout: about half the hangs get the worker replaced.
        out.push({ kind: 'worker-hang', worker: worker(d), atMs: atMs(d), forMs: 1 + frac(d.len, 2 * shape.heartbeatTimeoutMs) });
        break;
      case 'backend-unavailable':
        out.push({ kind: 'backend-unavailable', atMs: atMs(d), forMs: 1 + frac(d.len, span) });
        break;
      case 'checkpoint-fails':
        out.push({ kind: 'checkpoint-fails', nth: 1 + (d.pick % Math.max(1, total)) });
        break;
      case 'slow-sink':
        if (!shape.sinks.length) break;
        out.push({ kind: 'slow-sink', sink: shape.sinks[d.pick % shape.sinks.length], delayMs: 1 + frac(d.len, Math.ceil(span / 10)) });
        break;
      case 'channel-delay':
        out.push({ kind: 'channel-delay', maxMs: 1 + frac(d.len, Math.ceil(span / 10)) });
        break;
      case 'crash-after-checkpoint':
        if (!mids.length) {
          out.push(crashAt(d));
          break;
        }
        // The nth checkpoint of the run, counting the non-final ones: pick among the mid-run ones.
        out.push({ kind: 'crash-after-checkpoint', worker: worker(d), checkpoint: shape.timeline.checkpoints.filter((c) => !c.final).indexOf(mids[d.len % mids.length]) + 1, beforeSinkCommit: d.flag });
        break;
      case 'crash-during-restore':
        // Pinned to the first recovery; when nothing else in the schedule restarts, a crash makes one.
        if (!draws.some((x) => x !== d && RESTARTING.has(x.kind))) out.push({ kind: 'worker-crash', worker: hosting[(d.pick >> 8) % hosting.length], atMs: atMs(d) });
        out.push({ kind: 'crash-during-restore', worker: worker(d), restore: 1 });
        break;
    }
  }
  return out;
}

/**
 * A schedule given by the user (not placed) must fit the fault-free run of
 * the input it is paired with, or the fault never fires and the property
 * passes without testing it. The error names the fault and the valid range.
 */
export function checkWithinRun(faults: readonly Fault[], shape: RunShape, unit: string): void {
  const bad = (f: Fault, what: string, fix: string): never => {
    throw new ConfigError(`fault ${JSON.stringify(f)} falls outside the fault-free run of this input: ${what}, so it would never fire. Fix: ${fix}, or draw larger inputs`, { fault: f });
  };
  const span = shape.spanMs;
  const midRun = shape.timeline.checkpoints.filter((c) => !c.final).length;
  for (const f of faults) {
    if (f.kind === 'actor-throws') {
      const a = shape.timeline.actors.find((x) => x.operator === f.operator && x.instance === f.instance);
      const n = a?.recordsIn ?? 0;
      if (f.afterRecords > n) bad(f, `${f.operator}[${f.instance}] takes ${n} record(s)`, n ? `afterRecords in 1..${n}` : `name an instance that takes records (${shape.timeline.actors.filter((x) => x.recordsIn > 0).map((x) => `${x.operator}[${x.instance}]`).join(', ') || 'none does'})`);
    }
    if ((f.kind === 'worker-crash' || f.kind === 'worker-hang' || f.kind === 'backend-unavailable') && f.atMs >= span) bad(f, `the run lasts ${span} ${unit}`, `atMs in 0..${Math.max(0, span - 1)}`);
    if (f.kind === 'checkpoint-fails' && f.nth > shape.timeline.checkpoints.length) bad(f, `the run completes ${shape.timeline.checkpoints.length} checkpoint(s)`, `nth in 1..${shape.timeline.checkpoints.length}`);
    if (f.kind === 'crash-after-checkpoint' && f.checkpoint > midRun) bad(f, `the run completes ${midRun} checkpoint(s) before its final one`, midRun ? `checkpoint in 1..${midRun}` : 'lower checkpointInterval');
  }
}
