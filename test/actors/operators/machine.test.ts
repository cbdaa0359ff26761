/**
 * The machine() operator alone (process handlers over a real KeyedStateStore
 * and TimerService, a hand-moved clock): the stored per-key snapshot is
 * compact, survives a msgpack checkpoint round trip (history states
 * included) and continues as xstate's own actor would; 'after' fires by the
 * clock, and a reading restarts it.
 */
import { pack, unpack } from 'msgpackr';
import { assign, createActor, emit, setup } from 'xstate';
import { describe, expect, it } from 'vitest';
import type { OperatorContext } from '../../../actors/contract.js';
import { machineHandlers } from '../../../actors/operators/machine/machine-handlers.js';
import { processOperator } from '../../../actors/operators/process.js';
import { KeyedStateStore } from '../../../actors/state/keyed-state.js';
import { TimerService } from '../../../actors/time/timer-service.js';

type Reading = { type: 'reading'; device: string; t: number } | { type: 'pause'; device: string } | { type: 'resume'; device: string };

// The README example, plus a history state (paused -> back where it was).
const device = setup({
  types: { context: {} as { last: number }, events: {} as Reading, emitted: {} as { type: 'alert'; level: string; t: number } },
  guards: { hot: ({ event }) => event.type === 'reading' && event.t >= 80, warm: ({ event }) => event.type === 'reading' && event.t >= 60, cool: ({ event }) => event.type === 'reading' && event.t < 50 },
}).createMachine({
  initial: 'on',
  context: { last: 0 },
  states: {
    on: {
      initial: 'normal',
      on: { reading: { actions: assign({ last: ({ event }) => (event.type === 'reading' ? event.t : 0) }) }, pause: 'paused' },
      states: {
        normal: { after: { 30_000: 'silent' }, on: { reading: [{ guard: 'hot', target: 'alarm' }, { guard: 'warm', target: 'warning' }, { target: 'normal', reenter: true }] } },
        warning: { after: { 30_000: 'silent' }, on: { reading: [{ guard: 'hot', target: 'alarm' }, { guard: 'cool', target: 'normal' }, { target: 'warning', reenter: true }] } },
        alarm: { entry: emit(({ context }) => ({ type: 'alert' as const, level: 'alarm', t: context.last })), on: { reading: { guard: 'cool', target: 'normal' } } },
        silent: { entry: emit({ type: 'alert' as const, level: 'silent', t: 0 }), on: { reading: 'normal' } },
        hist: { type: 'history' },
      },
    },
    paused: { on: { resume: 'on.hist' } },
  },
});

function harness(now: { t: number }, restoreFrom?: { keyed: unknown; timers: unknown }) {
  const keyedState = new KeyedStateStore(128, { now: () => now.t });
  const timers = new TimerService(128);
  if (restoreFrom) {
    keyedState.restore([restoreFrom.keyed as never], [0, 127]);
    if (restoreFrom.timers) timers.restore([restoreFrom.timers as never], [0, 127]);
  }
  const ctx = {
    operator: 'machine-1',
    instance: 0,
    parallelism: 1,
    clock: { now: () => now.t },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    keyedState,
    timers,
    time: { watermark: -Infinity, processingTime: () => now.t },
    emitWatermark() {},
    deadLetter() {},
  } as unknown as OperatorContext;
  const op = processOperator<Reading, unknown>(machineHandlers(device, { transitions: true }), 'stop', (r) => r.device);
  op.open!(ctx);
  const outs: unknown[] = [];
  const out = { emit: (o: unknown) => void outs.push(o) } as never;
  return {
    outs,
    send: (...rs: Reading[]) => op.processBatch(rs, out, 0),
    tick: () => op.onProcessingTime!(now.t, out),
    checkpoint: () => unpack(pack({ keyed: keyedState.snapshot(), timers: timers.snapshot() })) as { keyed: unknown; timers: unknown },
    stored: (key: string) => {
      keyedState.setCurrentKey(key);
      return keyedState.value('machine').get();
    },
  };
}

describe('machine operator', () => {
  it("'after' fires by the clock; readings restart it; hysteresis holds the alarm until below 50", () => {
    const now = { t: 0 };
    const h = harness(now);
    h.send({ type: 'reading', device: 'd1', t: 20 });
    now.t = 20_000;
    h.send({ type: 'reading', device: 'd1', t: 85 }, { type: 'reading', device: 'd1', t: 70 }); // alarm; 70 keeps it
    now.t = 40_000;
    h.send({ type: 'reading', device: 'd1', t: 40 }); // back to normal: timer due at 70 s
    now.t = 69_999;
    h.tick();
    expect(h.outs.filter((o) => (o as { to?: unknown }).to !== undefined && JSON.stringify((o as { to: unknown }).to).includes('silent'))).toEqual([]);
    now.t = 70_000;
    h.tick();
    // Outputs: emits by level, transitions by their target (re-entering the same state is no change).
    expect(h.outs.map((o) => ((o as { kind: string }).kind === 'emit' ? (o as { event: { level: string } }).event.level : `${JSON.stringify((o as { to: unknown }).to)}`))).toEqual([
      'alarm',
      '{"on":"alarm"}',
      '{"on":"normal"}',
      'silent',
      '{"on":"silent"}',
    ]);
    // compact: [value, context]; 'last' is 70: the parent's assign runs only for readings no child state takes (xstate's rule)
    expect(h.stored('d1')).toEqual([{ on: 'silent' }, { last: 70 }]);
  });

  it('a checkpoint round trip (msgpack) restores state, history and pending delays; the run continues as xstate createActor', () => {
    const events: Reading[] = [
      { type: 'reading', device: 'd', t: 65 },
      { type: 'pause', device: 'd' },
      { type: 'resume', device: 'd' }, // history: back to warning
      { type: 'reading', device: 'd', t: 90 },
      { type: 'pause', device: 'd' },
    ];
    const after: Reading[] = [{ type: 'resume', device: 'd' }, { type: 'reading', device: 'd', t: 10 }, { type: 'reading', device: 'd', t: 30 }];
    const now = { t: 0 };
    const h1 = harness(now);
    h1.send(...events);
    const cp = h1.checkpoint();
    const h2 = harness(now, cp);
    h2.send(...after);
    const stored = h1.stored('d') as unknown[];
    expect(stored.length).toBe(4); // history kept: [value, context, history, status]

    const ref: unknown[] = [];
    const a = createActor(device);
    a.on('*', (e) => ref.push(e));
    a.start();
    for (const e of [...events, ...after]) a.send(e);
    const emitsOf = (os: unknown[]) => os.filter((o) => (o as { kind: string }).kind === 'emit').map((o) => (o as { event: unknown }).event);
    expect([...emitsOf(h1.outs), ...emitsOf(h2.outs)]).toEqual(ref);
    expect(h2.stored('d')).toEqual(expect.arrayContaining([a.getSnapshot().value, a.getSnapshot().context]));
    a.stop();
    // The delay pending in the checkpoint fires in the restored operator.
    now.t = 31_000;
    h2.tick();
    expect(emitsOf(h2.outs).at(-1)).toEqual({ type: 'alert', level: 'silent', t: 0 });
  });
});
