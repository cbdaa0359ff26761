/**
 * Every message that crosses a thread boundary, declared in one place (as
 * piscina does): coordinator <-> worker, and worker <-> worker over the peer
 * ports that carry channel traffic.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ExecutionPlan } from '../plan/plan.js';
import type { ChannelOptions } from './actor-host.js';
import type { TaskMetrics } from './env.js';

export interface WorkerInit {
  worker: number;
  /** URL of the (compiled) job module every worker imports. */
  moduleUrl: string;
  exportName?: string;
  plan: ExecutionPlan;
  channel: ChannelOptions;
  logLevel: string;
  metricsIntervalMs: number;
}

export type ToWorker =
  | { t: 'init'; init: WorkerInit }
  | { t: 'peer'; peer: number; port: MessagePort }
  | { t: 'start' }
  /** Drain: sources end, end-of-input flows to the sinks. */
  | { t: 'stop' }
  /** Dispose actors and close ports; the worker then exits. */
  | { t: 'shutdown' };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  context?: Record<string, unknown>;
}

export type FromWorker =
  | { t: 'ready' }
  | { t: 'metrics'; tasks: TaskMetrics[]; heapUsed: number }
  | { t: 'sink-finished'; actor: number }
  | { t: 'publish'; actor: number; data: unknown }
  | { t: 'dead-letter'; actor: number; record: unknown; error: SerializedError }
  | { t: 'failed'; actor?: number; error: SerializedError }
  | { t: 'closed' };

/** Worker <-> worker, multiplexed by channel id on one port per worker pair. */
export type PeerMessage =
  /** A data batch, msgpack-encoded, its buffer transferred. */
  | { t: 'b'; c: number; d: Uint8Array }
  /** End of input on channel c. */
  | { t: 'e'; c: number }
  /** n credits back to the sender of channel c. */
  | { t: 'k'; c: number; n: number };
