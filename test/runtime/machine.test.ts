/**
 * `machine()` on keyed streams, run inline on virtual time: the same outputs
 * as xstate's own createActor per key (a property over random event
 * sequences), delayed transitions on the virtual clock, delays that survive a
 * failover and fire exactly once after restore, and bad input refused.
 */
import fc from 'fast-check';
import { createActor, SimulatedClock, type AnyStateMachine } from 'xstate';
import { describe, expect, it } from 'vitest';
import { collect, topology, type MachineOutput } from '../../runtime/index.js';
import { checkExactlyOnce, faultSchedule, fromArray, runInline } from '../../runtime/testing/index.js';
import { deviceMachine, type DeviceEvent } from '../fixtures/device-machine.js';

type Rec = { key: string; e: DeviceEvent };
type Out = MachineOutput<ReturnType<typeof deviceMachine>>;

const job = (name: string, m: ReturnType<typeof deviceMachine>, data: Rec[] = [], rate?: number) =>
  topology(name, (t) =>
    t
      .source('in', fromArray(data, rate), { parallelism: 1 }) // one source: each key's events in order
      .keyBy((r: Rec) => r.key)
      .machine(m, { toEvent: (r) => r.e, transitions: true })
      .sink('out', collect()),
  );

/** xstate's own run: one createActor per key (simulated clock), fed the key's events in order. */
function reference(m: AnyStateMachine, data: Rec[]): Map<string, unknown[]> {
  const out = new Map<string, unknown[]>();
  const actors = new Map<string, { actor: ReturnType<typeof createActor>; current: { e?: DeviceEvent } }>();
  for (const { key, e } of data) {
    let a = actors.get(key);
    if (!a) {
      const list: unknown[] = [];
      out.set(key, list);
      const actor = createActor(m, { clock: new SimulatedClock() });
      const current: { e?: DeviceEvent } = {};
      let prev: unknown;
      actor.on('*', (ev) => list.push({ kind: 'emit', key, event: ev }));
      actor.subscribe((s) => {
        if (prev !== undefined && JSON.stringify(prev) !== JSON.stringify(s.value)) list.push({ kind: 'transition', key, from: prev, to: s.value, event: current.e });
        prev = s.value;
      });
      actor.start();
      prev = actor.getSnapshot().value;
      a = { actor, current };
      actors.set(key, a);
    }
    a.current.e = e;
    a.actor.send(e);
  }
  for (const a of actors.values()) a.actor.stop();
  return out;
}

function byKey(outs: unknown[]): Map<string, unknown[]> {
  const m = new Map<string, unknown[]>();
  for (const o of outs as Out[]) {
    const k = String(o.key);
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push(o);
  }
  return m;
}

const eventArb: fc.Arbitrary<DeviceEvent> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 100 }).map((t) => ({ type: 'reading' as const, t })) },
  { weight: 1, arbitrary: fc.constant({ type: 'reset' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'ping' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'check' as const }) }, // not accepted outside alarm: ignored
);

describe('machine() equals xstate createActor per key', () => {
  it('property: random event sequences over random keys, any parallelism', async () => {
    const m = deviceMachine(1e12); // no delay fires within a run; delays are tested below on the virtual clock
    const seen = { runs: 0, records: 0, emits: 0, transitions: 0, alarms: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd', 'e'), e: eventArb }), { minLength: 1, maxLength: 300, size: 'max' }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 1000 }),
        async (data, parallelism, seed) => {
          const r = await runInline(job('machine-prop', m), { inputs: { in: data }, parallelism, workers: 2, seed, batchSize: 16 });
          expect(r.error).toBeUndefined();
          const got = byKey(r.outputs.out);
          const want = reference(m, data);
          for (const [k, list] of want) {
            expect(got.get(k) ?? []).toEqual(list);
          }
          expect([...got.keys()].every((k) => want.has(k))).toBe(true);
          const outs = r.outputs.out as Out[];
          seen.runs++;
          seen.records += data.length;
          seen.emits += outs.filter((o) => o.kind === 'emit').length;
          seen.transitions += outs.filter((o) => o.kind === 'transition').length;
          seen.alarms += outs.filter((o) => o.kind === 'emit' && o.event.type === 'alarm').length;
        },
      ),
      { numRuns: 40, seed: 11 },
    );
    console.log('machine property exercised', seen);
    expect(seen.emits).toBeGreaterThan(100);
    expect(seen.transitions).toBeGreaterThan(100);
    expect(seen.alarms).toBeGreaterThan(10);
  }, 120_000);
});

