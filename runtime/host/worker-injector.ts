/**
 * The worker side of a fault injector (runtime/coordinator/fault-injector.ts):
 * the module named in `FaultInjector.worker` exports
 * `workerInjector(data): WorkerInjector`, which the worker entry calls after
 * importing it. Plain hooks; the worker entry knows nothing of what they do.
 */
import type { LogicalGraph } from '../dsl/graph.js';
import type { ExecutionPlan } from '../plan/plan.js';
import type { TaskMetrics } from './env.js';

export interface InjectorHost {
  worker: number;
  plan: ExecutionPlan;
  metrics(): TaskMetrics[];
  epochOfActor(actor: number): number;
  /** Fail an actor as if its user function threw. */
  fail(actor: number, error: unknown, epoch: number): void;
}

export interface WorkerInjector {
  /** Must rewrite the graph as the coordinator side's `graph` does. */
  graph?(graph: LogicalGraph): LogicalGraph;
  /** The worker's actors are open: start watching them. */
  attach?(host: InjectorHost): void;
  /** Data sent by the coordinator side (InjectorControls.tellWorkers). */
  message?(data: unknown): void;
}

export type WorkerInjectorFactory = (data: unknown) => WorkerInjector;
