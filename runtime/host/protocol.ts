/**
 * Every message that crosses a thread boundary, declared in one place (as
 * piscina does): coordinator <-> worker, and worker <-> worker over the peer
 * ports that carry channel traffic.
 */
import type { MessagePort } from 'node:worker_threads';
import type { ExecutionPlan } from '../plan/plan.js';
import type { ChannelOptions } from './actor-host.js';
import type { TaskMetrics } from './env.js';
import type { ThreadStats } from './thread-stats.js';

/** Snapshot blobs to restore, by actor id: its own, or every old instance's after a rescale. */
export type RestoreSet = Record<number, Uint8Array[]>;

export interface WorkerInit {
  worker: number;
  /** URL of the (compiled) job module every worker imports. */
  moduleUrl: string;
  exportName?: string;
  /** Job id: names state, transactional ids and output files. */
  job: string;
  plan: ExecutionPlan;
  channel: ChannelOptions;
  logLevel: string;
  metricsIntervalMs: number;
  /** Current epoch of every failover region (index = region). */
  epochs: number[];
  restore: RestoreSet;
  /** Id of the checkpoint `restore` comes from (sinks retract output committed after it). */
  restoredFrom?: number;
  /** Records to dead-letter if they fail again (the supervisor's repeatedFailure: 'dead-letter'). */
  poisoned?: string[];
  /** The worker side of a fault injector: a module to import and its data (see worker-injector.ts). */
  injector?: { module: string; data: unknown };
}

export type ToWorker =
  | { t: 'init'; init: WorkerInit }
  | { t: 'peer'; peer: number; port: MessagePort }
  | { t: 'start' }
  /** Drain: sources end, end-of-input flows to the sinks. */
  | { t: 'stop' }
  /** Inject checkpoint barrier `id` at this worker's sources. */
  | { t: 'trigger'; id: number }
  /** Checkpoint `id` is committed: sinks commit, sources hear of it. Answered by 'committed'. */
  | { t: 'complete'; id: number }
  /** Rebuild the actors of these regions from `restore` at the new epochs, not yet running. Answered by 'reset-done'. */
  | { t: 'reset'; regions: number[]; epochs: number[]; restore: RestoreSet; restoredFrom?: number; poisoned?: string[] }
  | { t: 'start-regions'; regions: number[] }
  /** For the worker side of the fault injector. */
  | { t: 'inject'; data: unknown }
  /** Heartbeat: a worker whose event loop is stuck does not answer. */
  | { t: 'ping'; n: number }
  /** Dispose actors and close ports; the worker then exits. */
  | { t: 'shutdown' }
  /** Cluster mode: this worker hosts task chains instead of actors (runtime/cluster/worker-tasks.ts). Answered by 'ready'. */
  | { t: 'cluster-init'; init: ClusterWorkerInit }
  | { t: 'task'; m: ToClusterTask };

/** What a cluster member's worker needs to build task chains: the job module and the member's plan. */
export interface ClusterWorkerInit {
  worker: number;
  moduleUrl: string;
  exportName?: string;
  job: string;
  logLevel: string;
  fingerprint: string;
  /** runtime/cluster's ClusterPlan (plain data). */
  plan: unknown;
}

/** The member's topic layout, known once its topics are checked (the workers load the job meanwhile). */
export interface ClusterLayout {
  /** Sub-topology id -> its task count. */
  tasks: [number, number][];
  /** Repartition topic -> partition count. */
  repartitionPartitions: [string, number][];
}

/** Main thread -> worker, about one opened task chain `h` (a handle, new on every start of a task). */
export type ToClusterTask =
  /** Sent before the first open. */
  | ({ t: 'layout' } & ClusterLayout)
  /** Build the chain of task `task` (s.p), restoring `state` (its changelog record) when given. */
  | { t: 'open'; h: number; task: string; sub: number; partition: number; partitions: number; state?: unknown }
  /** One fetched batch (msgpack rows, see cluster/task-batch.ts), or with no topic a tick of processing time; `offsets`: the task's input positions after it. */
  | { t: 'batch'; h: number; seq: number; topic: string | null; rows: Uint8Array | null; offsets: Record<string, number> }
  | { t: 'close'; h: number };

export type FromClusterTask =
  | { t: 'opened'; h: number }
  /** The output of batch `seq` (msgpack TaskOutput), buffer transferred. */
  | { t: 'out'; h: number; seq: number; out: Uint8Array }
  | { t: 'failed'; h: number; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
  context?: Record<string, unknown>;
}

export type FromWorker =
  | { t: 'ready' }
  | ({ t: 'metrics'; tasks: TaskMetrics[] } & ThreadStats)
  | { t: 'publish'; actor: number; data: unknown }
  | { t: 'dead-letter'; actor: number; record: unknown; error: SerializedError }
  /** `epoch` of the failed actor's region when it failed (stale failures are ignored). */
  | { t: 'failed'; actor?: number; epoch?: number; error: SerializedError }
  /** The actor's snapshot for checkpoint `id` (msgpack). */
  | { t: 'ack'; actor: number; id: number; epoch: number; snapshot: Uint8Array }
  /** The actor consumed all input; its final snapshot. */
  | { t: 'finished'; actor: number; epoch: number; snapshot: Uint8Array }
  | { t: 'committed'; id: number }
  | { t: 'reset-done' }
  /** A 'reset' failed: an actor could not open (its error names it in context.actor). */
  | { t: 'reset-failed'; error: SerializedError }
  | { t: 'pong'; n: number }
  | { t: 'closed' }
  | { t: 'task'; m: FromClusterTask };

/** Worker <-> worker, multiplexed by channel id on one port per worker pair; `e` is the region epoch. */
export type PeerMessage =
  /** A data batch, msgpack-encoded, its buffer transferred. */
  | { t: 'b'; c: number; e: number; d: Uint8Array }
  /** Checkpoint barrier. */
  | { t: 'r'; c: number; e: number; id: number }
  /** Watermark `w` on channel c; `i`: the sender is idle. */
  | { t: 'w'; c: number; e: number; w: number; i: boolean }
  /** End of input on channel c. */
  | { t: 'e'; c: number; e: number }
  /** n credits back to the sender of channel c. */
  | { t: 'k'; c: number; e: number; n: number };

/** What one postMessage between two workers carries: the messages of one turn of the sender's event loop, in order (peer-outbox.ts). */
export type PeerFrame = PeerMessage[];
