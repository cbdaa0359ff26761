/**
 * The actors of one worker: builds their tasks, channels and scheduler from
 * the plan and the topology, and routes channel traffic. It does not know
 * which thread it runs on: the worker entry (worker_threads) and the inline
 * runner both drive it, supplying links for channels that leave the worker.
 */
import type { Logger } from '../../actors/contract.js';
import type { LogicalGraph, LogicalNode } from '../dsl/graph.js';
import { InputChannel } from '../channel/input-channel.js';
import { OutputChannel } from '../channel/output-channel.js';
import { OutputGate, type OutputEdge } from '../channel/output-gate.js';
import { localCreditLink, localLink, type ChannelLink, type CreditLink } from '../channel/transport.js';
import type { ChannelPlan, ExecutionPlan } from '../plan/plan.js';
import type { TaskEnv, TaskMetrics, Timers } from './env.js';
import { createOperator } from './operator-factory.js';
import { Scheduler } from './scheduler.js';
import { OperatorTask } from './tasks/operator-task.js';
import { SinkTask } from './tasks/sink-task.js';
import { SourceTask } from './tasks/source-task.js';
import type { Task } from './tasks/task.js';

export interface ChannelOptions {
  /** Records per batch (buffer). */
  batchSize: number;
  /** Buffers per channel at the receiver = initial credit of the sender. */
  credits: number;
  /** Max ms a record waits in a buffer while its actor stays busy; 0 = flush every record. */
  bufferTimeout: number;
}

export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = { batchSize: 256, credits: 4, bufferTimeout: 100 };

export interface RemoteLinks {
  link(ch: ChannelPlan): ChannelLink;
  creditLink(ch: ChannelPlan): CreditLink;
}

export interface HostEvents {
  fail(actorId: number, error: unknown): void;
  publish(actorId: number, data: unknown): void;
  deadLetter(actorId: number, record: unknown, error: Error): void;
  sinkFinished(actorId: number): void;
}

export interface ActorHostOptions {
  plan: ExecutionPlan;
  graph: LogicalGraph;
  worker: number;
  channel: ChannelOptions;
  remote: RemoteLinks;
  events: HostEvents;
  log: Logger;
  clock: TaskEnv['clock'];
  timers: Timers;
  defer: (fn: () => void) => void;
  sliceMs?: number;
  order?: ConstructorParameters<typeof Scheduler>[0]['order'];
}

export class ActorHost {
  readonly tasks: Task[] = [];
  private readonly inputs = new Map<number, InputChannel>();
  private readonly outputs = new Map<number, OutputChannel>();
  private readonly scheduler: Scheduler;
  private readonly env: TaskEnv;

  constructor(private readonly o: ActorHostOptions) {
    const nodes = new Map<string, LogicalNode>(o.graph.nodes.map((n) => [n.id, n]));
    this.scheduler = new Scheduler({
      clock: o.clock,
      defer: o.defer,
      sliceMs: o.sliceMs ?? 10,
      order: o.order,
      onError: (task, e) => o.events.fail(task.actor.id, e),
    });
    this.env = {
      clock: o.clock,
      timers: o.timers,
      log: o.log,
      wake: this.scheduler.wake,
      fail: o.events.fail,
      publish: o.events.publish,
      deadLetter: o.events.deadLetter,
      sinkFinished: o.events.sinkFinished,
    };
    const { plan, channel } = o;
    const mine = plan.actors.filter((a) => a.worker === o.worker);

    // Receiver ends first, so local links can find them.
    for (const a of mine) {
      for (const chId of a.inputs) {
        const ch = plan.channels[chId];
        const credits = ch.local ? localCreditLink(() => this.outputs.get(ch.id)!) : o.remote.creditLink(ch);
        this.inputs.set(ch.id, new InputChannel(ch.id, ch.inputIndex, channel.credits, credits, this.scheduler.wake));
      }
    }
    for (const a of mine) {
      const node = nodes.get(a.operator);
      if (!node) throw new Error(`bug: plan names operator '${a.operator}' missing from the topology`);
      const log = o.log;
      const info = { operator: a.operator, instance: a.instance, parallelism: a.parallelism };
      const edges: OutputEdge[] = a.outputs.map((out) => ({
        partitioning: out.partitioning,
        keySelector: nodes.get(out.to)!.keySelector,
        maxParallelism: plan.maxParallelism,
        next: a.instance % out.channels.length,
        channels: out.channels.map((chId) => {
          const ch = plan.channels[chId];
          const link = ch.local ? localLink(() => this.inputs.get(ch.id)!) : o.remote.link(ch);
          const oc = new OutputChannel(ch.id, link, channel.credits, channel.batchSize, this.scheduler.wake, o.clock.now);
          this.outputs.set(ch.id, oc);
          return oc;
        }),
      }));
      const gate = new OutputGate(edges, channel.bufferTimeout, o.clock.now);
      const inputs = a.inputs.map((id) => this.inputs.get(id)!);
      const env = this.env;
      let task: Task;
      if (node.kind === 'source') {
        task = new SourceTask(a, node.source!, gate, { ...info, clock: o.clock, log }, env, channel.batchSize);
      } else if (node.kind === 'sink') {
        task = new SinkTask(a, node.sink!, inputs, { ...info, clock: o.clock, log, publish: (d) => env.publish(a.id, d) }, env);
      } else {
        const ctx = { ...info, clock: o.clock, log, deadLetter: (r: unknown, e: Error) => env.deadLetter(a.id, r, e) };
        task = new OperatorTask(a, createOperator(node), inputs, gate, ctx, env);
      }
      this.tasks.push(task);
      this.scheduler.add(task);
    }
  }

  async open(): Promise<void> {
    await Promise.all(this.tasks.map((t) => t.open()));
  }

  start(): void {
    this.scheduler.wake();
  }

  /** Drain: sources end their streams; the rest follows end-of-input. */
  requestStop(): void {
    for (const t of this.tasks) t.requestStop?.();
  }

  // ---- remote channel traffic (from the port router) ----
  deliverBatch(channelId: number, records: unknown[]): void {
    this.inputs.get(channelId)!.deliverBatch(records);
  }
  deliverEnd(channelId: number): void {
    this.inputs.get(channelId)!.deliverEnd();
  }
  grant(channelId: number, n: number): void {
    this.outputs.get(channelId)!.grant(n);
  }

  metrics(): TaskMetrics[] {
    return this.tasks.map((t) => t.metrics());
  }

  async dispose(): Promise<void> {
    this.scheduler.stop();
    await Promise.allSettled(this.tasks.map((t) => t.dispose()));
  }
}
