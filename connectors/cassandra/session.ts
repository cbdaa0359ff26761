/**
 * A cassandra-driver session as the sink uses it: loaded on first use (jobs
 * without Cassandra never pay for the driver), connected with backoff up to a
 * bound (a node still starting), the target keyspace and table checked with
 * the CQL to create them named when they are missing, and the statement
 * prepared once, its bind variables read from the prepared metadata.
 */
import { createRequire } from 'node:module';
import type { Client } from 'cassandra-driver';
import type { Logger } from '../../actors/contract.js';
import { ConfigError, WeirError } from '../../actors/errors.js';
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
  type: { code: number; info?: unknown };
  typeName: string;
}

export interface Prepared {
  columns: BindColumn[];
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

interface PreparedMeta {
  columns: { name: string; type: { code: number; info?: unknown } }[];
  partitionKeys?: number[] | null;
  table?: string;
}

/**
 * Prepare the statement on the cluster and read its bind variables. The
 * driver prepares lazily inside execute() and keeps the metadata private;
 * its PrepareHandler (the same cache execute() uses, so nothing is prepared
 * twice) is the only way to get the bind variables' names and types up
 * front, which the sink needs to check params and to group by partition key.
 */
export async function prepare(d: Driver, client: Client, keyspace: string, statement: string, who: string): Promise<Prepared> {
  const require = createRequire(import.meta.url);
  const { PrepareHandler } = { PrepareHandler: require('cassandra-driver/lib/prepare-handler.js') } as {
    PrepareHandler: { getPrepared(c: Client, lbp: unknown, q: string, ks: string): Promise<{ meta: PreparedMeta }> };
  };
  let meta: PreparedMeta;
  try {
    ({ meta } = await PrepareHandler.getPrepared(client, (client as unknown as { options: { policies: { loadBalancing: unknown } } }).options.policies.loadBalancing, statement, keyspace));
  } catch (err) {
    if (isRetriable(err)) throw err;
    throw new ConfigError(`${who}: Cassandra rejected the statement ${JSON.stringify(statement)}: ${(err as Error).message}. Fix: the statement, so that it runs in cqlsh against keyspace '${keyspace}'`, { field: 'statement' });
  }
  const typeName = (t: unknown) => (d.types as unknown as { getDataTypeNameByCode(t: unknown): string }).getDataTypeNameByCode(t).replace(/\bvarchar\b/g, 'text');
  const columns = meta.columns.map((c) => ({ name: c.name, type: c.type, typeName: typeName(c.type) }));
  // The table: in the global table spec (meta.table) or on each column (tablename).
  const tableName = meta.table ?? (meta.columns[0] as { tablename?: string } | undefined)?.tablename;
  const table = tableName ? await client.metadata.getTable(keyspace, tableName) : undefined;
  const indexOf = (name: string) => columns.findIndex((c) => c.name === name);
  const keyIndexes = (names: string[]) => {
    const idx = names.map(indexOf);
    return idx.length > 0 && idx.every((i) => i >= 0) ? idx : undefined;
  };
  const partitionKey = table ? keyIndexes(table.partitionKeys.map((c) => c.name)) : undefined;
  const primaryKey = table && partitionKey ? keyIndexes([...table.partitionKeys, ...table.clusteringKeys].map((c) => c.name)) : undefined;
  const counters = table ? table.columns.filter((c) => c.type.code === d.types.dataTypes.counter).map((c) => c.name) : [];
  return { columns, partitionKey, primaryKey, counters };
}
