/**
 * ioredis clients for the Redis Streams connectors: a validated URL, commands
 * that wait through an outage (offline queue, reconnects with capped
 * exponential backoff, logged once per outage), and a first connect that
 * fails with an error naming the server and the fix. ioredis is loaded on
 * first use, so jobs without Redis Streams never pay for it.
 */
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from '../../actors/contract.js';
import { ConfigError, WeirError } from '../../actors/errors.js';

export interface RedisConnection {
  /** redis://[user:password@]host:port[/db] (rediss:// for TLS), e.g. 'redis://127.0.0.1:6379'. */
  url: string;
  /** Give up when the first connection is not up within this many ms (default 30000). Later outages are waited out. */
  connectTimeoutMs?: number;
}

export function parseStreamUrl(url: unknown, who: string): URL {
  let u: URL | undefined;
  try {
    u = typeof url === 'string' ? new URL(url) : undefined;
  } catch {
    u = undefined;
  }
  if (!u || !['redis:', 'rediss:'].includes(u.protocol) || !u.hostname || (u.pathname.length > 1 && !/^\/\d+$/.test(u.pathname))) {
    throw new ConfigError(`${who} url ${JSON.stringify(url)} is not a Redis URL. Fix: give redis://host:port[/db], e.g. url: 'redis://127.0.0.1:6379'`, { field: 'url' });
  }
  return u;
}

export const redactUrl = (u: URL): string => `${u.protocol}//${u.host}${u.pathname.length > 1 ? u.pathname : ''}`;

export function requireStream(stream: unknown, who: string): string {
  if (typeof stream !== 'string' || stream.length === 0) throw new ConfigError(`${who} stream ${JSON.stringify(stream)} is invalid. Fix: the stream's key, e.g. stream: 'alerts'`, { field: 'stream' });
  return stream;
}

export const RECONNECT = { initialMs: 100, maxMs: 3000 } as const;

/** A connected client; `name` shows in CLIENT LIST. `resend`: resend commands in flight when the connection dropped (not for reads that move a group's cursor). */
export async function connectRedis(c: RedisConnection, who: string, name: string, log: Logger, resend = true): Promise<Redis> {
  const u = parseStreamUrl(c.url, who);
  const { Redis: RedisClient } = await import('ioredis');
  const budget = c.connectTimeoutMs ?? 30_000;
  const opts: RedisOptions = {
    lazyConnect: true,
    connectTimeout: Math.min(budget, 5000),
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    autoResendUnfulfilledCommands: resend,
    retryStrategy: (attempt: number) => Math.min(RECONNECT.initialMs * 2 ** Math.min(attempt - 1, 16), RECONNECT.maxMs),
    connectionName: name.replace(/[^A-Za-z0-9._-]/g, '_'),
  };
  const client = new RedisClient(c.url, opts);
  let lastError: Error | undefined;
  let downSince: number | undefined;
  let up = false;
  client.on('error', (e: Error) => (lastError = e));
  client.on('close', () => {
    // A disconnect() of ours ends in status 'end'; a lost connection in 'reconnecting'.
    setImmediate(() => {
      if (!up || downSince !== undefined || client.status === 'end') return;
      downSince = Date.now();
      log.warn({ err: lastError }, `${who}: lost Redis at ${redactUrl(u)}; waiting for it (reconnecting with backoff up to ${RECONNECT.maxMs} ms)`);
    });
  });
  client.on('ready', () => {
    if (downSince !== undefined) log.info(`${who}: Redis at ${redactUrl(u)} is back after ${Date.now() - downSince} ms`);
    downSince = undefined;
  });
  client.connect().catch(() => {}); // retried by retryStrategy; the ping below decides
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(lastError?.message ?? 'no answer')), budget);
      }),
    ]);
  } catch (e) {
    client.disconnect();
    throw new WeirError(
      'REDIS_UNREACHABLE',
      `${who}: cannot reach Redis at ${redactUrl(u)} within ${budget} ms (${(e as Error).message}). Fix: start redis-server on ${u.host}, check the url option, or raise connectTimeoutMs`,
      { retriable: true, cause: e, context: { url: redactUrl(u) } },
    );
  } finally {
    clearTimeout(timer);
  }
  up = true;
  return client;
}
