import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createBackend } from '../../../../runtime/checkpoint/storage/create-backend.js';

const FORMS = "expected 'memory', 'file:<dir>', 'redis://host:port[/db]' or 'rediss://host:port[/db]'";

describe('createBackend', () => {
  it('builds memory, file and redis backends from a spec', async () => {
    const memory = createBackend('memory');
    expect([memory.kind, memory.description]).toEqual(['memory', 'memory']);

    const dir = mkdtempSync(path.join(tmpdir(), 'weir-create-'));
    const file = createBackend(`file:${dir}`);
    expect([file.kind, file.description]).toEqual(['file', `file:${dir}`]);
    expect(createBackend('file:rel/state').description).toBe(`file:${path.resolve('rel/state')}`);
    expect(createBackend(`file://${dir}/x`).description).toBe(`file:${dir}/x`);

    const redis = createBackend('redis://127.0.0.1:6379/1');
    expect([redis.kind, redis.description]).toEqual(['redis', 'redis://127.0.0.1:6379/1']);
    const tls = createBackend('rediss://127.0.0.1:6379', { redis: { timeoutMs: 500 } });
    expect([tls.kind, tls.description]).toEqual(['redis', 'rediss://127.0.0.1:6379/0']);
    for (const b of [memory, file, redis, tls]) await b.close();
  });

  it('rejects bad specs with CONFIG_INVALID naming the value and the accepted forms', () => {
    for (const [spec, why] of [
      ['', 'empty'],
      ['mem', 'unknown kind'],
      ['Memory', 'unknown kind'],
      ['file:', 'file: needs a directory'],
      ['file://host/x', 'not a valid file:// URL'],
      ['s3://bucket', 'unknown kind'],
      ['redis://', 'no host'],
      ['redis://h:99999', 'not a URL'],
      ['redis://h:6379/abc', "database 'abc' is not a number"],
    ]) {
      let err: unknown;
      try {
        void createBackend(spec).close();
      } catch (e) {
        err = e;
      }
      expect(err, spec).toMatchObject({ name: 'ConfigError', code: 'CONFIG_INVALID' });
      const message = (err as Error).message;
      expect(message.startsWith(`invalid state backend ${JSON.stringify(spec)}: `), message).toBe(true);
      expect(message.endsWith(`; ${FORMS}`), message).toBe(true);
      expect(message, spec).toContain(why);
    }
  });

  it('never echoes a password in errors', () => {
    expect(() => createBackend('redis://:hunter2@h:6379/zz')).toThrow(`invalid state backend "redis://***@h:6379/zz": database 'zz' is not a number; ${FORMS}`);
  });
});
