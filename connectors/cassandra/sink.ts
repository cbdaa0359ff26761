/**
 * `cassandra.sink(...)`: upserts records into a Cassandra table (cassandra-driver).
 *
 * Guarantee: effectively-once for idempotent upserts keyed by something the
 * job computes deterministically. After any failure weir restores the last
 * completed checkpoint and replays what came after it; the replayed upserts
 * write the same rows again, so the table ends as a fault-free run leaves
 * it. No lightweight transaction is used.
 *
 * How (one instance):
 * - the statement is prepared once; `params(record)` gives its values, checked
 *   against the bind variables (bind.ts);
 * - each write() call's rows are planned (write-plan.ts): rows sharing a
 *   partition key go out as unlogged batches, others alone;
 * - requests go out concurrently, at most `concurrency` at once (window.ts);
 *   a full window holds write(), so the sink's input keeps its credit and the
 *   job backpressures;
 * - every request carries a client timestamp taken when it is first sent, and
 *   keeps it when retried: later records win by timestamp whatever order the
 *   requests land in, and a retry never overwrites a newer value;
 * - timeouts, unavailable and unreachable nodes are retried with backoff for
 *   up to `retryTimeoutMs` (retry.ts); meanwhile the window fills and the job
 *   waits, nothing is dropped;
 * - at a checkpoint barrier the sink waits until every request it sent has
 *   succeeded before it acknowledges: a completed checkpoint means its
 *   records are in Cassandra. While Cassandra is down the barrier waits, the
 *   checkpoint times out and is declined, and the job goes on when it returns.
 */
import type { Client } from 'cassandra-driver';
import type { SinkConnector, SinkContext, SinkWriter } from '../../actors/contract.js';
import { ConfigError, WeirError } from '../../actors/errors.js';
import { bindRow, diagnose, type Encoder, type Where } from './bind.js';
import { backoffMs, isRetriable, WRITE_BACKOFF } from './retry.js';
import { checkSchema, connect, loadDriver, prepare, valueEncoder, type Prepared } from './session.js';
import { explainUnsafe, parseStatement } from './statement.js';
import { MonotonicMicros } from './timestamps.js';
import { InflightWindow } from './window.js';
import { planWrites, type Row, type Unit } from './write-plan.js';

export type Consistency = 'any' | 'one' | 'two' | 'three' | 'quorum' | 'all' | 'localQuorum' | 'eachQuorum' | 'localOne';

export interface CassandraSinkOptions<T> {
  /** 'host:port' entries (or one comma-separated string), e.g. ['127.0.0.1:9042']. */
  contactPoints: string | string[];
  /** The data center the driver routes to (a single node with SimpleSnitch: 'datacenter1'). */
  localDataCenter: string;
  /** Keyspace of the statement's table (a `ks.table` in the statement takes precedence). */
  keyspace: string;
  /** One CQL INSERT, UPDATE or DELETE with ? markers; prepared once per instance. */
  statement: string;
  /** The statement's values for a record, one per ? marker, in order. */
  params: (record: T) => unknown[];
  /** Write consistency (default 'localQuorum'). */
  consistency?: Consistency;
  /**
   * Declare the statement idempotent when weir cannot see it is (a set/map add,
   * a function you know is deterministic). Plain upserts need nothing.
   */
  idempotent?: boolean;
  /** Accept that a replay after a failure applies a write twice (counters): the sink is then at-least-once. */
  atLeastOnce?: boolean;
  /** Requests in flight at once per instance (default 64). */
  concurrency?: number;
  /** Rows of one partition per unlogged batch (default 20; 1 sends every row alone). */
  maxBatchRows?: number;
  /** Give up connecting at start after this many ms of retries (default 30000). */
  connectTimeoutMs?: number;
  /** Give up retrying a write (Cassandra down, overloaded, timing out) after this many ms; the sink then fails and its region restarts (default 300000). */
  retryTimeoutMs?: number;
}

const WHO = 'cassandra.sink';

function contactPointsOf(v: unknown): string[] {
  const list = typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : v;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && /^[^\s:]+(:\d+)?$/.test(p))) {
    throw new ConfigError(`${WHO}: contactPoints ${JSON.stringify(v)} are invalid. Fix: give 'host:port' entries, e.g. contactPoints: ['127.0.0.1:9042']`, { field: 'contactPoints' });
  }
  return list as string[];
}

function positiveInt(v: unknown, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || (v as number) < 1) throw new ConfigError(`${WHO}: ${field} must be a positive integer, got ${JSON.stringify(v)}`, { field });
  return v as number;
}

