/**
 * Shared helpers for the Cassandra sink's integration tests (real Cassandra
 * on 127.0.0.1:9042, started by test/services/cassandra-global-setup.mjs):
 * a driver client, the test keyspace, unique tables, reading a table back,
 * the weir CLI, and the reference result of the keyed-totals fixture.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from 'cassandra-driver';
import { CASSANDRA_CONTACT_POINT, CASSANDRA_DC } from '../../services/cassandra.mjs';
import { killIfRunning, spawnCli, type CliRun } from '../../support/cli-run.js';
import { pollUntil } from '../../support/wait-for.js';

export const CONTACT_POINT = CASSANDRA_CONTACT_POINT;
export const DC = CASSANDRA_DC;
export const KEYSPACE = 'weir_test';
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const CLI = path.join(ROOT, 'dist/bundle/cli.js');
export const TOTALS_JOB = path.join(ROOT, 'test/fixtures/cassandra-keyed-totals.ts');

const runId = `${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
/** A table name unique to this test run. */
export const unique = (name: string) => `${name}_${runId}`;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const clients = new Map<string, Client>();
/** A driver client on `contactPoint` (one per contact point, closed by cleanup()). */
export async function cql(contactPoint = CONTACT_POINT): Promise<Client> {
  let c = clients.get(contactPoint);
  if (!c) {
    c = new Client({ contactPoints: [contactPoint], localDataCenter: DC, socketOptions: { readTimeout: 60_000 } });
    clients.set(contactPoint, c);
    await c.connect();
  }
  return c;
}

/**
 * The test keyspace, a fresh totals table (device text PRIMARY KEY, total bigint, n bigint)
 * and its events table `<name>_ev` (seq bigint PRIMARY KEY, device text, value int).
 */
export async function createTotalsTable(name: string, contactPoint = CONTACT_POINT): Promise<string> {
  const c = await cql(contactPoint);
  await c.execute(`CREATE KEYSPACE IF NOT EXISTS ${KEYSPACE} WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}`);
  await c.execute(`CREATE TABLE IF NOT EXISTS ${KEYSPACE}.${name} (device text PRIMARY KEY, total bigint, n bigint)`);
  await c.execute(`CREATE TABLE IF NOT EXISTS ${KEYSPACE}.${name}_ev (seq bigint PRIMARY KEY, device text, value int)`);
  return name;
}

export async function dropTable(name: string, contactPoint = CONTACT_POINT): Promise<void> {
  const c = await cql(contactPoint);
  for (const t of [name, `${name}_ev`]) await c.execute(`DROP TABLE IF EXISTS ${KEYSPACE}.${t}`).catch(() => {});
}

/** The events table of `name` as seq -> `device:value`. */
export async function readEvents(name: string, contactPoint = CONTACT_POINT): Promise<Map<number, string>> {
  const c = await cql(contactPoint);
  const out = new Map<number, string>();
  const rs = await c.execute(`SELECT seq, device, value FROM ${KEYSPACE}.${name}_ev`, [], { fetchSize: 100_000, consistency: 5 });
  for (const r of rs.rows) out.set(Number(r.seq), `${r.device}:${Number(r.value)}`);
  return out;
}

/** What the events table holds after a fault-free run of `count` records over `keys` devices. */
export function referenceEvents(count: number, keys: number): Map<number, string> {
  const out = new Map<number, string>();
  for (let i = 0; i < count; i++) out.set(i, `d${i % keys}:${i % 7}`);
  return out;
}

/** The totals table as { device: [total, n] }, read at consistency ALL. */
export async function readTotals(name: string, contactPoint = CONTACT_POINT): Promise<Record<string, [number, number]>> {
  const c = await cql(contactPoint);
  const out: Record<string, [number, number]> = {};
  const rs = await c.execute(`SELECT device, total, n FROM ${KEYSPACE}.${name}`, [], { fetchSize: 100_000, consistency: 5 });
  for (const r of rs.rows) out[r.device as string] = [Number(r.total), Number(r.n)];
  return out;
}

/** What the keyed-totals fixture leaves in its table after `count` records over `keys` devices, computed plainly. */
export function referenceTotals(count: number, keys: number): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (let i = 0; i < count; i++) {
    const d = `d${i % keys}`;
    const [t, n] = out[d] ?? [0, 0];
    out[d] = [t + (i % 7), n + 1];
  }
  return out;
}

/** Sum of n over the table: how many records have reached it so far. */
export async function recordsIn(name: string, contactPoint = CONTACT_POINT): Promise<number> {
  return Object.values(await readTotals(name, contactPoint)).reduce((s, [, n]) => s + n, 0);
}

/** Polls `cond` until true (a query that throws, e.g. Cassandra still down, counts as false). */
export function waitFor(cond: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs = 60_000, everyMs = 100): Promise<void> {
  return pollUntil(() => Promise.resolve().then(cond).catch(() => false), what, timeoutMs, everyMs);
}

export type { CliRun };

const children: CliRun[] = [];
/** `node dist/bundle/cli.js ...args` (the real CLI process); killed by cleanup() if still running. */
export function weir(args: string[], env: Record<string, string | undefined> = {}): CliRun {
  const run = spawnCli(args, env);
  children.push(run);
  return run;
}

/** Kill leftover CLI processes, close clients. */
export async function cleanup(): Promise<void> {
  for (const r of children.splice(0)) await killIfRunning(r);
  for (const c of clients.values()) await c.shutdown().catch(() => {});
  clients.clear();
}
