/**
 * `machine(..., { stateTtl })` run inline on virtual time: a key idle longer
 * than the TTL drops its statechart state (and its pending delays) and starts
 * again from the initial state; a key that keeps sending keeps its state.
 */
import { describe, expect, it } from 'vitest';
import { collect, topology, type MachineOutput } from '../../runtime/index.js';
import { fromArray, runInline } from '../../runtime/testing/index.js';
import { deviceMachine, type DeviceEvent } from '../fixtures/device-machine.js';

type Rec = { key: string; e: DeviceEvent };
type Out = MachineOutput<ReturnType<typeof deviceMachine>>;

/**
 * ~100 records per virtual second. 'a' reads every 10 ms (keeps its state);
 * 'b' goes to alarm at ~0 s, then reads 65 (warm: not cool enough to leave alarm)
 * at ~2.5 s and 90 at ~2.6 s; 'c' the same but its second reading comes at ~0.5 s; 'd' reads
 * once, at ~0 s (normal, silent after `silentMs`).
 */
function data(): Rec[] {
  const d: Rec[] = [];
  for (let i = 0; i < 300; i++) {
    d.push({ key: 'a', e: { type: 'reading', t: i === 0 ? 90 : 65 } });
    if (i === 0) d.push({ key: 'b', e: { type: 'reading', t: 90 } }, { key: 'c', e: { type: 'reading', t: 90 } }, { key: 'd', e: { type: 'reading', t: 20 } });
    if (i === 50) d.push({ key: 'c', e: { type: 'reading', t: 65 } });
    if (i === 250) d.push({ key: 'b', e: { type: 'reading', t: 65 } });
    if (i === 260) d.push({ key: 'b', e: { type: 'reading', t: 90 } });
  }
  return d;
}

const job = (silentMs: number, stateTtl?: number) =>
  topology('machine-ttl', (t) =>
    t
      .source('in', fromArray(data(), 100), { parallelism: 1 })
      .keyBy((r: Rec) => r.key)
      .machine(deviceMachine(silentMs), { toEvent: (r) => r.e, transitions: true, stateTtl })
      .sink('out', collect()),
  );

const changes = (outs: unknown[], key: string) => (outs as Out[]).flatMap((o) => (o.key === key && o.kind === 'transition' ? [`${String(o.from)}->${String(o.to)}`] : []));

describe('machine() stateTtl', () => {
  it('a key idle longer than the TTL starts again from the initial state; busy keys and keys back within the TTL keep theirs', async () => {
    const kept = await runInline(job(1e12), { parallelism: 2, workers: 2 });
    const ttl = await runInline(job(1e12, 1000), { parallelism: 2, workers: 2 });
    expect(kept.error).toBeUndefined();
    expect(ttl.error).toBeUndefined();
    // Without a TTL 'b' stays in alarm (65 is not below 50); with it, 'b' was idle 2.5 s > 1 s: a fresh machine reads 65 as warm.
    expect(changes(kept.outputs.out, 'b')).toEqual(['normal->alarm']);
    expect(changes(ttl.outputs.out, 'b')).toEqual(['normal->alarm', 'normal->warning', 'warning->alarm']);
    // 'c' came back after 0.5 s and 'a' every 10 ms: both keep their alarm either way.
    for (const r of [kept, ttl]) {
      expect(changes(r.outputs.out, 'c')).toEqual(['normal->alarm']);
      expect(changes(r.outputs.out, 'a')).toEqual(['normal->alarm']);
    }
    // The reading counter in the context restarted too: b's second alarm counts 2 readings since the drop (3 without it).
    const alarms = (r: typeof ttl, key: string) => (r.outputs.out as Out[]).flatMap((o) => (o.key === key && o.kind === 'emit' ? [(o.event as { n: number }).n] : []));
    expect(alarms(kept, 'b')).toEqual([1]);
    expect(alarms(ttl, 'b')).toEqual([1, 2]);
  });

  it('a delay longer than the TTL is dropped with the state; one within it fires and renews the state', async () => {
    const silentNoTtl = await runInline(job(2000), { parallelism: 1, workers: 1 });
    const dropped = await runInline(job(2000, 1500), { parallelism: 1, workers: 1 });
    const fires = await runInline(job(1000, 1500), { parallelism: 1, workers: 1 });
    for (const r of [silentNoTtl, dropped, fires]) expect(r.error).toBeUndefined();
    expect(changes(silentNoTtl.outputs.out, 'd')).toEqual(['normal->silent']);
    // 'd' idle from ~0 s: its state goes at 1.5 s, before the silence due at 2 s.
    expect(changes(dropped.outputs.out, 'd')).toEqual([]);
    // Due at 1 s, within the TTL: it fires (and 'b' still restarts fresh at 2.5 s, idle since 0 s).
    expect(changes(fires.outputs.out, 'd')).toEqual(['normal->silent']);
    expect(changes(fires.outputs.out, 'b')).toEqual(['normal->alarm', 'normal->warning', 'warning->alarm']);
  });

  it('refuses a bad stateTtl naming the fix', () => {
    expect(() => job(1000, 0)).toThrow(/stateTtl 0.*Fix: give a positive number of ms/);
    expect(() => job(1000, Number.NaN)).toThrow(/stateTtl NaN/);
  });
});
