/**
 * The actors of one worker: builds their tasks, channels and scheduler from
 * the plan and the topology, routes channel traffic, serves checkpoint
 * triggers and completions, and rebuilds whole failover regions from a
 * checkpoint at a new epoch. It does not know which thread it runs on: the
 * worker entry (worker_threads) and the inline engine both drive it,
 * supplying links for channels that leave the worker.
 */
import type { Logger } from '../../actors/contract.js';
import { preview, WeirError } from '../../actors/errors.js';
import { recordSignature } from '../../supervision/supervisor.js';
import { KeyedStateStore } from '../../actors/state/keyed-state.js';
import { TimerService } from '../../actors/time/timer-service.js';
import { MIN_WATERMARK } from '../channel/watermark.js';
import type { LogicalGraph, LogicalNode } from '../dsl/graph.js';
import { decodeSnapshot, encodeSnapshot } from '../channel/codec.js';
import { InputChannel } from '../channel/input-channel.js';
import { OutputChannel } from '../channel/output-channel.js';
import { OutputGate, type OutputEdge } from '../channel/output-gate.js';
import { localCreditLink, localLink, type ChannelLink, type CreditLink } from '../channel/transport.js';
import type { ActorPlan, ChannelPlan, ExecutionPlan } from '../plan/plan.js';
import { wallClock, type ActorSnapshot, type TaskEnv, type TaskMetrics, type Timers } from './env.js';
import { createOperator } from './operator-factory.js';
import type { RestoreSet } from './protocol.js';
import { Scheduler } from './scheduler.js';
import { OperatorTask } from './tasks/operator-task.js';
import { SinkTask } from './tasks/sink-task.js';
import { SourceTask } from './tasks/source-task.js';
import type { Task } from './tasks/task.js';

/**
 * An actor whose open() failed while its region restarted: the error names
 * the actor, so the supervisor counts it as a restart of that region.
 */
