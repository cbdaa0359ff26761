/**
 * A cassandra-driver session as the sink uses it: loaded on first use (jobs
 * without Cassandra never pay for the driver), connected with backoff up to a
 * bound (a node still starting), the target keyspace and table checked with
 * the CQL to create them named when they are missing, and the statement's
 * bind variables read from the table's schema. Public driver API only.
 */
import type { Client } from 'cassandra-driver';
import type { Logger } from '../../actors/contract.js';
import { ConfigError, WeirError } from '../../actors/errors.js';
import type { Encoder } from './bind.js';
import { bindVariables, typeName, type ColumnType } from './bind-variables.js';
import { backoffMs, CONNECT_BACKOFF, isRetriable } from './retry.js';
import type { StatementInfo } from './statement.js';

export type Driver = typeof import('cassandra-driver');

let driver: Promise<Driver> | undefined;

/** cassandra-driver, imported once per thread on first use. */
export function loadDriver(): Promise<Driver> {
  driver ??= import('cassandra-driver').then((m) => ((m as { default?: Driver }).default ?? m) as Driver);
  return driver;
}

export interface SessionOptions {
  contactPoints: string[];
  localDataCenter: string;
  /** Give up connecting after this many ms of retries (default 30000). */
  connectTimeoutMs?: number;
}

/** One bind variable of the prepared statement. */
export interface BindColumn {
  name: string;
  /** The driver's type info (code + info), used to encode and to name the type. */
  type: ColumnType;
  typeName: string;
}

export interface Prepared {
  /** The bind variables, in marker order; absent when the statement's markers could not all be placed (then `unchecked` says which). */
  columns?: BindColumn[];
  /** Why the values go out unchecked (a statement form bind-variables.ts does not read). */
  unchecked?: string;
  /** Indexes (into columns) of the partition key, when the statement binds it all. */
  partitionKey?: number[];
  /** Indexes of the whole primary key (partition + clustering), when the statement binds it all. */
  primaryKey?: number[];
  /** Columns of the table whose type is counter. */
  counters: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Connect (no keyspace yet: a missing one must be reported, not fail the
 * connect), retrying an unreachable cluster with backoff for up to
 * connectTimeoutMs; then the error names the address and the fix.
 */
export async function connect(d: Driver, o: SessionOptions, who: string, log: Logger): Promise<Client> {
  const budget = o.connectTimeoutMs ?? 30_000;
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    const client = new d.Client({
      contactPoints: o.contactPoints,
      localDataCenter: o.localDataCenter,
      // A node that went away is tried again every 250 ms .. 2 s (the default grows to 10 min,
      // which would keep a job waiting long after Cassandra is back).
      policies: { reconnection: new d.policies.reconnection.ExponentialReconnectionPolicy(250, 2000, true) },
      socketOptions: { connectTimeout: 3000, readTimeout: 12_000 },
      pooling: { heartBeatInterval: 5000 },
    });
    try {
      await client.connect();
      return client;
    } catch (err) {
      await client.shutdown().catch(() => {});
      const spent = Date.now() - t0;
      if (!isRetriable(err) || spent >= budget) {
        if (!isRetriable(err) && (err as Error).name !== 'NoHostAvailableError') {
          throw new ConfigError(`${who}: cannot connect to Cassandra at ${o.contactPoints.join(',')}: ${(err as Error).message}. Fix: check contactPoints and localDataCenter ('${o.localDataCenter}')`, { field: 'contactPoints' });
        }
        throw new WeirError('CASSANDRA_UNREACHABLE', `${who}: cannot reach Cassandra at ${o.contactPoints.join(',')} within ${budget} ms (${attempt} attempt(s); last: ${(err as Error).message}). Fix: start Cassandra (npm run cassandra:start), check contactPoints, or raise connectTimeoutMs`, { retriable: true, cause: err, context: { contactPoints: o.contactPoints } });
      }
      const wait = Math.min(backoffMs(CONNECT_BACKOFF, attempt, Math.random), budget - spent);
      (attempt < 3 ? log.debug : log.warn).call(log, { err: (err as Error).message, attempt }, `${who}: Cassandra at ${o.contactPoints.join(',')} does not answer yet; retrying in ${wait} ms`);
      await sleep(wait);
    }
  }
}

const ident = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

