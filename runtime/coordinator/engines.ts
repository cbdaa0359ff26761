/**
 * Where the actors of a job run. Both engines host the same ActorHost code:
 * - WorkerEngine: W long-lived worker threads joined pairwise by
 *   MessagePorts; it replaces crashed or hung workers and resets failover
 *   regions on the others (two phases: every involved worker resets, then
 *   all start, so no new-epoch message meets an old-epoch actor);
 * - InlineEngine: one ActorHost on the calling thread (tests, tiny gateways).
 */
import { MessageChannel } from 'node:worker_threads';
import { WeirError } from '../../actors/errors.js';
import { ActorHost } from '../host/actor-host.js';
import { realClock, realTimers } from '../host/env.js';
import type { FromWorker, RestoreSet, WorkerInit } from '../host/protocol.js';
import { deserializeError, serializeError } from '../host/serialize-error.js';
import type { LogicalGraph } from '../dsl/graph.js';
import type { ExecutionPlan } from '../plan/plan.js';
import { lazyLogger } from '../log.js';
import type { ResolvedOptions } from './options.js';
import { startHeartbeats, WorkerHandle } from './worker-handle.js';
import { workerResourceLimits } from './worker-limits.js';
import { idleThreadStats, threadStatsSampler, type ThreadStatsSampler } from '../host/thread-stats.js';

export interface EngineEvents {
  /** Messages for the job (replies the engine waits for are consumed by it). */
  message(worker: number, m: FromWorker): void;
  crashed(worker: number, e: WeirError): void;
}

export interface Engine {
  /** Build every actor (restored from `restore`) and run them. */
  start(epochs: number[], restore: RestoreSet, restoredFrom?: number): Promise<void>;
  /** Drain: sources end. */
  stop(): void;
  trigger(checkpointId: number): void;
  /** Tell every worker checkpoint `id` is committed; with `wait`, resolves when all sinks committed it. */
  complete(checkpointId: number, wait: boolean): Promise<void>;
  /**
   * Rebuild the actors of `regions` from `restore` at `epochs`; `crashed` workers are replaced first.
   * `poisoned`: records to dead-letter if they fail again (replaces the previous list).
   */
  recover(regions: number[], epochs: number[], restore: RestoreSet, crashed: number[], restoredFrom?: number, poisoned?: string[]): Promise<void>;
  /** Orderly end after the sinks finished. */
  shutdown(): Promise<void>;
  /** Immediate end (failure or forced stop). */
  kill(): Promise<void>;
}

type Reply = 'ready' | 'reset-done' | 'committed';

export class WorkerEngine implements Engine {
  private readonly workers: WorkerHandle[] = [];
  private readonly waiters = new Map<string, { resolve: () => void; reject: (e: unknown) => void }[]>();
  private stopHeartbeat: () => void = () => {};
  private plan!: ExecutionPlan;
  private moduleUrl!: string;
  private job!: string;
  private events!: EngineEvents;

  /**
   * Threads are spawned at once, before the job is compiled and planned:
   * booting a worker (~100+ ms) overlaps the coordinator's own start-up.
   */
  constructor(private readonly o: ResolvedOptions) {
    for (let i = 0; i < o.workers; i++) this.workers.push(this.newHandle(i));
  }

  /** The job to run: set before start(). */
  configure(plan: ExecutionPlan, moduleUrl: string, job: string, events: EngineEvents): void {
    this.plan = plan;
    this.moduleUrl = moduleUrl;
    this.job = job;
    this.events = events;
  }

  private newHandle(i: number): WorkerHandle {
    const stdout = this.o.stdout ?? process.stdout;
    const limits = workerResourceLimits(this.o.workerYoungGenerationMb, this.o.workerMemoryMb);
    return new WorkerHandle(i, { message: this.onMessage, crashed: this.onCrash }, stdout, limits);
  }

  private onMessage = (h: WorkerHandle, m: FromWorker): void => {
    if (this.workers[h.index] !== h || !this.events) return; // a replaced worker's last words
    if (m.t === 'ready' || m.t === 'reset-done' || m.t === 'committed') {
      if (m.t === 'ready') h.lastPong = performance.now(); // heartbeats count from readiness, not from spawn
      const key = m.t === 'committed' ? `${h.index}:committed:${m.id}` : `${h.index}:${m.t}`;
      this.waiters.get(key)?.shift()?.resolve();
      return;
    }
    if (m.t === 'reset-failed') {
      this.waiters.get(`${h.index}:reset-done`)?.shift()?.reject(deserializeError(m.error));
      return;
    }
    if (m.t === 'pong') return;
    this.events.message(h.index, m);
  };

