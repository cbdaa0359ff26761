/**
 * A member's worker pool for cluster tasks: the same long-lived worker
 * threads single-process mode runs (worker-handle.ts, worker-entry.ts), each
 * hosting the chains of the tasks placed on it (worker-tasks.ts), while the
 * main thread keeps the Kafka I/O.
 *
 * - Placement: a task's chain goes to the worker with the fewest open
 *   chains, the lowest index on ties: deterministic, and a member's tasks
 *   spread evenly whatever ids the group gave it.
 * - A worker that dies (uncaught error, out of memory, exit, or a blocked
 *   event loop that stops answering heartbeats) fails every
 *   task on it: each restarts from its last commit, as after any task
 *   failure. The worker is replaced after the supervision restart
 *   strategy's backoff (supervision/restart-strategy.ts); past its budget
 *   (maxRestarts within withinMs) the member fails.
 */
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import { decide, DEFAULT_RESTART_STRATEGY } from '../../supervision/restart-strategy.js';
import { startHeartbeats, WorkerHandle } from '../coordinator/worker-handle.js';
import type { ClusterLayout, ClusterWorkerInit, FromClusterTask, FromWorker } from '../host/protocol.js';
import { deserializeError } from '../host/serialize-error.js';
import { decodeTaskOutput, type TaskOutput } from './task-batch.js';
import type { OpenTask, TaskExecutor, TaskPlacement } from './task-executor.js';

interface Chain {
  open: OpenTask;
  opened: { resolve(): void; reject(e: Error): void };
  pending: Map<number, { resolve(o: TaskOutput): void; reject(e: Error): void }>;
}

interface Slot {
  index: number;
  handle: WorkerHandle;
  ready: Promise<void>;
  chains: Map<number, Chain>;
  settleReady: { resolve(): void; reject(e: Error): void };
}

export interface TaskWorkersOptions {
  count: number;
  init: Omit<ClusterWorkerInit, 'worker'>;
  log: Logger;
  /** Ms between heartbeats (default 1000) and without an answer before a worker is replaced (default 10000). */
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
}

export class TaskWorkers implements TaskPlacement {
  private readonly slots: Slot[] = [];
  private nextHandle = 1;
  private restarts: number[] = [];
  private closing = false;
  private layout: ClusterLayout | undefined;
  onFatal?: (error: Error) => void;

  private readonly stopHeartbeats: () => void;

  constructor(private readonly o: TaskWorkersOptions) {
    for (let i = 0; i < o.count; i++) this.slots.push(this.spawn(i));
    // As in single-process mode: a worker whose event loop is stuck (an endless loop in user code) is replaced.
    this.stopHeartbeats = startHeartbeats(() => this.slots.map((s) => s.handle), o.heartbeatIntervalMs ?? 1000, o.heartbeatTimeoutMs ?? 10_000);
  }

  /** Resolves when every worker has loaded the job; rejects with the first load error (e.g. a non-deterministic build). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  private spawn(index: number): Slot {
    let settleReady!: Slot['settleReady'];
    const ready = new Promise<void>((resolve, reject) => (settleReady = { resolve, reject }));
    ready.catch(() => {});
    const slot: Slot = { index, ready, chains: new Map(), settleReady, handle: undefined as never };
    slot.handle = new WorkerHandle(index, { message: (_h, m) => this.message(slot, m), crashed: (_h, e) => this.crashed(slot, e) }, process.stdout);
    slot.handle.post({ t: 'cluster-init', init: { ...this.o.init, worker: index } });
    if (this.layout) slot.handle.post({ t: 'task', m: { t: 'layout', ...this.layout } });
    return slot;
  }

  /** The member's topic layout, once its topics are checked; before any open(). */
  setLayout(layout: ClusterLayout): void {
    this.layout = layout;
    for (const s of this.slots) s.handle.post({ t: 'task', m: { t: 'layout', ...layout } });
  }

  private message(slot: Slot, m: FromWorker): void {
    if (m.t === 'ready') {
      slot.handle.lastPong = performance.now(); // heartbeats count from readiness, not from spawn
      return slot.settleReady.resolve();
    }
    if (m.t === 'failed') return slot.settleReady.reject(deserializeError(m.error, { worker: slot.index }));
    if (m.t === 'task') this.taskMessage(slot, m.m);
  }

