/**
 * What a CQL write statement is, read from its text at build time (pure): its
 * table, and whether replaying it is safe.
 *
 * Effectively-once rests on replay: after a failover weir writes again every
 * record since the last completed checkpoint. That is harmless only for
 * idempotent writes, whose second application changes nothing:
 * - upserts `INSERT ... VALUES (?, ...)`, `UPDATE ... SET c = ? WHERE ...`,
 *   `DELETE ... WHERE ...` (set/map element writes and removals too);
 * - not counters (`SET n = n + ?`: replay double-counts), list appends and
 *   prepends (`l = l + ?`, `l = ? + l`), non-deterministic functions
 *   (`now()`, `uuid()`, `currentTimestamp()`...: replay writes another row),
 *   nor lightweight transactions (`IF NOT EXISTS`, `IF c = ?`: Paxos round trips
 *   on the hot path, and a replayed `IF NOT EXISTS` no longer applies).
 * `c = c + ?` is a counter, a list append or a set/map add; which one depends
 * on the column's type, so the build refuses it as possibly unsafe and `open`
 * (which knows the table) names a counter as such.
 */
import { ConfigError } from '../../actors/errors.js';

export type StatementKind = 'insert' | 'update' | 'delete';

/** Why replaying a statement may not be safe; undefined when it is an idempotent upsert. */
export interface Unsafe {
  reason: 'counter-or-append' | 'prepend' | 'non-deterministic' | 'lwt';
  /** The part of the statement that makes it so. */
  detail: string;
  /** Columns written as `c = c +/- ?` (counters, or collection adds/removes). */
  selfUpdated: string[];
}

