/**
 * The one seam through which faults reach a real job: an injector passed in
 * the run options. Production code defines it and never imports what plugs
 * in (weir/testing's runThreads does). The worker side is named by a module
 * path and plain data: every worker imports that module and calls its
 * `workerInjector(data)` (see runtime/host/worker-injector.ts), so workers
 * get fault hooks without weir's runtime importing test code.
 */
import type { WeirError } from '../../actors/errors.js';
import type { StateBackend } from '../checkpoint/storage/backend.js';
import type { LogicalGraph } from '../dsl/graph.js';
import type { SupervisionStep } from './failover.js';

export interface InjectorControls {
  /** Ms since the job started running. */
  now(): number;
  /** True while the job runs (not yet ending or ended). */
  running(): boolean;
  /** The worker thread dies as if it crashed (reported like any crash). */
  crashWorker(worker: number): void;
  /** Send data to the worker side of the injector (every worker when `worker` is undefined). */
  tellWorkers(data: unknown, worker?: number): void;
}

export interface FaultInjector {
  /**
   * Rewrite the logical graph before planning (e.g. array sources, capture
   * sinks). The worker side must rewrite it identically, so plans match.
   */
  graph?(graph: LogicalGraph): LogicalGraph;
  /** Wrap the state backend (e.g. refuse calls for a while); `now` = ms since the job was set up. */
  backend?(backend: StateBackend, now: () => number): StateBackend;
  /** The job runs: schedule faults (worker crashes, hangs). */
  started?(controls: InjectorControls): void;
  /** An actor failed with an error the injector caused (e.g. INJECTED_FAULT): disarm it. */
  failed?(error: WeirError, controls: InjectorControls): void;
  /** Every supervision step: the event and the effects the supervisor decided. */
  observe?(step: SupervisionStep): void;
  /** The worker side: a module every worker imports (absolute path or file URL) and structured-cloneable data for it. */
  worker?: { module: string; data: unknown };
}
