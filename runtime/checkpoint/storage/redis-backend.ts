/**
 * The Redis state backend (ioredis), for production and scale-out.
 *
 * Keys (one hash tag per job, so Redis Cluster keeps a job in one slot and
 * MULTI/EXEC and MGET over a job's keys are legal there):
 *
 *   weir:{<job>}:blob:<id>:<name>   string   blob bytes
 *   weir:{<job>}:blobs:<id>         set      blob names written for checkpoint <id>
 *   weir:{<job>}:written            zset     ids that hold blobs (score = id)
 *   weir:{<job>}:meta:<id>          string   JSON CheckpointMeta
 *   weir:{<job>}:checkpoints        zset     committed ids (score = id)
 *   weir:{<job>}:result             string   JSON JobResultRecord (job-result.ts)
 *
 * putBlob is one MULTI/EXEC (blob + its index entries); commit is one
 * MULTI/EXEC (meta + index entry), so a checkpoint is either fully listed or
 * not at all. gc and clear find keys through the indexes (no SCAN), which also
 * works on a cluster.
 *
 * Outages: no call waits forever. Every call settles within `timeoutMs`
 * (default 2000), waiting for a connection included: it fails at once when the
 * current connection attempt fails (e.g. ECONNREFUSED) and after `timeoutMs`
 * when the server accepts but does not answer (paused, overloaded, network
 * black hole); each command is also bounded by ioredis' commandTimeout. A
 * connection that stops answering is dropped after `timeoutMs` (socketTimeout)
 * and re-established in the background with capped exponential backoff
 * (retryStrategy), so the same backend object works again once Redis is back. Commands are never queued while disconnected
 * (enableOfflineQueue: false) nor resent after a reconnect
 * (autoResendUnfulfilledCommands: false). Failures are
 * `StateBackendUnavailableError` (retriable); a write that failed so may still
 * have been applied (see errors.ts).
 */
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import { ConfigError, WeirError } from '../../../actors/errors.js';
import type { CheckpointMeta, JobResultRecord, StateBackend } from './backend.js';
import { decodeMeta, encodeMeta, validateMeta } from './checkpoint-meta.js';
import { StateBackendClosedError, StateBackendError, StateBackendUnavailableError } from './errors.js';
import { planGc } from './gc-plan.js';
import { decodeResult, encodeResult, validateResult } from './job-result.js';
import { validateBlobName, validateCheckpointId, validateJob, validateKeep } from './names.js';

export interface RedisBackendOptions {
  /** Every call settles within this many ms (waiting for a connection included). Default 2000. */
  timeoutMs?: number;
  /** Cap of the reconnect backoff (100, 200, 400, ... ms). Default 1000. */
  maxReconnectDelayMs?: number;
  /** Told about connection errors (e.g. to log them); calls fail with STATE_BACKEND_UNAVAILABLE regardless. */
  onConnectionError?: (err: Error) => void;
}

export interface RedisStateBackend extends StateBackend {
  readonly kind: 'redis';
  /** Resolves when Redis answers PING in time; rejects with STATE_BACKEND_UNAVAILABLE otherwise. */
  ping(): Promise<void>;
}

/** Where a `redis://` / `rediss://` URL points. */
export interface RedisLocation {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

export const REDIS_URL_FORMS = "'redis://host:port[/db]' or 'rediss://host:port[/db]' (optionally 'redis://[user]:password@host:port/db')";

/** Parses a Redis URL; throws ConfigError naming the value and the accepted forms. */
export function parseRedisUrl(url: string): RedisLocation {
  const result = tryParseRedisUrl(url);
  if (typeof result === 'string') {
    throw new ConfigError(`invalid Redis URL ${JSON.stringify(redactUrl(url))}: ${result}; expected ${REDIS_URL_FORMS}`, { url: redactUrl(url) });
  }
  return result;
}

/** The location, or why `url` is not an accepted Redis URL. */
export function tryParseRedisUrl(url: string): RedisLocation | string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') return `scheme '${parsed.protocol}' is not redis: or rediss:`;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') return 'no host';
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `port ${parsed.port} is out of range`;
  let db = 0;
  if (parsed.pathname !== '' && parsed.pathname !== '/') {
    const m = /^\/(0|[1-9][0-9]{0,4})$/.exec(parsed.pathname);
    if (!m) return `database '${decodeURIComponent(parsed.pathname.slice(1))}' is not a number`;
    db = Number(m[1]);
  }
  if (parsed.search !== '' || parsed.hash !== '') return 'query parameters and fragments are not supported';
  const location: RedisLocation = { tls: parsed.protocol === 'rediss:', host, port, db };
  if (parsed.username !== '') location.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') location.password = decodeURIComponent(parsed.password);
  return location;
}