type Stamped = Out & { at: number };
/** Key 'a' reads every 10 ms for 2 s; key 'b' only at 0 and ~0.5 s: b goes silent 500 ms after each. */
const delayData = (): Rec[] => {
  const d: Rec[] = [];
  for (let i = 0; i < 200; i++) {
    d.push({ key: 'a', e: { type: 'reading', t: 20 } });
    if (i === 0 || i === 50) d.push({ key: 'b', e: { type: 'reading', t: 20 } });
  }
  return d;
};
const delayJob = (data: Rec[]) =>
  topology('machine-delays', (t) =>
    t
      .source('in', fromArray(data, 100), { parallelism: 1 }) // ~100 records per virtual second
      .keyBy((r: Rec) => r.key)
      .machine(deviceMachine(500), { toEvent: (r) => r.e, transitions: true })
      .process<Stamped>((o, ctx) => ctx.emit({ ...o, at: ctx.timers.now() })) // when the output appeared (virtual clock)
      .sink('out', collect()),
  );
const silences = (outs: unknown[], key: string) => (outs as Stamped[]).flatMap((o) => (o.key === key && o.kind === 'transition' ? [`${String(o.from)}->${String(o.to)}`] : []));

describe('machine() delays are processing-time timers', () => {
  it("'after' fires on the virtual clock, and a reading restarts it", async () => {
    const r = await runInline(delayJob(delayData()), { parallelism: 2, workers: 2 });
    expect(r.error).toBeUndefined();
    const outs = r.outputs.out as Stamped[];
    expect(silences(outs, 'b')).toEqual(['normal->silent', 'silent->normal', 'normal->silent']);
    const bSilent = outs.filter((o) => o.key === 'b' && o.kind === 'transition' && o.to === 'silent').map((o) => o.at);
    expect(bSilent[0]).toBeGreaterThanOrEqual(500); // b's first reading is at ~0 ms
    expect(bSilent[1] - bSilent[0]).toBeGreaterThanOrEqual(500); // the second at ~500 ms: silent again 500 ms after it
    // 'a' reads every 10 ms: its 500 ms timer keeps being restarted and never fires while readings come.
    const aSilent = outs.filter((o) => o.key === 'a' && o.kind === 'transition' && o.to === 'silent');
    expect(aSilent.length).toBe(0);
  });

  it('a delay pending at a worker crash fires after restore, exactly once', async () => {
    const clean = await runInline(delayJob(delayData()), { parallelism: 2, workers: 2 });
    for (const worker of [0, 1]) {
      // Crash at 300 ms: b's first silence (due at ~500 ms) is pending in the checkpoint; the region stays down 1 s.
      const r = await runInline(delayJob(delayData()), {
        parallelism: 2,
        workers: 2,
        faults: [{ kind: 'worker-crash', worker, atMs: 300 }],
        restart: { backoff: { initialMs: 1000, maxMs: 1000, multiplier: 1, jitter: 0 } },
      });
      expect(r.error).toBeUndefined();
      expect(r.restarts).toBeGreaterThan(0);
      expect(silences(r.outputs.out, 'b')).toEqual(silences(clean.outputs.out, 'b'));
      const firstSilent = (r.outputs.out as Stamped[]).find((o) => o.key === 'b' && o.kind === 'transition' && o.to === 'silent')!;
      expect(firstSilent.at).toBeGreaterThanOrEqual(1300); // fired after the restore, not before the crash
      // Emits and b's transitions equal the clean run's. 'a' may go silent once: on processing time its readings
      // stopped during the 1 s outage, so its timer came due then (as it would for a real device).
      const emits = (os: unknown[]) => (os as Stamped[]).filter((o) => o.kind === 'emit').map(({ at: _at, ...o }) => JSON.stringify(o)).sort();
      expect(emits(r.outputs.out)).toEqual(emits(clean.outputs.out));
      expect(silences(r.outputs.out, 'a').filter((s) => s === 'normal->silent').length).toBeLessThanOrEqual(1);
    }
  });
});

describe('machine() under simulated faults', () => {
  it('committed outputs with crashes, throws and delays equal the fault-free run (keyed snapshots restored from checkpoints)', async () => {
    const m = deviceMachine(1e12);
    let runs = 0;
    const input = fc.array(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), e: eventArb }), { minLength: 20, maxLength: 200, size: 'max' }).map((xs) => (runs++, xs));
    // Faults are placed by weir/testing inside each input's fault-free run (several checkpoints in).
    const coverage = await checkExactlyOnce(() => job('machine-eo', m), input, { workers: 2, parallelism: 2, numRuns: 25, seed: 7 });
    console.log('machine exactly-once exercised', { runs, restarted: coverage.restarted, midRun: coverage.midRun });
    expect(runs).toBeGreaterThanOrEqual(25);
    expect(coverage.restarted, 'runs in which a fault forced a restore').toBeGreaterThan(10);
    expect(coverage.midRun, 'runs restored from a mid-run checkpoint').toBeGreaterThan(5);
  }, 300_000);
});
