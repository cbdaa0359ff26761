/**
 * `machine(definition, options)`: every key of a keyed stream runs an xstate
 * v5 statechart, through xstate's pure transition API (`initialTransition`,
 * `transition`), never a live actor per key. A key's state is its persisted
 * snapshot in keyed value state (checkpointed, restored and rescaled like all
 * keyed state); delayed events (`after`, `raise`/`sendTo` self with a delay)
 * are processing-time timers plus the pending events in keyed state, so they
 * survive failover and fire after restore. Built on `process` handlers: the
 * machine is one more keyed process function.
 */
import { createRequire } from 'node:module';
import type { AnyMachineSnapshot, AnyStateMachine, EmittedFrom, EventFromLogic, EventObject } from 'xstate';
import type { Key } from '../../key-groups.js';
import type { ProcessContext, ProcessHandlers, TimerContext } from '../process.js';
import { nonSerializablePath } from './serializable.js';

// xstate loads on the first machine() record, not with weir: every worker thread imports weir,
// and xstate cost each one ~15-25 ms of start-up. Its "import" entry wraps the same CommonJS
// build that require() gives, so the user's machine and these functions share one xstate.
type Xstate = typeof import('xstate');
let xstateLib: Xstate | undefined;
const xstate = (): Xstate => (xstateLib ??= createRequire(import.meta.url)('xstate') as Xstate);

export interface MachineOptions<T, E extends EventObject> {
  /** The event for a record (default: the record itself, which then needs a `type`). */
  toEvent?: (record: T) => E;
  /** Also emit `{ kind: 'transition', key, from, to, event }` on every change of state value (default false). */
  transitions?: boolean;
  /** A record whose event the current state does not accept: 'ignore' (default) or 'error' (a user failure: onError decides, 'skip' dead-letters it). */
  unhandled?: 'ignore' | 'error';
  /**
   * Drop a key's statechart state (snapshot and pending delayed events) after
   * this many ms of processing time without an event for it (a record or a
   * delayed event that fired): the keyed state TTL, so idle keys of a fleet
   * that comes and goes stop costing memory and checkpoint size. The key's
   * next record starts it again from the initial state. A delay longer than
   * the TTL never fires: its key is dropped first. Default: kept forever.
   */
  stateTtl?: number;
}

/** An event the machine emitted with `emit(...)`, with its key. */
export interface MachineEmitted<X> {
  kind: 'emit';
  key: Key;
  event: X;
}

/** A change of state value (with `transitions: true`); `event` caused it. */
export interface MachineTransition<E> {
  kind: 'transition';
  key: Key;
  from: unknown;
  to: unknown;
  event: E;
}

export type MachineOutput<M extends AnyStateMachine> = MachineEmitted<EmittedFrom<M>> | MachineTransition<EventFromLogic<M>>;

/** Stored per key: [value, context] while active without history; else [value, context, historyIds, status]. */
type Stored = [unknown, unknown] | [unknown, unknown, Record<string, { id: string }[]>, string];
/** A pending delayed event: [fireAt, id (null if none), event]. */
type Pending = [number, string | null, EventObject];

const SNAPSHOT = 'machine';
const DELAYED = 'machine.delayed';