/** `url` with any credentials replaced by '***', for messages and logs. */
export function redactUrl(url: string): string {
  return typeof url === 'string' ? url.replace(/\/\/[^@/]*@/, '//***@') : String(url);
}

/**
 * A state backend on the Redis at `url` (`redis://host:port[/db]`,
 * `rediss://...` for TLS). Connects at once, in the background; call
 * `close()` when done, or the reconnect loop keeps the process alive.
 */
export function redisBackend(url: string, opts: RedisBackendOptions = {}): RedisStateBackend {
  return new RedisBackend(parseRedisUrl(url), opts);
}

/** Redis error prefixes that mean "not now" rather than "never". */
const TRANSIENT_REPLIES = new Set(['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'READONLY', 'NOREPLICAS', 'OOM']);

class RedisBackend implements RedisStateBackend {
  readonly kind = 'redis' as const;
  readonly description: string;
  private readonly client: Redis;
  private readonly timeoutMs: number;
  private closed = false;
  private lastError: Error | undefined;
  private attempt: Promise<boolean> | undefined;

  constructor(location: RedisLocation, opts: RedisBackendOptions) {
    this.timeoutMs = positive(opts.timeoutMs ?? 2000, 'timeoutMs');
    const maxDelay = positive(opts.maxReconnectDelayMs ?? 1000, 'maxReconnectDelayMs');
    const host = location.host.includes(':') ? `[${location.host}]` : location.host;
    this.description = `${location.tls ? 'rediss' : 'redis'}://${host}:${location.port}/${location.db}`;
    // Loaded here, synchronously, only when a Redis backend is made: ioredis costs ~100 ms and
    // ~15 MB per thread, which jobs with memory or file state should not pay.
    const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
    this.client = new RedisClient({
      host: location.host,
      port: location.port,
      db: location.db,
      username: location.username,
      password: location.password,
      tls: location.tls ? {} : undefined,
      connectTimeout: this.timeoutMs,
      commandTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      enableReadyCheck: true,
      retryStrategy: (attempt: number) => Math.min(100 * 2 ** Math.min(attempt - 1, 16), maxDelay),
      connectionName: 'weir-state',
    });
    this.client.on('error', (err: Error) => {
      this.lastError = err;
      opts.onConnectionError?.(err);
    });
    this.client.on('ready', () => {
      this.lastError = undefined;
    });
  }

  async putBlob(job: string, checkpointId: number, name: string, bytes: Uint8Array): Promise<void> {
    this.check('putBlob', job);
    validateCheckpointId(checkpointId);
    validateBlobName(name);
    const k = keys(job);
    await this.run('putBlob', async (c) => {
      const value = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      execResults(await c.multi().set(k.blob(checkpointId, name), value).sadd(k.blobNames(checkpointId), name).zadd(k.written, checkpointId, String(checkpointId)).exec());
    });
  }

  async getBlob(job: string, checkpointId: number, name: string): Promise<Uint8Array | undefined> {
    this.check('getBlob', job);
    validateCheckpointId(checkpointId);
    validateBlobName(name);
    const buf = await this.run('getBlob', (c) => c.getBuffer(keys(job).blob(checkpointId, name)));
    return buf === null ? undefined : new Uint8Array(buf);
  }

  async commit(meta: CheckpointMeta): Promise<void> {
    this.check('commit', meta?.job);
    validateMeta(meta);
    const k = keys(meta.job);
    await this.run('commit', async (c) => {
      execResults(await c.multi().set(k.meta(meta.id), encodeMeta(meta)).zadd(k.checkpoints, meta.id, String(meta.id)).exec());
    });
  }

  async list(job: string): Promise<CheckpointMeta[]> {
    this.check('list', job);
    return this.run('list', (c) => this.committed(c, job));
  }

  async gc(job: string, keep: number): Promise<void> {
    this.check('gc', job);
    validateKeep(keep);
    const k = keys(job);
    await this.run('gc', async (c) => {
      const committed = await this.committed(c, job);
      const written = (await c.zrange(k.written, 0, -1)).map(Number);
      const plan = planGc(committed, written, keep);
      if (plan.dropCommitted.length > 0) {
        // Un-name first: from here on these checkpoints no longer exist for list().
        execResults(await c.multi().zrem(k.checkpoints, ...plan.dropCommitted.map(String)).unlink(...plan.dropCommitted.map(k.meta)).exec());
      }
      await this.deleteBlobs(c, job, [...plan.dropCommitted, ...plan.dropUncommitted]);
    });
  }

  async putResult(result: JobResultRecord): Promise<void> {
    this.check('putResult', result?.job);
    validateResult(result);
    await this.run('putResult', (c) => c.set(keys(result.job).result, encodeResult(result)));
  }

  async getResult(job: string): Promise<JobResultRecord | undefined> {
    this.check('getResult', job);
    const text = await this.run('getResult', (c) => c.get(keys(job).result));
    return text === null ? undefined : decodeResult(text);
  }

  async deleteResult(job: string): Promise<void> {
    this.check('deleteResult', job);
    await this.run('deleteResult', (c) => c.unlink(keys(job).result));
  }

  async clear(job: string): Promise<void> {
    this.check('clear', job);
    const k = keys(job);
    await this.run('clear', async (c) => {
      const ids = new Set([...(await c.zrange(k.written, 0, -1)), ...(await c.zrange(k.checkpoints, 0, -1))].map(Number));
      await this.deleteBlobs(c, job, [...ids]);
      const metaKeys = [...ids].map(k.meta);
      execResults(await c.multi().unlink(k.checkpoints, k.written, k.result, ...metaKeys).exec());
    });
  }

  async ping(): Promise<void> {
    this.assertOpen('ping');
    await this.run('ping', (c) => c.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.client.status === 'ready') await withDeadline(this.client.quit(), Math.min(this.timeoutMs, 1000));
    } catch {
      // quit did not answer in time; disconnect below drops the connection anyway.
    } finally {
      this.client.disconnect();
    }
  }

  /** Committed metas of `job`, newest first. */
  private async committed(c: Redis, job: string): Promise<CheckpointMeta[]> {
    const k = keys(job);
    const ids = (await c.zrevrange(k.checkpoints, 0, -1)).map(Number);
    if (ids.length === 0) return [];
    const texts = await c.mget(...ids.map(k.meta));
    const metas: CheckpointMeta[] = [];
    ids.forEach((id, i) => {
      const text = texts[i];
      const meta = text == null ? undefined : decodeMeta(text);
      if (meta !== undefined && meta.job === job && meta.id === id) metas.push(meta);
    });
    return metas;
  }

  /** Deletes the blobs (and blob indexes) of checkpoints `ids`. */
  private async deleteBlobs(c: Redis, job: string, ids: number[]): Promise<void> {
    if (ids.length === 0) return;
    const k = keys(job);
    const names = execResults(await ids.reduce((p, id) => p.smembers(k.blobNames(id)), c.pipeline()).exec()) as string[][];
    const blobKeys = ids.flatMap((id, i) => names[i].map((name) => k.blob(id, name)));
    execResults(
      await c
        .multi()
        .unlink(...blobKeys, ...ids.map(k.blobNames))
        .zrem(k.written, ...ids.map(String))
        .exec(),
    );
  }

  private check(operation: string, job: unknown): void {
    this.assertOpen(operation);
    validateJob(job);
  }

  private assertOpen(operation: string): void {
    if (this.closed) throw new StateBackendClosedError(this.description, operation);
  }

  /**
   * Runs `fn` once a connection is ready, mapping every failure to a WeirError.
   * The whole call (waiting for a connection included) settles within `timeoutMs`.
   */
  private async run<T>(operation: string, fn: (c: Redis) => Promise<T>): Promise<T> {
    const start = performance.now();
    await this.ready(operation);
    try {
      // Each command is also bounded by ioredis' commandTimeout; this deadline bounds the call as a whole.
      return await withDeadline(fn(this.client), Math.max(0, this.timeoutMs - (performance.now() - start)), this.timeoutMs);
    } catch (err) {
      throw this.wrap(operation, err);
    }
  }

  /**
   * Waits for a usable connection: returns at once when ready; otherwise waits
   * for the outcome of the current (or next) connection attempt, at most
   * `timeoutMs`, and fails as soon as that attempt fails.
   */
  private async ready(operation: string): Promise<void> {
    if (this.client.status === 'ready') return;
    if (this.client.status === 'end') throw new StateBackendClosedError(this.description, operation);
    const outcome = await withDeadline(this.nextAttempt(), this.timeoutMs).catch(() => 'timeout' as const);
    if (outcome === true) return;
    const last = this.lastError ? `; last error: ${this.lastError.message}` : '';
    throw new StateBackendUnavailableError(
      this.description,
      operation,
      outcome === 'timeout'
        ? `no connection within ${this.timeoutMs} ms (status ${this.client.status}${last})`
        : `connection attempt failed${this.lastError ? `: ${this.lastError.message}` : ''}`,
      { cause: this.lastError },
    );
  }

  /** true when the client becomes ready, false when its current connection attempt closes first. Shared by all waiters. */
  private nextAttempt(): Promise<boolean> {
    this.attempt ??= new Promise<boolean>((resolve) => {
      const settle = (ok: boolean) => () => {
        this.client.off('ready', onReady);
        this.client.off('close', onClose);
        this.attempt = undefined;
        resolve(ok);
      };
      const onReady = settle(true);
      const onClose = settle(false);
      this.client.on('ready', onReady);
      this.client.on('close', onClose);
    });
    return this.attempt;
  }

  private wrap(operation: string, err: unknown): WeirError {
    if (err instanceof WeirError) return err;
    if (err instanceof DeadlineError) return new StateBackendUnavailableError(this.description, operation, `no answer within ${err.ms} ms`);
    if (err instanceof Error && err.name === 'ReplyError') {
      const prefix = err.message.split(' ', 1)[0];
      if (TRANSIENT_REPLIES.has(prefix)) return new StateBackendUnavailableError(this.description, operation, err);
      return new StateBackendError(this.description, operation, err);
    }
    // Timeouts, closed or unwritable connections, aborted commands: the server is not reachable now.
    return new StateBackendUnavailableError(this.description, operation, err);
  }
}

function keys(job: string) {
  const p = `weir:{${job}}:`;
  return {
    blob: (id: number, name: string) => `${p}blob:${id}:${name}`,
    blobNames: (id: number) => `${p}blobs:${id}`,
    meta: (id: number) => `${p}meta:${id}`,
    written: `${p}written`,
    checkpoints: `${p}checkpoints`,
    result: `${p}result`,
  };
}

/** The results of a MULTI/EXEC or pipeline, throwing the first command error. */
function execResults(results: [Error | null, unknown][] | null): unknown[] {
  if (results === null) throw new Error('transaction aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

class DeadlineError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** `promise`, or a DeadlineError (reporting `reportedMs`) after `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number, reportedMs = ms): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(Math.round(reportedMs))), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function positive(value: number, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(`redisBackend option ${field} must be a positive number of ms, got ${String(value)}`, { field });
  }
  return value;
}
