/**
 * Where the actors of a job run. Both engines host the same ActorHost code:
 * - WorkerEngine: W long-lived worker threads joined pairwise by MessagePorts;
 * - InlineEngine: one ActorHost on the calling thread (tests, tiny gateways).
 */
import { MessageChannel } from 'node:worker_threads';
import { ActorHost } from '../host/actor-host.js';
import { realClock, realTimers } from '../host/env.js';
import type { FromWorker } from '../host/protocol.js';
import type { Topology } from '../dsl/topology.js';
import type { ExecutionPlan } from '../plan/plan.js';
import { createLogger } from '../log.js';
import type { ResolvedOptions } from './options.js';
import { WorkerHandle } from './worker-handle.js';
import type { WeirError } from '../../actors/errors.js';
import { serializeError } from '../host/serialize-error.js';

export interface EngineEvents {
  message(worker: number, m: FromWorker): void;
  crashed(worker: number, e: WeirError): void;
}

export interface Engine {
  /** Resolves when every worker reported ready (actors open). */
  start(): Promise<void>;
  /** Drain: sources end. */
  stop(): void;
  /** Orderly end after the sinks finished. */
  shutdown(): Promise<void>;
  /** Immediate end (failure or forced stop). */
  kill(): Promise<void>;
}

export class WorkerEngine implements Engine {
  private readonly workers: WorkerHandle[] = [];
  private readyCount = 0;
  private onReady: (() => void) | undefined;

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly moduleUrl: string,
    private readonly o: ResolvedOptions,
    private readonly events: EngineEvents,
  ) {}

  /** Called by the job for every worker message ('ready' is counted here). */
  noteReady(): void {
    if (++this.readyCount === this.workers.length) this.onReady?.();
  }

  async start(): Promise<void> {
    const ready = new Promise<void>((resolve) => (this.onReady = resolve));
    const stdout = this.o.stdout ?? process.stdout;
    for (let i = 0; i < this.plan.workers; i++) {
      const w = new WorkerHandle(i, { message: this.events.message, crashed: this.events.crashed }, stdout);
      this.workers.push(w);
      w.init({
        worker: i,
        moduleUrl: this.moduleUrl,
        exportName: this.o.exportName,
        plan: this.plan,
        channel: { batchSize: this.o.batchSize, credits: this.o.credits, bufferTimeout: this.o.bufferTimeout },
        logLevel: this.o.logLevel,
        metricsIntervalMs: this.o.metricsIntervalMs,
      });
    }
    // One port per pair of workers carries all channels between them.
    const needs = new Set(this.plan.channels.filter((c) => !c.local).map((c) => pairKey(this.plan.actors[c.from].worker, this.plan.actors[c.to].worker)));
    for (const key of needs) {
      const [a, b] = key.split(':').map(Number);
      const { port1, port2 } = new MessageChannel();
      this.workers[a].peer(b, port1);
      this.workers[b].peer(a, port2);
    }
    await ready;
    for (const w of this.workers) w.start();
  }

  stop(): void {
    for (const w of this.workers) w.stop();
  }

  async shutdown(): Promise<void> {
    for (const w of this.workers) w.shutdown();
    const grace = setTimeout(() => void this.kill(), 5000);
    await Promise.all(this.workers.map((w) => w.exited));
    clearTimeout(grace);
    await Promise.all(this.workers.map((w) => w.stdoutDone));
  }

  async kill(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    await Promise.all(this.workers.map((w) => w.stdoutDone));
  }
}

function pairKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

export class InlineEngine implements Engine {
  private host: ActorHost | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly topology: Topology,
    private readonly o: ResolvedOptions,
    private readonly events: EngineEvents,
  ) {}

  async start(): Promise<void> {
    const send = (m: FromWorker) => this.events.message(0, m);
    const log = createLogger(this.o.logLevel, { job: this.plan.job, worker: 'inline' });
    this.host = new ActorHost({
      plan: this.plan,
      graph: this.topology.graph,
      worker: 0,
      channel: { batchSize: this.o.batchSize, credits: this.o.credits, bufferTimeout: this.o.bufferTimeout },
      remote: {
        link: () => {
          throw new Error('bug: remote channel in an inline plan');
        },
        creditLink: () => {
          throw new Error('bug: remote channel in an inline plan');
        },
      },
      log,
      clock: realClock,
      timers: realTimers,
      defer: setImmediate,
      events: {
        fail: (actor, e) => send({ t: 'failed', actor, error: serializeError(e) }),
        publish: (actor, data) => send({ t: 'publish', actor, data }),
        deadLetter: (actor, record, error) => send({ t: 'dead-letter', actor, record, error: serializeError(error) }),
        sinkFinished: (actor) => send({ t: 'sink-finished', actor }),
      },
    });
    await this.host.open();
    if (this.o.metricsIntervalMs > 0) {
      this.timer = setInterval(() => send({ t: 'metrics', tasks: this.host!.metrics(), heapUsed: process.memoryUsage().heapUsed }), this.o.metricsIntervalMs);
      this.timer.unref();
    }
    this.host.start();
  }

  stop(): void {
    this.host?.requestStop();
  }

  async shutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    if (this.host) this.events.message(0, { t: 'metrics', tasks: this.host.metrics(), heapUsed: process.memoryUsage().heapUsed });
    await this.host?.dispose();
  }

  async kill(): Promise<void> {
    await this.shutdown();
  }
}