/** Check that the keyspace and table exist; the error names what is missing and the CQL that creates it. */
export async function checkSchema(client: Client, keyspace: string, s: StatementInfo, who: string): Promise<void> {
  const address = client.getState().getConnectedHosts().map((h) => h.address).join(',');
  if (!client.metadata.keyspaces[keyspace]) {
    await client.metadata.refreshKeyspace(keyspace).catch(() => undefined);
  }
  if (!client.metadata.keyspaces[keyspace]) {
    throw new ConfigError(
      `${who}: keyspace '${keyspace}' does not exist on Cassandra ${address}. Fix: create it, e.g.\n  CREATE KEYSPACE IF NOT EXISTS ${ident(keyspace)} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1};\n(NetworkTopologyStrategy with your data centers in production)`,
      { field: 'keyspace', keyspace },
    );
  }
  const table = await client.metadata.getTable(keyspace, s.table);
  if (!table) {
    const cols = s.columns?.length ? s.columns.map((c) => `${ident(c)} <type>`).join(', ') : '<column> <type>, ...';
    const key = s.columns?.length ? ident(s.columns[0]) : '<partition key>';
    throw new ConfigError(
      `${who}: table '${keyspace}.${s.table}' does not exist on Cassandra ${address}. Fix: create it, e.g.\n  CREATE TABLE IF NOT EXISTS ${ident(keyspace)}.${ident(s.table)} (${cols}, PRIMARY KEY (${key}));\n(with the column types and primary key your statement writes)`,
      { field: 'statement', keyspace, table: s.table },
    );
  }
}

/**
 * The statement's bind variables, partition and primary key positions and
 * counter columns, from the table's schema (public driver metadata; see
 * bind-variables.ts for why not the prepared metadata). The statement itself
 * is prepared by the driver on the first execute() with `prepare: true`, once
 * per client, and reused after.
 */
export async function prepare(d: Driver, client: Client, keyspace: string, statement: string, s: StatementInfo, who: string): Promise<Prepared> {
  // The statement may name its table without a keyspace: make the keyspace the session's (the
  // client connected without one, so that a missing keyspace is reported, not a failed connect).
  await client.execute(`USE ${ident(keyspace)}`);
  const table = await client.metadata.getTable(keyspace, s.table);
  if (!table) throw new ConfigError(`${who}: table '${keyspace}.${s.table}' does not exist`, { field: 'statement', keyspace, table: s.table });
  const counters = table.columns.filter((c) => c.type.code === d.types.dataTypes.counter).map((c) => c.name);
  const read = bindVariables(statement, table);
  if ('missingColumn' in read) {
    throw new ConfigError(`${who}: the statement ${JSON.stringify(statement)} names column '${read.missingColumn}', which table '${keyspace}.${s.table}' does not have (columns: ${table.columns.map((c) => c.name).join(', ')}). Fix: the statement, so that it runs in cqlsh against keyspace '${keyspace}'`, { field: 'statement' });
  }
  if ('unknown' in read) return { unchecked: read.unknown, counters };
  const dataTypes = d.types.dataTypes as unknown as Record<string, unknown>;
  const columns = read.variables.map((v) => ({ name: v.name, type: v.type, typeName: typeName(v.type, dataTypes) }));
  const indexOf = (name: string) => columns.findIndex((c) => c.name === name);
  const keyIndexes = (names: string[]) => {
    const idx = names.map(indexOf);
    return idx.length > 0 && idx.every((i) => i >= 0) ? idx : undefined;
  };
  const partitionKey = keyIndexes(table.partitionKeys.map((c) => c.name));
  const primaryKey = partitionKey ? keyIndexes([...table.partitionKeys, ...table.clusteringKeys].map((c) => c.name)) : undefined;
  return { columns, partitionKey, primaryKey, counters };
}

/**
 * The driver's value encoder (`cassandra-driver`'s exported `Encoder`, public
 * and documented, though missing from its typings). Protocol v4: values are
 * encoded alike in every protocol version from v3 on (v5 changed framing, not
 * values), so the bytes equal what execute() sends whatever version the
 * connection negotiated.
 */
export function valueEncoder(d: Driver): Encoder {
  const { Encoder: EncoderClass } = d as unknown as { Encoder: new (protocolVersion: number, options: unknown) => Encoder };
  return new EncoderClass(d.types.protocolVersion.v4, d.defaultOptions());
}