  private taskMessage(slot: Slot, m: FromClusterTask): void {
    const c = slot.chains.get(m.h);
    if (!c) return;
    if (m.t === 'opened') return c.opened.resolve();
    if (m.t === 'out') {
      const p = c.pending.get(m.seq);
      c.pending.delete(m.seq);
      p?.resolve(decodeTaskOutput(m.out));
      return;
    }
    slot.chains.delete(m.h);
    this.failChain(c, deserializeError(m.error, { task: c.open.task, worker: slot.index }));
  }

  private failChain(c: Chain, e: Error): void {
    c.opened.reject(e);
    for (const p of c.pending.values()) p.reject(e);
    c.pending.clear();
    c.open.onFailed(e);
  }

  private crashed(slot: Slot, error: WeirError): void {
    slot.settleReady.reject(error);
    const chains = [...slot.chains.values()];
    slot.chains.clear();
    for (const c of chains) this.failChain(c, error);
    if (this.closing) return;
    const d = decide(this.restarts, Date.now(), DEFAULT_RESTART_STRATEGY, Math.random);
    this.restarts = d.history;
    if (d.action === 'escalate') {
      this.onFatal?.(new WeirError('CLUSTER_WORKERS_FAILING', `weir cluster: worker ${slot.index} failed ${d.restarts + 1} times within ${DEFAULT_RESTART_STRATEGY.withinMs} ms (last: ${error.message}); the member stops. Fix: see the errors above (a job that runs out of memory needs fewer tasks per member or more memory)`, { cause: error }));
      return;
    }
    this.o.log.warn({ worker: slot.index, err: error, chains: chains.length, delayMs: d.delayMs }, `weir cluster: worker ${slot.index} died (${error.message}); its ${chains.length} task(s) restart from their last commit, the worker in ${d.delayMs} ms`);
    // Until its replacement runs, the slot waits: tasks placed on it start once it is ready.
    let arrived!: () => void;
    const replaced = new Promise<void>((r) => (arrived = r));
    slot.ready = replaced.then(() => this.slots[slot.index].ready);
    setTimeout(() => {
      if (this.closing) return;
      this.slots[slot.index] = this.spawn(slot.index);
      arrived();
    }, d.delayMs);
  }

  async open(o: OpenTask): Promise<TaskExecutor> {
    const slot = this.slots.reduce((best, s) => (s.chains.size < best.chains.size ? s : best));
    const h = this.nextHandle++;
    let opened!: Chain['opened'];
    const isOpen = new Promise<void>((resolve, reject) => (opened = { resolve, reject }));
    const chain: Chain = { open: o, opened, pending: new Map() };
    slot.chains.set(h, chain); // counted for placement while it waits
    await slot.ready.catch((e) => {
      slot.chains.delete(h);
      throw e;
    });
    const live = this.slots[slot.index];
    if (live !== slot) {
      slot.chains.delete(h);
      live.chains.set(h, chain);
    }
    live.handle.post({ t: 'task', m: { t: 'open', h, task: o.task, sub: o.sub.id, partition: o.partition, partitions: o.partitions, state: o.state } });
    await isOpen;
    let seq = 0;
    return {
      where: `worker ${live.index}`,
      process: (topic, rows, offsets) =>
        new Promise<TaskOutput>((resolve, reject) => {
          if (!live.chains.has(h)) return reject(new WeirError('CLUSTER_TASK_GONE', `task ${o.task}: its chain on worker ${live.index} is gone (the worker died or the chain failed)`));
          const n = seq++;
          chain.pending.set(n, { resolve, reject });
          live.handle.post({ t: 'task', m: { t: 'batch', h, seq: n, topic, rows, offsets } }, rows ? [rows.buffer as ArrayBuffer] : []);
        }),
      close: () => {
        if (!live.chains.delete(h)) return;
        live.handle.post({ t: 'task', m: { t: 'close', h } });
      },
    };
  }

  async shutdown(): Promise<void> {
    this.closing = true;
    this.stopHeartbeats();
    await Promise.all(
      this.slots.map(async (s) => {
        s.handle.shutdown();
        const t = setTimeout(() => void s.handle.terminate(), 2000);
        await s.handle.exited;
        clearTimeout(t);
      }),
    );
  }
}