export function cassandraSink<T = unknown>(options: CassandraSinkOptions<T>): SinkConnector<T> {
  const o = options ?? ({} as CassandraSinkOptions<T>);
  const contactPoints = contactPointsOf(o.contactPoints);
  if (typeof o.localDataCenter !== 'string' || o.localDataCenter === '') {
    throw new ConfigError(`${WHO}: localDataCenter is required (the driver routes to that data center). Fix: e.g. localDataCenter: 'datacenter1' (a single node's default)`, { field: 'localDataCenter' });
  }
  if (typeof o.keyspace !== 'string' || !/^("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)$/.test(o.keyspace)) {
    throw new ConfigError(`${WHO}: keyspace ${JSON.stringify(o.keyspace)} is invalid. Fix: the keyspace of the table, e.g. keyspace: 'weir'`, { field: 'keyspace' });
  }
  if (typeof o.params !== 'function') {
    throw new ConfigError(`${WHO}: params must be a function giving the statement's values for a record, e.g. params: (r) => [r.device, r.total]`, { field: 'params' });
  }
  const info = parseStatement(o.statement, WHO);
  const atLeastOnce = o.atLeastOnce === true;
  if (info.unsafe && (info.unsafe.reason === 'lwt' || (o.idempotent !== true && !atLeastOnce))) {
    throw new ConfigError(explainUnsafe(info.unsafe, WHO), { field: 'statement' });
  }
  if (o.idempotent === false && !atLeastOnce) {
    throw new ConfigError(`${WHO}: the statement is declared not idempotent (idempotent: false), so a write replayed after a failover would apply twice. Fix: make it an upsert keyed by the record, or accept duplicates with atLeastOnce: true`, { field: 'idempotent' });
  }
  const keyspace = info.keyspace ?? (o.keyspace.startsWith('"') ? o.keyspace.slice(1, -1) : o.keyspace.toLowerCase());
  const concurrency = positiveInt(o.concurrency, 'concurrency', 64);
  // Grouping keeps only the last row per primary key: right for upserts only. A statement let through
  // by idempotent/atLeastOnce (a counter, an append) sends every row alone.
  const maxBatchRows = info.unsafe ? 1 : positiveInt(o.maxBatchRows, 'maxBatchRows', 20);
  const retryTimeoutMs = positiveInt(o.retryTimeoutMs, 'retryTimeoutMs', 300_000);
  const consistencyName = o.consistency ?? 'localQuorum';

  return {
    role: 'sink',
    type: 'cassandra',
    guarantee: atLeastOnce ? 'at-least-once' : 'exactly-once',
    async open(ctx: SinkContext): Promise<SinkWriter<T>> {
      const who = `${WHO} '${ctx.operator}' (instance ${ctx.instance})`;
      const d = await loadDriver();
      const consistency = d.types.consistencies[consistencyName];
      if (consistency === undefined) throw new ConfigError(`${WHO}: consistency ${JSON.stringify(consistencyName)} is unknown. Fix: one of ${Object.keys(d.types.consistencies).join(', ')}`, { field: 'consistency' });
      const client = await connect(d, { contactPoints, localDataCenter: o.localDataCenter, connectTimeoutMs: o.connectTimeoutMs }, who, ctx.log);
      try {
        await checkSchema(client, keyspace, info, who);
        const prepared = await prepare(d, client, keyspace, o.statement, info, who);
        if (prepared.unchecked) ctx.log.info({ reason: prepared.unchecked }, `${who}: the statement's bind variables are not read up front (${prepared.unchecked}); params go to the driver unchecked and every row alone`);
        const counters = prepared.counters.filter((c) => info.unsafe?.selfUpdated.includes(c));
        if ((counters.length > 0 || (prepared.counters.length > 0 && info.kind === 'update')) && !atLeastOnce && info.unsafe) {
          throw new ConfigError(explainUnsafe(info.unsafe, who, true), { field: 'statement' });
        }
        const encoder = valueEncoder(d);
        return new CassandraWriter<T>(client, encoder, prepared, o.params, {
          statement: o.statement,
          consistency,
          concurrency,
          maxBatchRows,
          retryTimeoutMs,
          where: { operator: ctx.operator, instance: ctx.instance },
          contactPoints,
          log: ctx.log,
        });
      } catch (err) {
        await client.shutdown().catch(() => {});
        throw err;
      }
    },
  };
}

interface WriterConfig {
  statement: string;
  consistency: number;
  concurrency: number;
  maxBatchRows: number;
  retryTimeoutMs: number;
  where: Where;
  contactPoints: string[];
  log: SinkContext['log'];
}

class CassandraWriter<T> implements SinkWriter<T> {
  private readonly window: InflightWindow;
  private readonly clock = new MonotonicMicros(Date.now);
  /** The first request that failed for good: the next write() or barrier throws it. */
  private failure: WeirError | undefined;
  private closed = false;
  /** Since when requests have been failing (retriable); undefined while they succeed. */
  private outageSince: number | undefined;

  constructor(
    private readonly client: Client,
    private readonly encoder: Encoder,
    private readonly prepared: Prepared,
    private readonly params: (r: T) => unknown[],
    private readonly c: WriterConfig,
  ) {
    this.window = new InflightWindow(c.concurrency);
  }

  write(records: readonly T[]): void | Promise<void> {
    this.throwIfFailed();
    const rows = new Array<Row<T>>(records.length);
    for (let i = 0; i < records.length; i++) rows[i] = bindRow(records[i], this.params, this.prepared, this.encoder, this.c.where);
    const units = planWrites(rows, this.c.maxBatchRows);
    for (let i = 0; i < units.length; i++) {
      const wait = this.window.acquire();
      if (wait) return this.sendRest(units, i, wait);
      this.send(units[i]);
    }
  }

  /** The window is full: send the rest of the units as slots free up (write() stays pending meanwhile). */
  private async sendRest(units: Unit<T>[], from: number, wait: Promise<void>): Promise<void> {
    await wait;
    for (let i = from; ; ) {
      if (this.failure) {
        this.window.release(); // the slot just taken
        throw this.failure;
      }
      this.send(units[i]);
      if (++i >= units.length) return;
      await (this.window.acquire() ?? Promise.resolve());
    }
  }

  /** Send one unit in a slot already taken; the slot is released when it succeeded or failed for good. */
  private send(unit: Unit<T>): void {
    const timestamp = this.clock.next();
    void this.attempt(unit, timestamp, 1).then(
      () => this.window.release(),
      (err: WeirError) => {
        this.failure ??= err;
        this.window.release();
      },
    );
  }

  private async attempt(unit: Unit<T>, timestamp: number, attempt: number): Promise<void> {
    const opts = { prepare: true, isIdempotent: true, consistency: this.c.consistency, timestamp };
    try {
      if (unit.length === 1) await this.client.execute(this.c.statement, unit[0].params as unknown[], opts);
      else await this.client.batch(unit.map((r) => ({ query: this.c.statement, params: r.params as unknown[] })), { ...opts, logged: false });
      if (this.outageSince !== undefined) {
        this.c.log.info({ ms: Date.now() - this.outageSince }, `${WHO} '${this.c.where.operator}': Cassandra at ${this.c.contactPoints.join(',')} answers again`);
        this.outageSince = undefined;
      }
    } catch (err) {
      if (this.closed) return;
      if (!isRetriable(err)) throw diagnose(unit, this.prepared, this.encoder, this.c.where, err);
      const now = Date.now();
      if (this.outageSince === undefined) {
        this.outageSince = now;
        this.c.log.warn({ err: (err as Error).message }, `${WHO} '${this.c.where.operator}': Cassandra at ${this.c.contactPoints.join(',')} failed a write (${(err as Error).name}); retrying with backoff, checkpoints wait until it answers`);
      }
      if (now - this.outageSince > this.c.retryTimeoutMs) {
        throw new WeirError('CASSANDRA_UNAVAILABLE', `${WHO} '${this.c.where.operator}' (instance ${this.c.where.instance}): writes to Cassandra at ${this.c.contactPoints.join(',')} kept failing for ${this.c.retryTimeoutMs} ms (last: ${(err as Error).message}). The records after the last checkpoint are written again after the restart. Fix: bring Cassandra back, or raise retryTimeoutMs`, { retriable: true, cause: err, context: { ...this.c.where } });
      }
      await new Promise((r) => setTimeout(r, backoffMs(WRITE_BACKOFF, attempt, Math.random)));
      if (this.closed) return;
      return this.attempt(unit, timestamp, attempt + 1);
    }
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  /** Everything sent so far is in Cassandra once this settles. */
  async flush(): Promise<void> {
    await this.window.idle();
    this.throwIfFailed();
  }

  /** Barrier n: acknowledge only once every write sent before it succeeded. Nothing to keep in the checkpoint. */
  async snapshot(): Promise<undefined> {
    await this.flush();
    return undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.client.shutdown().catch(() => {});
  }
}