export function machineHandlers<T, M extends AnyStateMachine>(m: M, opts: MachineOptions<T, EventFromLogic<M>> = {}): ProcessHandlers<T, MachineOutput<M>> {
  const toEvent = opts.toEvent ?? ((r: T) => r as unknown as EventObject);
  const unhandledError = opts.unhandled === 'error';
  const withTransitions = opts.transitions === true;
  const ttl = opts.stateTtl;
  type Ctx = ProcessContext<MachineOutput<M>>;
  // With a TTL both states expire together: each event writes (renews) both.
  const snapshotState = (ctx: Ctx) => (ttl === undefined ? ctx.state.value<Stored>(SNAPSHOT) : ctx.state.value<Stored>(SNAPSHOT, { ttl }));
  const delayedState = (ctx: Ctx) => (ttl === undefined ? ctx.state.value<Pending[]>(DELAYED) : ctx.state.value<Pending[]>(DELAYED, { ttl }));

  function load(ctx: Ctx): AnyMachineSnapshot | undefined {
    const s = snapshotState(ctx).get();
    if (s === undefined) return undefined;
    if (s.length === 2) return m.resolveState({ value: s[0] as never, context: s[1] as never });
    const historyValue: Record<string, unknown[]> = {};
    for (const [id, nodes] of Object.entries(s[2])) historyValue[id] = nodes.map((n) => m.getStateNodeById(n.id));
    return m.resolveState({ value: s[0] as never, context: s[1] as never, historyValue: historyValue as never, status: s[3] as never });
  }

  function save(ctx: Ctx, snap: AnyMachineSnapshot): void {
    const p = m.getPersistedSnapshot(snap) as unknown as { value: unknown; context: unknown; historyValue: Record<string, { id: string }[]>; status: string };
    const stored: Stored = p.status === 'active' && Object.keys(p.historyValue).length === 0 ? [p.value, p.context] : [p.value, p.context, p.historyValue, p.status];
    snapshotState(ctx).set(stored);
  }

  function checkContext(snap: AnyMachineSnapshot, key: Key | undefined): void {
    const bad = nonSerializablePath(snap.context);
    if (bad !== undefined) {
      throw new Error(`machine key ${JSON.stringify(key)}: ${bad}, which a checkpoint cannot keep. Fix: keep the machine's context plain data (numbers, strings, booleans, arrays, plain objects, Dates)`);
    }
    if (Object.keys(snap.children).length > 0) {
      throw new Error(`machine key ${JSON.stringify(key)} spawned a child actor (${Object.keys(snap.children).join(', ')}). Fix: a per-key machine may only compute; remove spawn/spawnChild and do I/O in a sink`);
    }
  }

  /**
   * Run `event` (and what it sends to itself without delay) from `snap`:
   * outputs staged on ctx, delays scheduled in `pending`. Returns the new snapshot.
   */
  function run(ctx: Ctx, snap: AnyMachineSnapshot, first: EventObject, actions: readonly unknown[] | undefined, pending: Pending[], fromRecord: boolean): AnyMachineSnapshot {
    const key = ctx.key!;
    const queue: EventObject[] = [first];
    let pendingActions = actions;
    for (let qi = 0; qi < queue.length; qi++) {
      const ev = queue[qi];
      let next = snap;
      let acts = pendingActions;
      if (acts === undefined) {
        [next, acts] = xstate().transition(m as AnyStateMachine, snap, ev as never) as [AnyMachineSnapshot, unknown[]];
        if (next === snap && acts.length === 0 && fromRecord && qi === 0 && unhandledError) {
          throw new Error(`machine key ${JSON.stringify(key)} in state ${JSON.stringify(snap.value)} does not accept event ${JSON.stringify(ev.type)}. Fix: handle it in the machine, filter it out before machine(), or use unhandled: 'ignore'`);
        }
      }
      pendingActions = undefined;
      for (const a of acts as { type: string; params?: Record<string, unknown>; info?: { self?: unknown } }[]) {
        const p = a.params ?? {};
        switch (a.type) {
          case 'xstate.emit':
            ctx.emit({ kind: 'emit', key, event: p.event } as MachineOutput<M>);
            break;
          case 'xstate.raise':
            // A raise without delay was already taken inside this macrostep by transition().
            if (typeof p.delay === 'number') schedule(ctx, pending, p.delay, (p.id as string | undefined) ?? null, p.event as EventObject);
            break;
          case 'xstate.sendTo':
            if (p.to !== a.info?.self) {
              throw new Error(`machine key ${JSON.stringify(key)} sends ${JSON.stringify((p.event as EventObject | undefined)?.type)} to another actor. Fix: a per-key machine may only send to itself; emit(...) the event and route it downstream`);
            }
            if (typeof p.delay === 'number') schedule(ctx, pending, p.delay, (p.id as string | undefined) ?? null, p.event as EventObject);
            else queue.push(p.event as EventObject);
            break;
          case 'xstate.cancel':
            cancel(ctx, pending, p.sendId as string);
            break;
          case 'xstate.log':
          case 'xstate.stopChild':
            break;
          case 'xstate.spawnChild':
            throw new Error(`machine key ${JSON.stringify(key)} spawns an actor. Fix: a per-key machine may only compute; remove spawn/spawnChild and do I/O in a sink`);
          default:
            throw new Error(
              `machine key ${JSON.stringify(key)} ran action ${JSON.stringify(a.type)}, custom code that weir does not execute (it could do I/O). Fix: use assign, emit, raise, sendTo(self), cancel; do side effects in a sink on the emitted events`,
            );
        }
      }
      if (next !== snap) {
        checkContext(next, key);
        if (withTransitions && !sameValue(snap.value, next.value)) ctx.emit({ kind: 'transition', key, from: snap.value, to: next.value, event: ev } as MachineOutput<M>);
      }
      snap = next;
      if (snap.status !== 'active') break;
    }
    return snap;
  }

  function schedule(ctx: Ctx, pending: Pending[], delay: number, id: string | null, event: EventObject): void {
    if (id !== null) cancel(ctx, pending, id); // xstate: a new delayed send with the same id replaces the old one
    const at = ctx.timers.now() + delay;
    pending.push([at, id, event]);
    ctx.timers.processingTime(at);
  }

  function cancel(ctx: Ctx, pending: Pending[], id: string): void {
    const i = pending.findIndex((p) => p[1] === id);
    if (i < 0) return;
    const at = pending[i][0];
    pending.splice(i, 1);
    if (!pending.some((p) => p[0] === at)) ctx.timers.deleteProcessingTime(at);
  }

  function loadPending(ctx: Ctx): Pending[] {
    return delayedState(ctx).get()?.slice() ?? [];
  }
  function savePending(ctx: Ctx, pending: Pending[]): void {
    const s = delayedState(ctx);
    if (pending.length > 0) s.set(pending);
    else if (s.get() !== undefined) s.clear();
  }

  return {
    onRecord(record, ctx) {
      const event = toEvent(record);
      if (typeof event !== 'object' || event === null || typeof (event as EventObject).type !== 'string') {
        throw new Error(`machine: the event for a record must be an object with a string 'type', got ${JSON.stringify(event)}. Fix: pass toEvent: (r) => ({ type: '...', ...r })`);
      }
      const pending = loadPending(ctx);
      let snap = load(ctx);
      if (snap === undefined) {
        const [s0, a0] = xstate().initialTransition(m as AnyStateMachine) as [AnyMachineSnapshot, unknown[]];
        checkContext(s0, ctx.key);
        snap = run(ctx, s0, { type: 'xstate.init' }, a0, pending, false);
      }
      if (snap.status === 'active') snap = run(ctx, snap, event, undefined, pending, true);
      save(ctx, snap);
      savePending(ctx, pending);
    },
    onTimer(ts: number, ctx: TimerContext<MachineOutput<M>>) {
      const pending = loadPending(ctx);
      let snap = load(ctx);
      if (snap === undefined) {
        // The key's state expired (stateTtl) before this delay came due: the delay goes with it.
        if (pending.length > 0) savePending(ctx, []);
        return;
      }
      // Due events in time order (stable: same time keeps send order); each may schedule or cancel others.
      for (;;) {
        let best = -1;
        for (let i = 0; i < pending.length; i++) if (pending[i][0] <= ts && (best < 0 || pending[i][0] < pending[best][0])) best = i;
        if (best < 0 || snap.status !== 'active') break;
        const [, , event] = pending.splice(best, 1)[0];
        snap = run(ctx, snap, event, undefined, pending, false);
      }
      save(ctx, snap);
      savePending(ctx, pending);
    },
  };
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'object' && typeof b === 'object' && JSON.stringify(a) === JSON.stringify(b));
}
