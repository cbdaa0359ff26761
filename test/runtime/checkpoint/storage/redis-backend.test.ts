/**
 * Redis backend specifics against the real Redis on 127.0.0.1:6379 (FAILS
 * when it is not running): the key layout with one hash tag per job, db
 * selection from the URL, and errors Redis itself returns.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl, redisBackend, type RedisStateBackend } from '../../../../runtime/checkpoint/storage/redis-backend.js';
import { bytesOf, checkpoint, uniqueJob } from './backend-contract.js';

const DB = 3;

describe('redis backend (127.0.0.1:6379)', () => {
  let backend: RedisStateBackend;
  let raw: Redis;
  const job = uniqueJob('redis-keys');

  beforeAll(async () => {
    backend = redisBackend(`redis://127.0.0.1:6379/${DB}`);
    raw = new Redis({ host: '127.0.0.1', port: 6379, db: DB, lazyConnect: true, maxRetriesPerRequest: 1 });
    await raw.connect().catch((err) => {
      throw new Error(`these tests need Redis on 127.0.0.1:6379: ${err.message}`);
    });
    await backend.ping();
  });

  afterAll(async () => {
    await backend?.clear(job);
    await backend?.close();
    raw?.disconnect();
  });

  it('keeps every key of a job under one hash tag, in the database named by the URL', async () => {
    expect(backend.description).toBe(`redis://127.0.0.1:6379/${DB}`);
    await checkpoint(backend, job, 1, { 'counter/0': bytesOf('a'), 'src/0': bytesOf('b') });
    await backend.putBlob(job, 2, 'counter/0', bytesOf('uncommitted'));
    const keys = (await raw.keys(`weir:{${job}}:*`)).sort();
    expect(keys).toEqual(
      [
        `weir:{${job}}:blob:1:counter/0`,
        `weir:{${job}}:blob:1:src/0`,
        `weir:{${job}}:blob:2:counter/0`,
        `weir:{${job}}:blobs:1`,
        `weir:{${job}}:blobs:2`,
        `weir:{${job}}:checkpoints`,
        `weir:{${job}}:meta:1`,
        `weir:{${job}}:written`,
      ].sort(),
    );
    // One cluster slot for the whole job.
    const slots = new Set(await Promise.all(keys.map((k) => raw.call('CLUSTER', 'KEYSLOT', k).catch(() => slotOf(k)))));
    expect(slots.size).toBe(1);
    expect(await raw.zrange(`weir:{${job}}:checkpoints`, 0, -1, 'WITHSCORES')).toEqual(['1', '1']);
    expect(JSON.parse((await raw.get(`weir:{${job}}:meta:1`))!)).toMatchObject({ job, id: 1, kind: 'checkpoint' });

    await backend.clear(job);
    expect(await raw.keys(`weir:{${job}}:*`)).toEqual([]);
  });

  it('an error Redis returns (a key of the wrong type) is STATE_BACKEND_FAILED, not retriable', async () => {
    const broken = uniqueJob('redis-wrongtype');
    await raw.set(`weir:{${broken}}:checkpoints`, 'not a zset');
    try {
      await expect(backend.list(broken)).rejects.toMatchObject({
        code: 'STATE_BACKEND_FAILED',
        retriable: false,
        message: expect.stringContaining('WRONGTYPE'),
      });
      // The connection stays usable.
      await backend.ping();
    } finally {
      await raw.del(`weir:{${broken}}:checkpoints`);
    }
  });

  it('parses redis:// and rediss:// URLs and rejects others naming the value and the accepted forms', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379/2')).toEqual({ tls: false, host: '127.0.0.1', port: 6379, db: 2 });
    expect(parseRedisUrl('redis://cache')).toEqual({ tls: false, host: 'cache', port: 6379, db: 0 });
    expect(parseRedisUrl('rediss://u:p%40ss@[::1]:6380/')).toEqual({ tls: true, host: '::1', port: 6380, db: 0, username: 'u', password: 'p@ss' });
    for (const [url, why] of [
      ['redis://h:6379/x', "database 'x' is not a number"],
      ['redis:///0', 'no host'],
      ['http://h:6379', "scheme 'http:' is not redis: or rediss:"],
      ['redis://h:6379/0?family=6', 'query parameters'],
      ['nonsense', 'not a URL'],
    ]) {
      expect(() => parseRedisUrl(url), url).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(why) }));
      expect(() => parseRedisUrl(url), url).toThrow(/expected 'redis:\/\/host:port\[\/db\]' or 'rediss:\/\/host:port\[\/db\]'/);
    }
    expect(() => parseRedisUrl('redis://:hunter2@h:1/x')).toThrow(/redis:\/\/\*\*\*@h:1\/x/);
    expect(() => parseRedisUrl('redis://:hunter2@h:1/x')).not.toThrow(/hunter2/);
    const withPassword = redisBackend('redis://:hunter2@127.0.0.1:1/0');
    expect(withPassword.description).toBe('redis://127.0.0.1:1/0');
    return withPassword.close();
  });
});

/** Redis Cluster's key slot (CRC16/XMODEM of the hash tag), for servers not in cluster mode. */
function slotOf(key: string): number {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  const tagged = open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
  let crc = 0;
  for (const byte of Buffer.from(tagged)) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc % 16384;
}