  private onCrash = (h: WorkerHandle, e: WeirError): void => {
    if (this.workers[h.index] !== h) return;
    if (!this.events) return void (this.earlyCrash ??= e); // before the job was configured
    // Nothing this worker was asked will be answered now.
    for (const [key, list] of this.waiters) {
      if (!key.startsWith(`${h.index}:`)) continue;
      for (const w of list.splice(0)) w.reject(e);
    }
    this.events.crashed(h.index, e);
  };

  private reply(worker: number, what: Reply | `committed:${number}`): Promise<void> {
    return new Promise((resolve, reject) => {
      const key = `${worker}:${what}`;
      const list = this.waiters.get(key) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(key, list);
    });
  }

  /** Send the job to worker i (a fresh thread unless `reuse`). */
  private spawn(i: number, epochs: number[], restore: RestoreSet, reuse = false, restoredFrom?: number, poisoned?: string[]): WorkerHandle {
    const w = reuse ? this.workers[i] : (this.workers[i] = this.newHandle(i));
    const mine: RestoreSet = {};
    for (const a of this.plan.actors) if (a.worker === i && restore[a.id]) mine[a.id] = restore[a.id];
    const init: WorkerInit = {
      worker: i,
      moduleUrl: this.moduleUrl,
      exportName: this.o.exportName,
      job: this.job,
      plan: this.plan,
      channel: { batchSize: this.o.batchSize, credits: this.o.credits, bufferTimeout: this.o.bufferTimeout },
      logLevel: this.o.logLevel,
      metricsIntervalMs: this.o.metricsIntervalMs,
      epochs,
      restore: mine,
      restoredFrom,
      poisoned,
      injector: this.o.injector?.worker,
    };
    w.post({ t: 'init', init });
    return w;
  }

  /** Pairs of workers joined by at least one remote channel. */
  private pairs(): [number, number][] {
    const keys = new Set<string>();
    for (const c of this.plan.channels) {
      if (c.local) continue;
      const a = this.plan.actors[c.from].worker;
      const b = this.plan.actors[c.to].worker;
      keys.add(a < b ? `${a}:${b}` : `${b}:${a}`);
    }
    return [...keys].map((k) => k.split(':').map(Number) as [number, number]);
  }

  private connect(a: number, b: number): void {
    const { port1, port2 } = new MessageChannel();
    this.workers[a].peer(b, port1);
    this.workers[b].peer(a, port2);
  }

  private earlyCrash: WeirError | undefined;

  async start(epochs: number[], restore: RestoreSet, restoredFrom?: number): Promise<void> {
    if (this.earlyCrash) throw this.earlyCrash;
    const ready: Promise<void>[] = [];
    for (let i = 0; i < this.plan.workers; i++) {
      ready.push(this.reply(i, 'ready'));
      this.spawn(i, epochs, restore, true, restoredFrom);
    }
    for (const [a, b] of this.pairs()) this.connect(a, b);
    await Promise.all(ready);
    for (const w of this.workers) w.post({ t: 'start' });
    this.startHeartbeat();
  }

  /** A worker whose event loop does not answer pings within the timeout is terminated and reported as crashed. */
  private startHeartbeat(): void {
    this.stopHeartbeat = startHeartbeats(() => this.workers, this.o.heartbeatIntervalMs, this.o.heartbeatTimeoutMs);
  }

  stop(): void {
    for (const w of this.workers) w.post({ t: 'stop' });
  }

  /** Broadcast, or send to one worker (the fault injector's messages). */
  post(m: import('../host/protocol.js').ToWorker, worker?: number): void {
    for (const w of this.workers) if (worker === undefined || w.index === worker) w.post(m);
  }

  /** The thread dies as if it crashed, reported like any crash (fault injection). */
  crashWorker(worker: number): void {
    void this.workers[worker]?.kill();
  }

  trigger(id: number): void {
    for (const w of this.workers) w.post({ t: 'trigger', id });
  }

  async complete(id: number, wait: boolean): Promise<void> {
    const done = wait ? this.workers.map((w) => this.reply(w.index, `committed:${id}`)) : [];
    for (const w of this.workers) w.post({ t: 'complete', id });
    await Promise.all(done);
  }

