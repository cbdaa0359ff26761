/**
 * machine(): delayed raise/sendTo(self) and cancel as timers, and bad input
 * refused with errors that name the problem and the fix: invoked actors at
 * build time, custom actions, a context a checkpoint cannot keep (naming the
 * key), events the machine does not accept (ignored or dead-lettered).
 */
import { assign, cancel, emit, fromPromise, raise, sendTo, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import { collect, topology, TopologyError } from '../../runtime/index.js';
import { fromArray, runInline } from '../../runtime/testing/index.js';

type Ev = { type: 'arm' } | { type: 'disarm' } | { type: 'echo' } | { type: 'fire' } | { type: 'echoed' };
type Rec = { k: string; e: Ev };

const timerMachine = setup({ types: { events: {} as Ev, emitted: {} as { type: 'fired' } | { type: 'echoed' } } }).createMachine({
  initial: 'idle',
  states: {
    idle: {
      on: {
        arm: { actions: raise({ type: 'fire' }, { delay: 300, id: 'fuse' }) },
        disarm: { actions: cancel('fuse') },
        echo: { actions: sendTo(({ self }) => self, { type: 'echoed' }, { delay: 200 }) },
        fire: { actions: emit({ type: 'fired' as const }) },
        echoed: { actions: emit({ type: 'echoed' as const }) },
      },
    },
  },
});

const run = async (m: unknown, data: Rec[], opts: Record<string, unknown> = {}, onError: 'skip' | 'stop' = 'stop') =>
  runInline(
    topology('machine-errors', (t) =>
      t
        .source('in', fromArray(data, 50), { parallelism: 1 })
        .keyBy((r: Rec) => r.k)
        .machine(m as typeof timerMachine, { toEvent: (r) => r.e, onError, ...opts })
        .sink('out', collect()),
    ),
    {}, // the source's own pacing (50 records per virtual second), so delays come due while input flows
  );

describe('machine() delayed raise, sendTo(self) and cancel', () => {
  it('fire on the virtual clock; a canceled delay never fires', async () => {
    const data: Rec[] = [
      { k: 'x', e: { type: 'arm' } }, // fires
      { k: 'y', e: { type: 'arm' } },
      { k: 'y', e: { type: 'disarm' } }, // canceled 20 ms later
      { k: 'z', e: { type: 'echo' } }, // sendTo(self) after 200 ms
      ...Array.from({ length: 40 }, () => ({ k: 'w', e: { type: 'disarm' } as Ev })), // ~800 ms more input
    ];
    const r = await run(timerMachine, data);
    expect(r.error).toBeUndefined();
    expect((r.outputs.out as { key: string; event: { type: string } }[]).map((o) => `${o.key}:${o.event.type}`).sort()).toEqual(['x:fired', 'z:echoed']);
  });
});

describe('machine() refuses what it cannot checkpoint or that would do I/O', () => {
  it('an invoked actor, at build time, naming the state and the fix', () => {
    const m = setup({ actors: { fetchIt: fromPromise(async () => 1) } }).createMachine({
      id: 'dev',
      initial: 'a',
      states: { a: { invoke: { src: 'fetchIt' } } },
    });
    expect(() =>
      topology('bad-invoke', (t) =>
        t
          .source('in', fromArray([]))
          .keyBy(() => 'k')
          .machine(m as never)
          .sink('out', collect()),
      ),
    ).toThrow(TopologyError);
    expect(() =>
      topology('bad-invoke', (t) =>
        t
          .source('in', fromArray([]))
          .keyBy(() => 'k')
          .machine(m as never)
          .sink('out', collect()),
      ),
    ).toThrow(/state 'dev.a' invokes an actor \('fetchIt'\).*Fix: remove the invoke; emit\(\.\.\.\) an event and do the I\/O in a sink/);
  });

  it('types: records that are not the machine events need toEvent; outputs carry the emitted and event types', () => {
    const ok = topology('typed-machine', (t) => {
      const out = t
        .source('in', fromArray<Ev>([]))
        .keyBy((e) => e.type)
        .machine(timerMachine); // records are events: no toEvent needed
      out.map((o) => (o.kind === 'emit' ? o.event.type : o.event.type)).sink('out', collect());
      t.source('in2', fromArray<Rec>([]))
        .keyBy((r) => r.k)
        // @ts-expect-error Rec is not an event of timerMachine: toEvent is required
        .machine(timerMachine)
        .sink('out2', collect());
    });
    expect(ok.graph.nodes.some((n) => n.kind === 'machine')).toBe(true);
  });

  it('not a machine, or a bad unhandled option, at build time', () => {
    const build = (m: unknown, opts: object = {}) => () =>
      topology('bad-machine', (t) =>
        t
          .source('in', fromArray([]))
          .keyBy(() => 'k')
          .machine(m as never, opts as never)
          .sink('out', collect()),
      );
    expect(build({ states: {} })).toThrow(/machine\(\) needs an xstate v5 machine, got object. Fix: pass setup/);
    expect(build(timerMachine, { unhandled: 'drop' })).toThrow(/machine\(\) has unhandled "drop". Fix: use 'ignore' or 'error'/);
  });

  it('a context that msgpack cannot keep, naming the key and the path', async () => {
    class Thing {
      n = 1;
    }
    const m = setup({ types: { events: {} as Ev } }).createMachine({
      initial: 'idle',
      context: { things: [] as unknown[] },
      states: { idle: { on: { arm: { actions: assign({ things: () => [new Thing()] }) }, disarm: { actions: assign({ things: () => [() => 1] }) } } } },
    });
    const r = await run(m, [{ k: 'dev-7', e: { type: 'arm' } }]);
    expect(r.error?.message).toMatch(/machine key "dev-7": context.things\[0\] is an instance of Thing, which a checkpoint cannot keep. Fix: keep the machine's context plain data/);
    const skip = await run(m, [{ k: 'dev-8', e: { type: 'disarm' } }, { k: 'dev-9', e: { type: 'echo' } }], {}, 'skip');
    expect(skip.error).toBeUndefined();
    expect(skip.deadLetters.map((d) => d.error)).toEqual([expect.stringMatching(/machine key "dev-8": context.things\[0\] is a function/)]);
  });

  it('custom actions (code weir does not run) are refused, naming the fix', async () => {
    const m = setup({ types: { events: {} as Ev } }).createMachine({
      initial: 'idle',
      states: { idle: { on: { arm: { actions: () => console.log('I/O') } } } },
    });
    const r = await run(m, [{ k: 'k', e: { type: 'arm' } }]);
    expect(r.error?.message).toMatch(/ran action .*custom code that weir does not execute.*Fix: use assign, emit, raise, sendTo\(self\), cancel/);
  });

  it("events the machine does not accept: ignored by default, dead-lettered with unhandled: 'error' and onError: 'skip'", async () => {
    const data: Rec[] = [
      { k: 'a', e: { type: 'fire' } },
      { k: 'a', e: { type: 'nope' } as unknown as Ev },
      { k: 'a', e: { type: 'fire' } },
    ];
    const ignored = await run(timerMachine, data);
    expect(ignored.error).toBeUndefined();
    expect(ignored.outputs.out).toHaveLength(2);
    expect(ignored.deadLetters).toEqual([]);
    const dead = await run(timerMachine, data, { unhandled: 'error' }, 'skip');
    expect(dead.error).toBeUndefined();
    expect(dead.outputs.out).toHaveLength(2); // nothing else lost
    expect(dead.deadLetters).toHaveLength(1);
    expect(dead.deadLetters[0].record).toEqual({ k: 'a', e: { type: 'nope' } });
    expect(dead.deadLetters[0].error).toMatch(/machine key "a" in state "idle" does not accept event "nope". Fix: handle it in the machine, filter it out before machine\(\), or use unhandled: 'ignore'/);
  });

  it('a record whose event has no type', async () => {
    const r = await run(timerMachine, [{ k: 'a', e: 42 as unknown as Ev }]);
    expect(r.error?.message).toMatch(/the event for a record must be an object with a string 'type', got 42. Fix: pass toEvent/);
  });
});
