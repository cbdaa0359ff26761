/**
 * redis.streamSource / redis.streamSink on the shared Redis (127.0.0.1:6379),
 * through test/fixtures/redis-stream-copy.ts:
 * - kill -9 of `weir run` mid-stream, then a rerun: the output stream (read
 *   with XRANGE) holds each input entry's value exactly once, in input order;
 *   with a consumer group, nothing stays pending (XPENDING) after the drain:
 *   entries were XACKed once their checkpoint completed;
 * - bad input: an entry that is not JSON, or lacks the field, goes to the
 *   dead letters naming the stream and the entry id, and the rest goes on;
 *   a malformed MQTT payload likewise names its topic;
 * - a wrong URL or an unreachable server fails with an error naming it and the fix.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { connect } from 'mqtt';
import { mqtt, redis, run, topology, collect, ConfigError } from 'weir';
import { cleanupRedis, fixture, kill9, redisClient, SHARED_MQTT, sleep, streamValues, tmp, trackKey, unique, waitFor, weir } from './helpers.js';

const JOB = fixture('redis-stream-copy.ts');
afterAll(async () => {
  await cleanupRedis();
});

async function fill(stream: string, from: number, to: number): Promise<void> {
  const r = redisClient();
  for (let i = from; i < to; i += 500) {
    const p = r.pipeline();
    for (let k = i; k < Math.min(to, i + 500); k++) p.xadd(stream, '*', 'data', JSON.stringify({ n: k }));
    await p.exec();
  }
}

describe('redis streams', () => {
  for (const group of [undefined, 'g1']) {
    it(`replays exactly what the restored state has not seen across kill -9 (${group ? 'with a group' : 'no group'})`, { timeout: 180_000 }, async () => {
      const input = unique(`copy-in-${group ?? 'nogroup'}`);
      const output = unique(`copy-out-${group ?? 'nogroup'}`);
      trackKey(input);
      trackKey(output);
      const total = 6000;
      await fill(input, 0, 2000);
      const env = { WEIR_STREAM_COPY: JSON.stringify({ url: 'redis://127.0.0.1:6379', input, output, group }) };
      const args = ['run', JOB, '--job-id', unique('copy-job'), '--state', `file:${tmp('weir-copy-')}`, '--checkpoint-interval', '100ms', '--workers', '2', '--log-level', 'info', '--no-status'];
      let w = weir(args, env);
      const first = w;
      // Entries keep arriving while the job runs (from its first checkpoint on), so the kill falls mid-stream.
      await waitFor(() => /checkpoint \d+ committed/.test(first.stderr()), () => `the first checkpoint; ${first.stderr().slice(-2000)}`, 60_000);
      const adding = (async () => {
        for (let i = 2000; i < total; i += 250) {
          await fill(input, i, i + 250);
          await sleep(250);
        }
      })();
      await waitFor(async () => Number(await redisClient().xlen(output)) >= 1500, () => `1500 output entries; ${w.stderr().slice(-2000)}`, 120_000);
      await kill9(w);
      const atKill = Number(await redisClient().xlen(output));
      w = weir(args, env);
      const rerun = w;
      // Up (it drains on SIGTERM from here on) once it committed a checkpoint.
      await waitFor(() => /checkpoint \d+ committed/.test(rerun.stderr()), () => `the rerun's first checkpoint; ${rerun.stderr().slice(-2000)}`, 60_000);
      await adding;
      let have = 0;
      await waitFor(async () => (have = Number(await redisClient().xlen(output))) >= total, () => `${total} output entries, have ${have}; ${w.stderr().slice(-2000)}`, 120_000);
      await sleep(800);
      w.proc.kill('SIGTERM');
      expect(await w.exited, w.stderr().slice(-2000)).toBe(0);
      const got = await streamValues(output);
      expect(atKill).toBeLessThan(total); // the kill hit mid-stream
      expect(got.length).toBe(total);
      expect(got).toEqual(Array.from({ length: total }, (_, i) => String(i * 2)));
      if (group) {
        const pending = (await redisClient().xpending(input, group)) as [number, ...unknown[]];
        const info = await redisClient().xinfo("GROUPS", input);
        const ids = (await redisClient().xrange(input, "-", "+")).map((e) => e[0]);
        const pend = pending as unknown as [number, string, string];
        expect(pending[0], `pending ${JSON.stringify(pending)} at indices ${ids.indexOf(pend[1])}..${ids.indexOf(pend[2])}; atKill ${atKill}; ${JSON.stringify(info)}`).toBe(0);
        await redisClient().xgroup('DESTROY', input, group);
      }
    });
  }

  it('dead-letters entries that do not parse, naming the stream and entry id', { timeout: 60_000 }, async () => {
    const input = unique('bad-in');
    const output = unique('bad-out');
    trackKey(input);
    trackKey(output);
    const r = redisClient();
    await r.xadd(input, '*', 'data', JSON.stringify({ n: 1 }));
    const badJson = await r.xadd(input, '*', 'data', '{"n": oops');
    const noField = await r.xadd(input, '*', 'other', 'x');
    await r.xadd(input, '*', 'data', JSON.stringify({ n: 2 }));
    const topic = unique('bad-mqtt');
    process.env.WEIR_STREAM_COPY = JSON.stringify({ url: 'redis://127.0.0.1:6379', input, output, mqttUrl: SHARED_MQTT, mqttTopic: topic });
    const handle = run(JOB, { workers: 1, state: 'memory', jobId: unique('bad-job'), checkpointInterval: 100, logLevel: 'silent', metricsIntervalMs: 0 });
    let failed: unknown;
    handle.done.catch((e) => (failed = e));
    await waitFor(async () => Number(await r.xlen(output)) >= 2 || failed !== undefined, 'the good entries', 30_000);
    // The MQTT source subscribed once the job runs; publish one good and one malformed payload.
    const pub = connect(SHARED_MQTT, { clientId: unique('bad-pub') });
    await new Promise<void>((ok) => pub.once('connect', () => ok()));
    await pub.publishAsync(topic, 'not json {', { qos: 1 });
    await pub.publishAsync(topic, JSON.stringify({ ok: true }), { qos: 1 });
    await pub.endAsync();
    await sleep(1500);
    await handle.stop();
    const result = await handle.done;
    expect(await streamValues(output)).toEqual(['2', '4']);
    expect(result.outputs.mq).toEqual([{ ok: true }]);
    const letters = result.deadLetters.map((d) => ({ operator: d.operator, message: d.error.message, record: d.record }));
    expect(letters).toHaveLength(3);
    expect(letters[0].message).toContain(`entry ${badJson} of stream '${input}'`);
    expect(letters[0].record).toMatchObject({ stream: input, id: badJson });
    expect(letters[1].message).toContain(`entry ${noField} of stream '${input}'`);
    expect(letters[1].message).toContain("no field 'data'");
    const m = letters.find((l) => l.operator === 'mq-in')!;
    expect(m.message).toContain(`topic '${topic}'`);
    expect(m.record).toEqual({ topic, payload: 'not json {' });
  });

  it('names a wrong URL or an unreachable server and the fix', { timeout: 60_000 }, async () => {
    expect(() => redis.streamSource({ url: 'http://127.0.0.1:6379', stream: 's' })).toThrow(ConfigError);
    expect(() => redis.streamSink({ url: 'redis://127.0.0.1:6379', stream: '' })).toThrow(/stream "" is invalid. Fix/);
    expect(() => mqtt.source({ url: 'redis://127.0.0.1:6379', topics: 't' })).toThrow(/is not an MQTT broker URL. Fix: give mqtt:\/\/host:port/);
    expect(() => mqtt.sink({ url: 'mqtt://127.0.0.1:1883', topic: 'a/#' })).toThrow(/without wildcards/);
    expect(() => mqtt.source({ url: 'mqtt://127.0.0.1:1883', topics: [] })).toThrow(/topics \[\] are invalid/);
    // Nothing listens on these ports: the job fails with the server and the fix named.
    const redisJob = topology('bad-redis-url', (t) => t.source('in', redis.streamSource({ url: 'redis://127.0.0.1:1', stream: 's', connectTimeoutMs: 1000 })).sink('out', collect()));
    await expect(run(redisJob, { workers: 0, state: 'memory', logLevel: 'silent', metricsIntervalMs: 0, restart: { maxRestarts: 0 } }).done).rejects.toThrow(/cannot reach Redis at redis:\/\/127\.0\.0\.1:1 within 1000 ms .*Fix: start redis-server/);
    const mqttJob = topology('bad-mqtt-url', (t) => t.source('in', mqtt.source({ url: 'mqtt://127.0.0.1:1', topics: 't', connectTimeoutMs: 1000 })).sink('out', collect()));
    await expect(run(mqttJob, { workers: 0, state: 'memory', logLevel: 'silent', metricsIntervalMs: 0, restart: { maxRestarts: 0 } }).done).rejects.toThrow(/cannot connect to the MQTT broker at mqtt:\/\/127\.0\.0\.1:1 within 1000 ms .*Fix: start the broker/);
  });
});
