/**
 * Redis outages against a PRIVATE redis-server (spawned here on 6390+random,
 * killed in afterAll): a paused (SIGSTOP) or killed server makes calls fail
 * within the backend's timeoutMs with a retriable STATE_BACKEND_UNAVAILABLE,
 * and the same backend object works again once the server is back.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WeirError } from '../../../../actors/errors.js';
import { redisBackend, type RedisStateBackend } from '../../../../runtime/checkpoint/storage/redis-backend.js';
import { bytesOf, checkpoint, meta } from './backend-contract.js';
import { startPrivateRedis, type PrivateRedis } from '../../../services/private-redis.js';

/** The backends' timeoutMs: every call must settle within it (waiting for a connection included). */
const TIMEOUT_MS = 1000;
/**
 * What the tests allow: timeoutMs plus 5 s for a loaded machine's late timers. A call without
 * its deadline waits far longer: ioredis' own connect timeout is 10 s, and a paused server
 * never answers at all.
 */
const BOUND_MS = TIMEOUT_MS + 5000;

/** Awaits `call`, which must fail with a retriable STATE_BACKEND_UNAVAILABLE within BOUND_MS; returns the latency. */
async function failsFast(call: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  const err = await call().then(
    () => undefined,
    (e: unknown) => e,
  );
  const ms = performance.now() - start;
  if (process.env.WEIR_DEBUG_OUTAGE) console.log(`${Math.round(ms)} ms: ${(err as Error)?.message}`);
  expect(err).toBeInstanceOf(WeirError);
  expect(err).toMatchObject({ code: 'STATE_BACKEND_UNAVAILABLE', retriable: true });
  expect(ms).toBeLessThan(BOUND_MS);
  return ms;
}

/** Retries `call` until it succeeds (within `withinMs`), as a caller with a retry policy would; returns the wait. */
async function succeedsAgain(call: () => Promise<unknown>, withinMs = 30_000): Promise<number> {
  const start = performance.now();
  for (;;) {
    try {
      await call();
      return performance.now() - start;
    } catch (err) {
      expect(err).toMatchObject({ code: 'STATE_BACKEND_UNAVAILABLE', retriable: true });
      if (performance.now() - start > withinMs) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('redis backend outages (private redis-server)', () => {
  let redis: PrivateRedis;
  const backends: RedisStateBackend[] = [];
  const open = () => {
    const b = redisBackend(redis.url, { timeoutMs: TIMEOUT_MS });
    backends.push(b);
    return b;
  };

  beforeAll(async () => {
    redis = await startPrivateRedis();
  });

  afterAll(async () => {
    redis?.resume();
    for (const b of backends) await b.close();
    await redis?.stop();
  });

  it('a paused server (SIGSTOP): put/commit/get fail within the bound, then work again after SIGCONT', async () => {
    const backend = open();
    const job = 'outage-pause';
    await checkpoint(backend, job, 1, { 'op/0': bytesOf('before') });

    redis.pause();
    const latencies = [await failsFast(() => backend.putBlob(job, 2, 'op/0', bytesOf('during')))];
    // Then, likely while the client re-handshakes with the stopped server (whatever state it is in,
    // the bound holds; the pause only makes that state likely), many calls at once: all bounded.
    await new Promise((r) => setTimeout(r, 300));
    latencies.push(
      ...(await Promise.all([
        failsFast(() => backend.commit(meta(job, 2, { 'op/0': bytesOf('during') }))),
        failsFast(() => backend.list(job)),
        failsFast(() => backend.getBlob(job, 1, 'op/0')),
        failsFast(() => backend.gc(job, 1)),
        ...Array.from({ length: 20 }, (_, i) => failsFast(() => backend.putBlob(job, 2, `op/${i}`, bytesOf('x')))),
      ])),
    );
    console.log(`[redis outage] paused server: calls failed after ${latencies.map((ms) => Math.round(ms)).join(', ')} ms`);
    redis.resume();

    const waited = await succeedsAgain(() => backend.ping());
    console.log(`[redis outage] after SIGCONT: usable again after ${Math.round(waited)} ms`);
    await backend.putBlob(job, 3, 'op/0', bytesOf('after'));
    await backend.commit(meta(job, 3, { 'op/0': bytesOf('after') }));
    // 2 may or may not have landed (an indefinite failure); 1 and 3 certainly did.
    const ids = (await backend.list(job)).map((m) => m.id);
    expect(ids[0]).toBe(3);
    expect(ids).toContain(1);
    expect(await backend.getBlob(job, 3, 'op/0')).toEqual(bytesOf('after'));
  });

  it('a killed server: calls fail fast; after a restart on the same port the same backend works again', async () => {
    const backend = open();
    const job = 'outage-kill';
    await checkpoint(backend, job, 1, { 'op/0': bytesOf('x') });

    await redis.kill();
    const latencies = [
      await failsFast(() => backend.putBlob(job, 2, 'op/0', bytesOf('y'))),
      await failsFast(() => backend.commit(meta(job, 2))),
      await failsFast(() => backend.list(job)),
    ];
    console.log(`[redis outage] killed server: calls failed after ${latencies.map((ms) => Math.round(ms)).join(', ')} ms`);

    await redis.restart(); // no persistence: it comes back empty
    const waited = await succeedsAgain(() => backend.putBlob(job, 2, 'op/0', bytesOf('y')));
    console.log(`[redis outage] after restart: usable again after ${Math.round(waited)} ms`);
    await backend.commit(meta(job, 2, { 'op/0': bytesOf('y') }));
    expect((await backend.list(job)).map((m) => m.id)).toEqual([2]);
  });

  it('a server that is down when the backend is created: calls fail within the bound, then work once it starts', async () => {
    await redis.kill();
    const backend = open();
    await failsFast(() => backend.list('outage-late'));
    await failsFast(() => backend.ping());
    await redis.restart();
    await succeedsAgain(() => backend.ping());
    await checkpoint(backend, 'outage-late', 1, { 'op/0': bytesOf('z') });
    expect((await backend.list('outage-late')).map((m) => m.id)).toEqual([1]);
  });

  it('close() returns promptly while the server is paused', async () => {
    const backend = redisBackend(redis.url, { timeoutMs: TIMEOUT_MS });
    await backend.ping();
    redis.pause();
    try {
      const start = performance.now();
      await backend.close();
      expect(performance.now() - start).toBeLessThan(BOUND_MS);
      await expect(backend.list('x')).rejects.toMatchObject({ code: 'STATE_BACKEND_CLOSED' });
    } finally {
      redis.resume();
    }
  });
});