  async recover(regions: number[], epochs: number[], restore: RestoreSet, crashed: number[], restoredFrom?: number, poisoned?: string[]): Promise<void> {
    const set = new Set(regions);
    const involved = new Set(this.plan.actors.filter((a) => set.has(a.region)).map((a) => a.worker));
    // Phase 1: replace crashed workers, reset the regions everywhere else.
    const phase1: Promise<void>[] = [];
    for (const i of crashed) {
      const old = this.workers[i];
      void old.terminate().catch(() => {});
      phase1.push(this.reply(i, 'ready'));
      this.spawn(i, epochs, restore, false, restoredFrom, poisoned);
    }
    for (const [a, b] of this.pairs()) if (crashed.includes(a) || crashed.includes(b)) this.connect(a, b);
    for (const i of involved) {
      if (crashed.includes(i)) continue;
      const mine: RestoreSet = {};
      for (const a of this.plan.actors) if (a.worker === i && set.has(a.region) && restore[a.id]) mine[a.id] = restore[a.id];
      phase1.push(this.reply(i, 'reset-done'));
      this.workers[i].post({ t: 'reset', regions, epochs, restore: mine, restoredFrom, poisoned });
    }
    await Promise.all(phase1);
    // Phase 2: run.
    for (const i of involved) this.workers[i].post({ t: 'start-regions', regions });
    for (const i of crashed) if (!involved.has(i)) this.workers[i].post({ t: 'start' });
  }

  async shutdown(): Promise<void> {
    this.stopHeartbeat();
    for (const w of this.workers) w.shutdown();
    const grace = setTimeout(() => void this.kill(), 5000);
    await Promise.all(this.workers.map((w) => w.exited));
    clearTimeout(grace);
    await Promise.all(this.workers.map((w) => w.stdoutDone));
  }

  async kill(): Promise<void> {
    this.stopHeartbeat();
    await Promise.all(this.workers.map((w) => w.terminate()));
    await Promise.all(this.workers.map((w) => w.stdoutDone));
  }
}

export class InlineEngine implements Engine {
  private host: ActorHost | undefined;
  private timer: NodeJS.Timeout | undefined;
  private threadStats: ThreadStatsSampler | undefined;

  constructor(
    private readonly plan: ExecutionPlan,
    /** The logical graph, as the fault injector (if any) rewrote it. */
    private readonly graph: LogicalGraph,
    private readonly o: ResolvedOptions,
    private readonly job: string,
    private readonly events: EngineEvents,
  ) {}

  async start(epochs: number[], restore: RestoreSet, restoredFrom?: number): Promise<void> {
    const send = (m: FromWorker) => this.events.message(0, m);
    const log = lazyLogger(this.o.logLevel, { job: this.job, worker: 'inline' });
    const remote = () => {
      throw new Error('bug: remote channel in an inline plan');
    };
    this.host = new ActorHost({
      plan: this.plan,
      graph: this.graph,
      worker: 0,
      job: this.job,
      channel: { batchSize: this.o.batchSize, credits: this.o.credits, bufferTimeout: this.o.bufferTimeout },
      remote: { link: remote, creditLink: remote },
      log,
      clock: realClock,
      timers: realTimers,
      defer: setImmediate,
      epochs,
      restore,
      restoredFrom,
      events: {
        fail: (actor, e, epoch) => send({ t: 'failed', actor, epoch, error: serializeError(e) }),
        publish: (actor, data) => send({ t: 'publish', actor, data }),
        deadLetter: (actor, record, error) => send({ t: 'dead-letter', actor, record, error: serializeError(error) }),
        ack: (actor, id, epoch, snapshot) => send({ t: 'ack', actor, id, epoch, snapshot }),
        finished: (actor, epoch, snapshot) => send({ t: 'finished', actor, epoch, snapshot }),
      },
    });
    await this.host.open();
    if (this.o.metricsIntervalMs > 0) {
      this.threadStats = threadStatsSampler();
      this.timer = setInterval(() => send(this.metrics()), this.o.metricsIntervalMs);
      this.timer.unref();
    }
    this.host.start();
  }

  private metrics(): FromWorker {
    return { t: 'metrics', tasks: this.host!.metrics(), ...(this.threadStats?.() ?? idleThreadStats()) };
  }

  stop(): void {
    this.host?.requestStop();
  }

  trigger(id: number): void {
    this.host?.triggerCheckpoint(id);
  }

  async complete(id: number, wait: boolean): Promise<void> {
    const done = this.host?.checkpointComplete(id).catch((e) => this.events.message(0, { t: 'failed', error: serializeError(e) }));
    if (wait) await done;
  }

  async recover(regions: number[], epochs: number[], restore: RestoreSet, _crashed: number[], restoredFrom?: number, poisoned?: string[]): Promise<void> {
    await this.host!.resetRegions(regions, epochs, restore, restoredFrom, poisoned);
    this.host!.start();
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.host) this.events.message(0, this.metrics());
    this.threadStats?.close();
    await this.host?.dispose();
  }

  async kill(): Promise<void> {
    await this.shutdown();
  }
}
