/**
 * Fault schedules: plain data, so a failing schedule prints, shrinks and
 * replays. The same data drives the simulation; `faultSchedule()` makes
 * fast-check arbitraries of it for a given topology.
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
  | { kind: 'channel-delay'; maxMs: number };

export interface FaultScheduleOptions {
  /** Simulated workers (default 2). */
  workers?: number;
  /** Up to how many faults per schedule (default 3). */
  maxFaults?: number;
  /** Virtual time window in which timed faults happen (default 0..2000 ms). */
  horizonMs?: number;
  /** Upper bound for afterRecords (default 200). */
  maxRecords?: number;
  /** Parallelism each operator is planned with (default: its own, else 1). */
  parallelism?: number;
}

/** fast-check arbitrary of fault schedules for this topology. */
export function faultSchedule(graph: LogicalGraph, o: FaultScheduleOptions = {}): fc.Arbitrary<Fault[]> {
  const workers = o.workers ?? 2;
  const horizon = o.horizonMs ?? 2000;
  const ops = graph.nodes.filter((n) => n.kind !== 'source');
  const sinks = graph.nodes.filter((n) => n.kind === 'sink').map((n) => n.id);
  const at = fc.integer({ min: 0, max: horizon });
  const fault: fc.Arbitrary<Fault> = fc.oneof(
    fc.record({
      kind: fc.constant('actor-throws' as const),
      operator: fc.constantFrom(...ops.map((n) => n.id)),
      instance: fc.constant(0),
      afterRecords: fc.integer({ min: 1, max: o.maxRecords ?? 200 }),
    }),
    fc.record({ kind: fc.constant('worker-crash' as const), worker: fc.integer({ min: 0, max: workers - 1 }), atMs: at }),
    fc.record({ kind: fc.constant('worker-hang' as const), worker: fc.integer({ min: 0, max: workers - 1 }), atMs: at, forMs: fc.integer({ min: 10, max: 3000 }) }),
    fc.record({ kind: fc.constant('backend-unavailable' as const), atMs: at, forMs: fc.integer({ min: 10, max: 3000 }) }),
    fc.record({ kind: fc.constant('checkpoint-fails' as const), nth: fc.integer({ min: 1, max: 10 }) }),
    fc.record({ kind: fc.constant('slow-sink' as const), sink: fc.constantFrom(...sinks), delayMs: fc.integer({ min: 1, max: 200 }) }),
    fc.record({ kind: fc.constant('channel-delay' as const), maxMs: fc.integer({ min: 1, max: 50 }) }),
  );
  return fc.array(fault, { maxLength: o.maxFaults ?? 3 });
}

/** Every fault must name things that exist; errors say what to change. */
export function validateFaults(faults: readonly Fault[], graph: LogicalGraph, workers: number): void {
  const ids = graph.nodes.map((n) => n.id);
  for (const f of faults) {
    if (f.kind === 'actor-throws' && !ids.includes(f.operator)) {
      throw new ConfigError(`fault ${JSON.stringify(f)} names operator '${f.operator}', which topology '${graph.name}' does not have. Fix: use one of ${ids.join(', ')}`, { fault: f });
    }
    if (f.kind === 'slow-sink' && !graph.nodes.some((n) => n.kind === 'sink' && n.id === f.sink)) {
      throw new ConfigError(`fault ${JSON.stringify(f)} names sink '${f.sink}', which topology '${graph.name}' does not have. Fix: use one of ${graph.nodes.filter((n) => n.kind === 'sink').map((n) => n.id).join(', ')}`, { fault: f });
    }
    if ((f.kind === 'worker-crash' || f.kind === 'worker-hang') && !(Number.isInteger(f.worker) && f.worker >= 0 && f.worker < workers)) {
      throw new ConfigError(`fault ${JSON.stringify(f)} names worker ${f.worker}, but the simulation has ${workers} worker(s). Fix: use 0..${workers - 1}`, { fault: f });
    }
  }
}
