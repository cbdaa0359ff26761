/**
 * Fault schedules: plain data, so a failing schedule prints, shrinks and
 * replays. The same data drives the simulation. `faultSchedule()` makes
 * fast-check arbitraries of absolute schedules for a given topology; the
 * properties place drawn faults inside what a fault-free run did instead
 * (placement.ts).
 */
import fc from 'fast-check';
import { ConfigError } from '../../actors/errors.js';
import type { LogicalGraph } from '../dsl/graph.js';

export type Fault =
  /** Instance `instance` of `operator` fails (as if its user function threw) once it has taken `afterRecords` records. */
  | { kind: 'actor-throws'; operator: string; instance: number; afterRecords: number }
  /** Worker `worker` dies at `atMs` (virtual): every region with actors on it restarts. */
  | { kind: 'worker-crash'; worker: number; atMs: number }
  /** Worker `worker`'s event loop is stuck from `atMs` for `forMs`; past the heartbeat timeout it is replaced. */
  | { kind: 'worker-hang'; worker: number; atMs: number; forMs: number }
  /** The state backend refuses every call from `atMs` for `forMs`. */
  | { kind: 'backend-unavailable'; atMs: number; forMs: number }
  /** The write of the `nth` checkpoint (1-based, of this run) fails. */
  | { kind: 'checkpoint-fails'; nth: number }
  /** Every write of sink `sink` takes `delayMs`. */
  | { kind: 'slow-sink'; sink: string; delayMs: number }
  /** Messages between workers are delayed by up to `maxMs`. */
  | { kind: 'channel-delay'; maxMs: number }
  /**
   * Worker `worker` dies right after the `checkpoint`-th checkpoint of the run
   * completes (1-based, the final one excluded); with `beforeSinkCommit`, after
   * the checkpoint is durable but before the sinks on that worker heard of it
   * (their pending epoch must be committed by the restored sinks). Simulation only.
   */
  | { kind: 'crash-after-checkpoint'; worker: number; checkpoint: number; beforeSinkCommit: boolean }
  /** Worker `worker` dies while the `restore`-th recovery of the run is restoring state (1-based). Simulation only. */
  | { kind: 'crash-during-restore'; worker: number; restore: number };

export type FaultKind = Fault['kind'];

export const FAULT_KINDS: readonly FaultKind[] = [
  'actor-throws',
  'worker-crash',
  'worker-hang',
  'backend-unavailable',
  'checkpoint-fails',
  'slow-sink',
  'channel-delay',
  'crash-after-checkpoint',
  'crash-during-restore',
];

/** Kinds only the simulation can inject (runThreads refuses them). */
export const SIMULATION_ONLY: ReadonlySet<FaultKind> = new Set(['slow-sink', 'channel-delay', 'crash-after-checkpoint', 'crash-during-restore']);

export interface FaultScheduleOptions {
  /** Simulated workers (default 2). */
  workers?: number;
  /** Up to how many faults per schedule (default 3). */
  maxFaults?: number;
  /** Virtual time window in which timed faults happen (default 0..2000 ms). Only for faultSchedule(): the properties place faults within the run. */
  horizonMs?: number;
  /** Upper bound for afterRecords (default 200). Only for faultSchedule(). */
  maxRecords?: number;
  /** Parallelism of operators that set none (default 1). */
  parallelism?: number;
}

/** fast-check arbitrary of absolute fault schedules for this topology (any instance of any operator). */
export function faultSchedule(graph: LogicalGraph, o: FaultScheduleOptions = {}): fc.Arbitrary<Fault[]> {
  const workers = o.workers ?? 2;
  const horizon = o.horizonMs ?? 2000;
  const actors = graph.nodes.filter((n) => n.kind !== 'source').flatMap((n) => Array.from({ length: n.parallelism ?? o.parallelism ?? 1 }, (_, instance) => ({ operator: n.id, instance })));
  const sinks = graph.nodes.filter((n) => n.kind === 'sink').map((n) => n.id);
  const at = fc.integer({ min: 0, max: horizon });
  const worker = fc.integer({ min: 0, max: workers - 1 });
  const fault: fc.Arbitrary<Fault> = fc.oneof(
    fc.record({ target: fc.constantFrom(...actors), afterRecords: fc.integer({ min: 1, max: o.maxRecords ?? 200 }) }).map(
      ({ target, afterRecords }): Fault => ({ kind: 'actor-throws', operator: target.operator, instance: target.instance, afterRecords }),
    ),
    fc.record({ kind: fc.constant('worker-crash' as const), worker, atMs: at }),
    fc.record({ kind: fc.constant('worker-hang' as const), worker, atMs: at, forMs: fc.integer({ min: 10, max: 3000 }) }),
    fc.record({ kind: fc.constant('backend-unavailable' as const), atMs: at, forMs: fc.integer({ min: 10, max: 3000 }) }),
    fc.record({ kind: fc.constant('checkpoint-fails' as const), nth: fc.integer({ min: 1, max: 10 }) }),
    fc.record({ kind: fc.constant('slow-sink' as const), sink: fc.constantFrom(...sinks), delayMs: fc.integer({ min: 1, max: 200 }) }),
    fc.record({ kind: fc.constant('channel-delay' as const), maxMs: fc.integer({ min: 1, max: 50 }) }),
  );
  return fc.array(fault, { maxLength: o.maxFaults ?? 3, size: 'max' });
}