function openFailed(a: ActorPlan, e: unknown): WeirError {
  const error = e instanceof WeirError ? e : new WeirError('OPEN_FAILED', `operator '${a.operator}' (instance ${a.instance}) failed to open: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  Object.assign(error.context, { actor: a.id, operator: error.context.operator ?? a.operator, instance: error.context.instance ?? a.instance });
  return error;
}

export interface ChannelOptions {
  /** Records per batch (buffer). */
  batchSize: number;
  /** Buffers per channel at the receiver = initial credit of the sender. */
  credits: number;
  /** Max ms a record waits in a buffer while its actor stays busy; 0 = flush every record. */
  bufferTimeout: number;
}

/**
 * credits: a worker reads its ports only between scheduler slices (10 ms), so credit comes back
 * about one slice late; 16 x 256 records per channel cover ~400k records/s through one channel
 * in that time (4 left the senders of a 2-worker keyBy idle a third of the time). Like Flink's
 * exclusive + floating buffers per channel, it bounds memory, not speed.
 */
export const DEFAULT_CHANNEL_OPTIONS: ChannelOptions = { batchSize: 256, credits: 16, bufferTimeout: 100 };

export interface RemoteLinks {
  link(ch: ChannelPlan, epoch: number): ChannelLink;
  creditLink(ch: ChannelPlan, epoch: number): CreditLink;
}

export interface HostEvents {
  fail(actorId: number, error: unknown, epoch: number): void;
  publish(actorId: number, data: unknown): void;
  deadLetter(actorId: number, record: unknown, error: Error): void;
  ack(actorId: number, checkpointId: number, epoch: number, snapshot: Uint8Array): void;
  finished(actorId: number, epoch: number, snapshot: Uint8Array): void;
}

export interface ActorHostOptions {
  plan: ExecutionPlan;
  graph: LogicalGraph;
  worker: number;
  job: string;
  channel: ChannelOptions;
  remote: RemoteLinks;
  events: HostEvents;
  log: Logger;
  clock: TaskEnv['clock'];
  /** Processing time of timers and windows (default: Date.now; the virtual clock in runInline). */
  processingClock?: TaskEnv['clock'];
  timers: Timers;
  defer: (fn: () => void) => void;
  epochs: number[];
  restore: RestoreSet;
  /** Id of the checkpoint `restore` comes from. */
  restoredFrom?: number;
  /** Records the supervisor found failing deterministically, to dead-letter (recordSignature). */
  poisoned?: readonly string[];
  sliceMs?: number;
  maxStepsPerTick?: number;
  order?: ConstructorParameters<typeof Scheduler>[0]['order'];
}

export class ActorHost {
  private readonly tasks = new Map<number, Task>();
  private readonly inputs = new Map<number, InputChannel>();
  private readonly outputs = new Map<number, OutputChannel>();
  private readonly scheduler: Scheduler;
  private readonly nodes: Map<string, LogicalNode>;
  private readonly epochs: number[];
  /** Built but not yet started tasks (after init or a region reset). */
  private readonly waiting = new Set<Task>();
  private poisoned: Set<string>;

  constructor(private readonly o: ActorHostOptions) {
    this.nodes = new Map(o.graph.nodes.map((n) => [n.id, n]));
    this.epochs = o.epochs.slice();
    this.poisoned = new Set(o.poisoned);
    this.scheduler = new Scheduler({
      clock: o.clock,
      defer: o.defer,
      // Batches and credit from other workers arrive only between ticks: a sender whose 16
      // credits last ~3 ms of its work stalls whenever the receiver keeps the thread longer.
      // 1 ms slices return credit within ~2 ms both ways; a turn of the event loop costs µs.
      sliceMs: o.sliceMs ?? 1,
      order: o.order,
      maxStepsPerTick: o.maxStepsPerTick,
      onError: (task, e) => this.failed(task.actor.id, e, this.epochs[task.actor.region]),
    });
    this.build(this.mine(() => true), o.restore, o.restoredFrom);
  }

  private mine(filter: (a: ActorPlan) => boolean): ActorPlan[] {
    return this.o.plan.actors.filter((a) => a.worker === this.o.worker && filter(a));
  }

  /**
   * An actor failed: its region will restart from a checkpoint, so its actors
   * here stop running now (as Flink cancels a failed region's tasks) instead of
   * processing on in a doomed epoch until the reset arrives.
   */
  private failed(actorId: number, error: unknown, epoch: number): void {
    const region = this.o.plan.actors[actorId].region;
    if (epoch === this.epochs[region]) {
      for (const t of this.tasks.values()) if (t.actor.region === region) this.scheduler.remove(t);
    }
    this.o.events.fail(actorId, error, epoch);
  }

  epochOfActor(actorId: number): number {
    return this.epochs[this.o.plan.actors[actorId].region];
  }

  epochOfChannel(channelId: number): number {
    const ch = this.o.plan.channels[channelId];
    return this.epochs[this.o.plan.actors[ch.from].region];
  }

  private build(actors: ActorPlan[], restore: RestoreSet, restoredFrom: number | undefined): void {
    const { plan, channel, events } = this.o;
    const o = this.o;
    // Receiver ends first, so local links can find them.
    for (const a of actors) {
      const epoch = this.epochs[a.region];
      for (const chId of a.inputs) {
        const ch = plan.channels[chId];
        const credits = ch.local ? localCreditLink(() => this.outputs.get(ch.id)!) : o.remote.creditLink(ch, epoch);
        this.inputs.set(ch.id, new InputChannel(ch.id, ch.inputIndex, channel.credits, credits, this.scheduler.wake));
      }
    }
    for (const a of actors) {
      const node = this.nodes.get(a.operator);
      if (!node) throw new Error(`bug: plan names operator '${a.operator}' missing from the topology`);
      const epoch = this.epochs[a.region];
      const env: TaskEnv = {
        clock: o.clock,
        timers: o.timers,
        log: o.log,
        wake: this.scheduler.wake,
        fail: (id, e) => this.failed(id, e, epoch),
        publish: events.publish,
        deadLetter: events.deadLetter,
        ack: (id, cp, snap) => events.ack(id, cp, epoch, encodeSnapshot(snap, info)),
        finished: (id, snap) => events.finished(id, epoch, encodeSnapshot(snap, info)),
      };
      const info = { operator: a.operator, instance: a.instance, parallelism: a.parallelism };
      const edges: OutputEdge[] = a.outputs.map((out) => ({
        partitioning: out.partitioning,
        keySelector: this.nodes.get(out.to)!.keySelector,
        maxParallelism: plan.maxParallelism,
        next: a.instance % out.channels.length,
        channels: out.channels.map((chId) => {
          const ch = plan.channels[chId];
          const link = ch.local ? localLink(() => this.inputs.get(ch.id)!) : o.remote.link(ch, epoch);
          const oc = new OutputChannel(ch.id, link, channel.credits, channel.batchSize, this.scheduler.wake, o.clock.now);
          this.outputs.set(ch.id, oc);
          return oc;
        }),
      }));
      const gate = new OutputGate(edges, channel.bufferTimeout, o.clock.now);
      const inputs = a.inputs.map((id) => this.inputs.get(id)!);
      const snaps = restore[a.id]?.map((b) => decodeSnapshot(b) as ActorSnapshot);
      const pick = (k: 'src' | 'sink') => snaps?.map((s) => s[k]).filter((x) => x !== undefined);
      let task: Task;
      if (node.kind === 'source') {
        const ctx = { ...info, clock: o.clock, log: o.log, job: o.job, restored: pick('src'), onError: node.onError, deadLetter: (r: unknown, e: Error) => env.deadLetter(a.id, r, e) };
        task = new SourceTask(a, node.source!, gate, ctx, env, channel.batchSize);
      } else if (node.kind === 'sink') {
        const ctx = { ...info, clock: o.clock, log: o.log, job: o.job, restored: pick('sink'), restoredCheckpoint: restoredFrom, publish: (d: unknown) => env.publish(a.id, d) };
        task = new SinkTask(a, node.sink!, inputs, ctx, env, restoredFrom ?? 0);
      } else {
        const pclock = o.processingClock ?? wallClock;
        let op: OperatorTask | undefined;
        const ctx = {
          ...info,
          clock: o.clock,
          log: o.log,
          keyedState: node.keySelector ? new KeyedStateStore(plan.maxParallelism, pclock) : undefined,
          timers: node.keySelector ? new TimerService(plan.maxParallelism) : undefined,
          time: { watermark: MIN_WATERMARK, processingTime: () => pclock.now() },
          emitWatermark: (ts: number, idle: boolean) => op!.emitWatermark(ts, idle),
          deadLetter: (r: unknown, e: Error) => env.deadLetter(a.id, r, e),
          isPoisoned: (r: unknown) => this.poisoned.size > 0 && this.poisoned.has(recordSignature(a.operator, preview(r))),
        };
        task = op = new OperatorTask(a, createOperator(node), inputs, gate, ctx, env, snaps, plan.maxParallelism);
      }
      this.tasks.set(a.id, task);
      this.waiting.add(task);
    }
  }

  async open(): Promise<void> {
    await Promise.all([...this.waiting].map((t) => t.open()));
  }

  /** Run every built task. */
  start(): void {
    for (const t of this.waiting) this.scheduler.add(t);
    this.waiting.clear();
    this.scheduler.wake();
  }

  /**
   * Failover: drop the actors of `regions` and their channels, and build them
   * again from `restore` at the new epochs. They do not run until `start()`:
   * the coordinator starts them once every worker of the regions has reset,
   * so no new-epoch message reaches a worker still at the old epoch.
   */
  async resetRegions(regions: number[], epochs: number[], restore: RestoreSet, restoredFrom?: number, poisoned?: readonly string[]): Promise<void> {
    const set = new Set(regions);
    if (poisoned) this.poisoned = new Set(poisoned);
    const affected = this.mine((a) => set.has(a.region));
    for (const a of affected) {
      const t = this.tasks.get(a.id);
      if (t) {
        this.scheduler.remove(t);
        this.waiting.delete(t);
        this.tasks.delete(a.id);
        await t.dispose().catch((e) => this.o.log.warn({ err: e, operator: a.operator }, 'dispose failed during reset'));
      }
      for (const c of a.inputs) this.inputs.delete(c);
      for (const out of a.outputs) for (const c of out.channels) this.outputs.delete(c);
    }
    for (const r of regions) this.epochs[r] = epochs[r];
    this.build(affected, restore, restoredFrom);
    await Promise.all(affected.map((a) => this.tasks.get(a.id)!.open().catch((e) => Promise.reject(openFailed(a, e)))));
  }

  /** Drain: sources end their streams; the rest follows end-of-input. */
  requestStop(): void {
    for (const t of this.tasks.values()) t.requestStop?.();
  }

  triggerCheckpoint(id: number): void {
    for (const t of this.tasks.values()) if (!this.waiting.has(t)) t.triggerCheckpoint?.(id);
  }

  /** A sink or source that fails to act on a completed checkpoint fails its actor (its region restarts), not the job. */
  async checkpointComplete(id: number): Promise<void> {
    await Promise.all(
      [...this.tasks.values()].map((t) => t.checkpointComplete?.(id).catch((e) => this.failed(t.actor.id, e, this.epochs[t.actor.region]))),
    );
  }

  // ---- remote channel traffic (from the port router, epoch already checked) ----
  deliverBatch(channelId: number, records: unknown[]): void {
    this.inputs.get(channelId)?.deliverBatch(records);
  }
  deliverBarrier(channelId: number, id: number): void {
    this.inputs.get(channelId)?.deliverBarrier(id);
  }
  deliverWatermark(channelId: number, ts: number, idle: boolean): void {
    this.inputs.get(channelId)?.deliverWatermark(ts, idle);
  }
  deliverEnd(channelId: number): void {
    this.inputs.get(channelId)?.deliverEnd();
  }
  grant(channelId: number, n: number): void {
    this.outputs.get(channelId)?.grant(n);
  }

  metrics(): TaskMetrics[] {
    return [...this.tasks.values()].map((t) => ({ ...t.metrics(), epoch: this.epochs[t.actor.region], credits: this.creditsOf(t.actor) }));
  }

  /** Credit the actor's output channels on this worker hold now (buffers it may still send). */
  private creditsOf(a: ActorPlan): number {
    let n = 0;
    for (const o of a.outputs) for (const ch of o.channels) n += this.outputs.get(ch)?.credit ?? 0;
    return n;
  }

  async dispose(): Promise<void> {
    this.scheduler.stop();
    await Promise.allSettled([...this.tasks.values()].map((t) => t.dispose()));
  }
}