export interface StatementInfo {
  kind: StatementKind;
  /** Keyspace named in the statement (`ks.table`), if any. */
  keyspace?: string;
  table: string;
  /** INSERT's column list (for the CREATE TABLE hint of a missing table). */
  columns?: string[];
  unsafe?: Unsafe;
}

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)`;
const QUALIFIED = new RegExp(String.raw`^(${NAME})(?:\.(${NAME}))?`);
const HEADS: [StatementKind, RegExp][] = [
  ['insert', new RegExp(String.raw`^INSERT\s+INTO\s+(${NAME}(?:\.${NAME})?)`, 'i')],
  ['update', new RegExp(String.raw`^UPDATE\s+(${NAME}(?:\.${NAME})?)`, 'i')],
  ['delete', new RegExp(String.raw`^DELETE\b[\s\S]*?\bFROM\s+(${NAME}(?:\.${NAME})?)`, 'i')],
];
const NON_DETERMINISTIC = /\b(now|uuid|currentTimestamp|currentDate|currentTime|currentTimeUUID)\s*\(\s*\)/i;
const LWT = /\bIF\s+(NOT\s+)?EXISTS\b|\bIF\s+[A-Za-z_"][\s\S]*?(=|<|>|\bIN\b|\bCONTAINS\b)/i;

/** A CQL identifier as Cassandra stores it: quoted names keep their case, others are lower-cased. */
export function unquote(name: string): string {
  return name.startsWith('"') ? name.slice(1, -1).replace(/""/g, '"') : name.toLowerCase();
}

/** Text without comments, string literals blanked (so a ',' or 'IF' inside one is not read as syntax). */
export function strip(cql: string): string {
  return cql
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(--|\/\/)[^\n]*/g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .trim()
    .replace(/;\s*$/, '');
}

/** Top-level comma-separated parts (not inside (), [], {}). */
export function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** Read a write statement; throws ConfigError naming `who` when it is not a single INSERT/UPDATE/DELETE. */
export function parseStatement(cql: unknown, who: string): StatementInfo {
  if (typeof cql !== 'string' || cql.trim() === '') {
    throw new ConfigError(`${who}: statement must be a CQL INSERT, UPDATE or DELETE with ? markers, got ${JSON.stringify(cql)}. Fix: e.g. statement: 'INSERT INTO ks.readings (device, total) VALUES (?, ?)'`, { field: 'statement' });
  }
  const text = strip(cql);
  if (/^BEGIN\b/i.test(text) || text.includes(';')) {
    throw new ConfigError(`${who}: statement must be ONE INSERT, UPDATE or DELETE (the sink groups rows into unlogged batches itself), got ${JSON.stringify(cql)}`, { field: 'statement' });
  }
  const head = HEADS.map(([kind, re]) => [kind, re.exec(text)] as const).find(([, m]) => m);
  if (!head) {
    throw new ConfigError(`${who}: statement must start with INSERT INTO, UPDATE or DELETE ... FROM, got ${JSON.stringify(cql)}. Fix: a write with ? markers, e.g. 'INSERT INTO ks.readings (device, total) VALUES (?, ?)'`, { field: 'statement' });
  }
  const [kind, m] = head;
  const q = QUALIFIED.exec(m![1])!;
  const info: StatementInfo = q[2] ? { kind, keyspace: unquote(q[1]), table: unquote(q[2]) } : { kind, table: unquote(q[1]) };
  if (kind === 'insert') {
    const cols = /^[^(]*\(([^)]*)\)/.exec(text.slice(m![0].length));
    if (cols) info.columns = splitTop(cols[1]).map(unquote);
  }
  info.unsafe = unsafety(kind, text);
  return info;
}

function unsafety(kind: StatementKind, text: string): Unsafe | undefined {
  const lwt = LWT.exec(text);
  if (lwt) return { reason: 'lwt', detail: lwt[0].trim(), selfUpdated: [] };
  const nd = NON_DETERMINISTIC.exec(text);
  if (nd) return { reason: 'non-deterministic', detail: nd[0], selfUpdated: [] };
  if (kind !== 'update') return undefined;
  const set = /\bSET\s+([\s\S]*?)\s+WHERE\b/i.exec(text);
  if (!set) return undefined;
  const selfUpdated: string[] = [];
  let first: string | undefined;
  for (const a of splitTop(set[1])) {
    const eq = a.indexOf('=');
    if (eq < 0) continue;
    const col = a.slice(0, eq).trim();
    const rhs = a.slice(eq + 1).trim();
    const c = col.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    if (new RegExp(String.raw`^\S+\s*\+\s*${c}$`, 'i').test(rhs)) return { reason: 'prepend', detail: a, selfUpdated: [unquote(col)] };
    if (new RegExp(String.raw`^${c}\s*[-+]`, 'i').test(rhs)) {
      selfUpdated.push(unquote(col));
      first ??= a;
    }
  }
  return first ? { reason: 'counter-or-append', detail: first, selfUpdated } : undefined;
}

/** Why a statement is refused, and the fix; used at build time (and at open, knowing a counter for sure). */
export function explainUnsafe(u: Unsafe, who: string, counterKnown = false): string {
  switch (u.reason) {
    case 'lwt':
      return `${who}: '${u.detail}' is a lightweight transaction (Paxos), which the sink does not run on its hot path, and a replayed conditional write no longer applies. Fix: write an idempotent upsert keyed by something the job computes (INSERT ... VALUES (?, ...) without IF)`;
    case 'non-deterministic':
      return `${who}: '${u.detail}' gives a different value each time, so a write replayed after a failover writes something else than the first time. Fix: compute the value in the job (deterministically, e.g. from the record) and bind it with ?; or, if replay is harmless for you, pass idempotent: true`;
    case 'prepend':
      return `${who}: '${u.detail}' prepends to a list, so a write replayed after a failover prepends twice. Fix: write the whole list (SET l = ?) from keyed state; or accept duplicates with idempotent: true`;
    case 'counter-or-append':
      return counterKnown
        ? `${who}: '${u.detail}' updates a counter: a write replayed after a failover counts twice, so the sink cannot be effectively-once with it. Fix: keep the running count in keyed state (reduce) and upsert the total into a bigint column; or accept over-counting after failures with atLeastOnce: true`
        : `${who}: '${u.detail}' is a counter update or a collection append; replayed after a failover it counts (or appends) twice. Fix: upsert totals computed in the job (SET total = ?); or, for a counter, accept over-counting with atLeastOnce: true; for a set/map add (idempotent), pass idempotent: true`;
  }
}