/**
 * Every fault must name things that exist and hold values a run can reach;
 * errors name the fault, the bad field and the valid range.
 * `parallelism` is the default for operators that set none.
 */
export function validateFaults(faults: readonly Fault[], graph: LogicalGraph, workers: number, parallelism = 1): void {
  const ids = graph.nodes.map((n) => n.id);
  const sinks = graph.nodes.filter((n) => n.kind === 'sink').map((n) => n.id);
  const bad = (f: Fault, what: string, fix: string): never => {
    throw new ConfigError(`fault ${JSON.stringify(f)} ${what}. Fix: ${fix}`, { fault: f });
  };
  const int = (f: Fault, field: string, v: number, min: number) => {
    if (!Number.isInteger(v) || v < min) bad(f, `has ${field} ${v}`, `an integer >= ${min}`);
  };
  if (!Array.isArray(faults)) throw new ConfigError(`faults must be an array of Fault objects, got ${typeof faults}`);
  for (const f of faults) {
    if (!f || typeof f !== 'object' || !FAULT_KINDS.includes(f.kind)) {
      throw new ConfigError(`fault ${JSON.stringify(f)} has no known kind. Fix: kind is one of ${FAULT_KINDS.join(', ')}`, { fault: f as unknown as Fault });
    }
    switch (f.kind) {
      case 'actor-throws': {
        const node = graph.nodes.find((n) => n.id === f.operator);
        if (!node) bad(f, `names operator '${f.operator}', which topology '${graph.name}' does not have`, `use one of ${ids.join(', ')}`);
        if (node!.kind === 'source') bad(f, `names source '${f.operator}'; actor-throws counts records an operator takes in, and a source takes none`, `name one of ${graph.nodes.filter((n) => n.kind !== 'source').map((n) => n.id).join(', ')}`);
        const p = node!.parallelism ?? parallelism;
        if (!(Number.isInteger(f.instance) && f.instance >= 0 && f.instance < p)) bad(f, `names instance ${f.instance} of '${f.operator}', which runs ${p} instance(s)`, `use 0..${p - 1}`);
        int(f, 'afterRecords', f.afterRecords, 1);
        break;
      }
      case 'slow-sink':
        if (!sinks.includes(f.sink)) bad(f, `names sink '${f.sink}', which topology '${graph.name}' does not have`, `use one of ${sinks.join(', ')}`);
        int(f, 'delayMs', f.delayMs, 0);
        break;
      case 'worker-crash':
      case 'worker-hang':
      case 'crash-after-checkpoint':
      case 'crash-during-restore':
        if (!(Number.isInteger(f.worker) && f.worker >= 0 && f.worker < workers)) bad(f, `names worker ${f.worker}, but the run has ${workers} worker(s)`, `use 0..${workers - 1}`);
        if (f.kind === 'worker-crash' || f.kind === 'worker-hang') int(f, 'atMs', f.atMs, 0);
        if (f.kind === 'worker-hang') int(f, 'forMs', f.forMs, 1);
        if (f.kind === 'crash-after-checkpoint') int(f, 'checkpoint', f.checkpoint, 1);
        if (f.kind === 'crash-during-restore') int(f, 'restore', f.restore, 1);
        break;
      case 'backend-unavailable':
        int(f, 'atMs', f.atMs, 0);
        int(f, 'forMs', f.forMs, 1);
        break;
      case 'checkpoint-fails':
        int(f, 'nth', f.nth, 1);
        break;
      case 'channel-delay':
        int(f, 'maxMs', f.maxMs, 0);
        break;
    }
  }
}
