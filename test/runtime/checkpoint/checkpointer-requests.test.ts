/**
 * Checkpointer.now() (JobHandle.checkpoint()) against the checkpointer shell
 * itself: a real memory state backend, manual timers, and an engine that
 * records the barriers it is asked to inject (the workers' side is covered
 * by test/runtime/coordinator/checkpoint-on-request.test.ts on threads).
 * Here: a failover aborting a requested checkpoint, a request made during
 * the failover, and a timeout.
 */
import { describe, expect, it } from 'vitest';
import { WeirError } from '../../../actors/errors.js';
import { Checkpointer } from '../../../runtime/coordinator/checkpointer.js';
import type { Engine } from '../../../runtime/coordinator/engines.js';
import type { ActorPlan, ExecutionPlan } from '../../../runtime/plan/plan.js';
import { memoryBackend } from '../../../runtime/checkpoint/storage/memory-backend.js';

const actor = (id: number): ActorPlan => ({ id, operator: `op${id}`, kind: 'map', instance: 0, parallelism: 1, worker: 0, region: 0, inputs: [], outputs: [] }) as unknown as ActorPlan;
const plan = { job: 'j', fingerprint: 'f', workers: 1, maxParallelism: 128, actors: [actor(0), actor(1)], channels: [], regions: 1 } as ExecutionPlan;
const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;

function setup(timeoutMs = 10_000) {
  const triggered: number[] = [];
  const timers: { at: number; fn: () => void; live: boolean }[] = [];
  let now = 0;
  const engine = { trigger: (id: number) => triggered.push(id), complete: async () => {} } as unknown as Engine;
  const cp = new Checkpointer({
    backend: memoryBackend(),
    job: 'j',
    plan,
    engine,
    log: silent,
    intervalMs: 0,
    timeoutMs,
    tolerable: -1,
    keep: 3,
    nextId: 1,
    restoredFrom: undefined,
    onFatal: () => {},
    clock: { now: () => now },
    timers: {
      set(ms, fn) {
        const t = { at: now + ms, fn, live: true };
        timers.push(t);
        return () => void (t.live = false);
      },
    },
  });
  const advance = (ms: number) => {
    now += ms;
    for (const t of timers.splice(0)) {
      if (t.live && t.at <= now) t.fn();
      else if (t.live) timers.push(t);
    }
  };
  const ackAll = (id: number) => {
    cp.onAck(0, id, new Uint8Array([1, 2, 3]));
    cp.onAck(1, id, new Uint8Array([4, 5]));
  };
  return { cp, triggered, advance, ackAll };
}

const settle = <T>(p: Promise<T>) => p.then((v) => ({ ok: v }), (e: WeirError) => ({ err: e }));

describe('Checkpointer: checkpoints on request', () => {
  it('resolves with id and size once every actor acked and the checkpoint committed', async () => {
    const { cp, triggered, ackAll } = setup();
    const p = cp.now();
    expect(triggered).toEqual([1]);
    ackAll(1);
    const c = await p;
    expect(c).toMatchObject({ id: 1, sizeBytes: 5 });
    expect(cp.lastCompleted?.id).toBe(1);
  });

  it('a failover aborts the requested checkpoint (CHECKPOINT_ABORTED); a request during the failover is taken on resume', async () => {
    const { cp, triggered, ackAll } = setup();
    const first = settle(cp.now());
    cp.onAck(0, 1, new Uint8Array([1])); // one actor acked, then its region fails
    cp.pause([0, 1]);
    const r = await first;
    expect('err' in r && r.err.code).toBe('CHECKPOINT_ABORTED');
    expect('err' in r && r.err.message).toMatch(/checkpoint 1 was aborted: a failover .* Fix: request another/);
    const second = cp.now(); // during the failover: nothing is triggered yet
    expect(triggered).toEqual([1]);
    cp.resume();
    expect(triggered).toEqual([1, 2]);
    ackAll(2);
    expect((await second).id).toBe(2);
  });

  it('a checkpoint that does not complete in time rejects with CHECKPOINT_TIMEOUT, and the next request gets a new one', async () => {
    const { cp, triggered, advance, ackAll } = setup(500);
    const p = settle(cp.now());
    advance(600);
    const r = await p;
    expect('err' in r && r.err.code).toBe('CHECKPOINT_TIMEOUT');
    expect(cp.stats.failed).toBe(1);
    const q = cp.now();
    expect(triggered).toEqual([1, 2]);
    cp.onAck(0, 1, new Uint8Array([9])); // a late ack of the timed-out one changes nothing
    ackAll(2);
    expect((await q).id).toBe(2);
  });

  it('rejects pending and new requests with JOB_NOT_RUNNING once stopped', async () => {
    const { cp } = setup();
    const p = settle(cp.now());
    cp.stop();
    const r = await p;
    expect('err' in r && r.err.code).toBe('JOB_NOT_RUNNING');
    const q = await settle(cp.now());
    expect('err' in q && q.err.code).toBe('JOB_NOT_RUNNING');
  });
});
