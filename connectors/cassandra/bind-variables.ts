/**
 * The bind variables of a write statement, read from its text and the
 * table's schema (pure): which column each `?` marker binds, in order.
 *
 * Why not the prepared statement's metadata: cassandra-driver 4 prepares
 * lazily inside execute() and keeps that metadata private (no public
 * prepare()), while the sink needs the names and types up front to check
 * `params(record)` and to group rows by partition key. The table's schema is
 * public (`client.metadata.getTable`), and for the statements a sink runs
 * the mapping from markers to columns is plain:
 *
 *   INSERT INTO t (a, b, c) VALUES (?, ?, 3) [USING TTL ? [AND TIMESTAMP ?]]
 *   UPDATE t [USING ...] SET a = ?, n = n + ?, l = ? + l WHERE k = ? AND c IN (?, ?)
 *   DELETE [a, b] FROM t [USING TIMESTAMP ?] WHERE k = ? AND c >= ?
 *
 * A marker this reader cannot place (`m[?] = ?`, `k IN ?`, a function
 * argument, JSON, named markers) gives `unknown`: the sink then sends the
 * values unchecked and every row alone, and the driver reports what is
 * wrong. A column the table lacks is an error, as Cassandra's would be.
 */
import { splitTop, strip, unquote } from './statement.js';

/** A column type as the driver's schema metadata gives it (code + info). */
export interface ColumnType {
  code: number;
  info?: unknown;
  options?: { frozen?: boolean; reversed?: boolean };
}

/** What the reader needs of a table: its columns' types. */
export interface TableShape {
  columns: { name: string; type: ColumnType }[];
}

export interface BindVariable {
  /** The column bound, or Cassandra's names for the USING values: '[ttl]', '[timestamp]'. */
  name: string;
  type: ColumnType;
}

export type BindVariables = { variables: BindVariable[] } | { unknown: string } | { missingColumn: string };

/** The driver's type codes this file uses (cassandra-driver `types.dataTypes`, CQL protocol section 6). */
const INT = 0x0009;
const BIGINT = 0x0002;

const NAME = String.raw`(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_]*)`;
const TABLE = String.raw`${NAME}(?:\.${NAME})?`;
const INSERT = new RegExp(String.raw`^INSERT\s+INTO\s+${TABLE}\s*\(([^)]*)\)\s*VALUES\s*\(([\s\S]*)\)\s*(?:USING\s+([\s\S]*))?$`, 'i');
const UPDATE = new RegExp(String.raw`^UPDATE\s+${TABLE}\s+(?:USING\s+([\s\S]*?)\s+)?SET\s+([\s\S]*?)\s+WHERE\s+([\s\S]*)$`, 'i');
const DELETE = new RegExp(String.raw`^DELETE\s*([\s\S]*?)\s*FROM\s+${TABLE}\s*(?:USING\s+([\s\S]*?)\s+)?WHERE\s+([\s\S]*)$`, 'i');
const RELATION = new RegExp(String.raw`^(${NAME})\s*(?:=|<=|>=|<|>|!=)\s*\?$`);
const IN_LIST = new RegExp(String.raw`^(${NAME})\s+IN\s*\(([\s\S]*)\)$`, 'i');

class Unknown extends Error {}
class Missing extends Error {}

const markers = (text: string) => (text.match(/\?/g) ?? []).length;

/** Read the bind variables of `cql` (already accepted by parseStatement) against `table`. */
export function bindVariables(cql: string, table: TableShape): BindVariables {
  const text = strip(cql);
  if (/:[A-Za-z_]/.test(text)) return { unknown: 'named markers (:name)' };
  const columns = new Map(table.columns.map((c) => [c.name, c.type]));
  const column = (raw: string): BindVariable => {
    const name = unquote(raw.trim());
    const type = columns.get(name);
    if (!type) throw new Missing(name);
    return { name, type };
  };
  const vars: BindVariable[] = [];
  const using = (clause: string | undefined) => {
    if (!clause) return;
    for (const part of clause.split(/\s+AND\s+/i)) {
      const m = /^(TTL|TIMESTAMP)\s+(\S+)$/i.exec(part.trim());
      if (!m) throw new Unknown(`USING ${part.trim()}`);
      if (m[2] === '?') vars.push(m[1].toUpperCase() === 'TTL' ? { name: '[ttl]', type: { code: INT } } : { name: '[timestamp]', type: { code: BIGINT } });
    }
  };
  const where = (clause: string) => {
    for (const part of clause.split(/\s+AND\s+/i).map((p) => p.trim())) {
      if (!part.includes('?')) continue;
      const rel = RELATION.exec(part);
      if (rel) {
        vars.push(column(rel[1]));
        continue;
      }
      const inList = IN_LIST.exec(part);
      if (inList && splitTop(inList[2]).every((v) => v === '?' || !v.includes('?'))) {
        for (const v of splitTop(inList[2])) if (v === '?') vars.push(column(inList[1]));
        continue;
      }
      throw new Unknown(part);
    }
  };
  try {
    let m: RegExpExecArray | null;
    if ((m = INSERT.exec(text))) {
      const cols = splitTop(m[1]);
      const values = splitTop(m[2]);
      if (cols.length !== values.length) throw new Unknown(`${cols.length} column(s) but ${values.length} value(s)`);
      values.forEach((v, i) => {
        if (v === '?') vars.push(column(cols[i]));
        else if (v.includes('?')) throw new Unknown(v);
      });
      using(m[3]);
    } else if ((m = UPDATE.exec(text))) {
      using(m[1]);
      for (const a of splitTop(m[2])) {
        if (!a.includes('?')) continue;
        const eq = a.indexOf('=');
        const col = eq < 0 ? '' : a.slice(0, eq).trim();
        const rhs = eq < 0 ? '' : a.slice(eq + 1).replace(/\s+/g, '');
        const self = col.replace(/\s+/g, '');
        // c = ?, c = c + ?, c = c - ?, c = ? + c: the marker binds c's type (counter delta, collection, value)
        if (new RegExp(String.raw`^${NAME}$`).test(col) && (rhs === '?' || rhs === `${self}+?` || rhs === `${self}-?` || rhs === `?+${self}`)) vars.push(column(col));
        else throw new Unknown(a);
      }
      where(m[3]);
    } else if ((m = DELETE.exec(text))) {
      if (m[1].includes('?')) throw new Unknown(m[1]);
      using(m[2]);
      where(m[3]);
    } else {
      return { unknown: 'a statement form this reader does not know' };
    }
  } catch (err) {
    if (err instanceof Missing) return { missingColumn: err.message };
    if (err instanceof Unknown) return { unknown: err.message };
    throw err;
  }
  // Every marker placed, none twice: otherwise the reading is wrong, and unchecked is safer than wrong.
  if (vars.length !== markers(text)) return { unknown: `${markers(text)} marker(s), ${vars.length} placed` };
  return { variables: vars };
}

/**
 * A CQL type's name as cqlsh writes it (`text`, `map<text, bigint>`,
 * `frozen<list<int>>`), from the driver's public `types.dataTypes` codes.
 */
export function typeName(type: ColumnType, dataTypes: Record<string, unknown>): string {
  const names = new Map<number, string>();
  for (const [name, code] of Object.entries(dataTypes)) if (typeof code === 'number' && !names.has(code)) names.set(code, name === 'varchar' ? 'text' : name);
  names.set(0x000d, 'text'); // varchar is text's alias: cqlsh writes text
  const name = (t: ColumnType): string => {
    const info = t.info as unknown;
    let s: string;
    switch (names.get(t.code)) {
      case 'list':
      case 'set':
        s = `${names.get(t.code)}<${name(info as ColumnType)}>`;
        break;
      case 'map':
        s = `map<${(info as ColumnType[]).map(name).join(', ')}>`;
        break;
      case 'tuple':
        s = `tuple<${(info as ColumnType[]).map(name).join(', ')}>`;
        break;
      case 'udt':
        s = String((info as { name?: string } | undefined)?.name ?? 'udt');
        break;
      case 'custom':
        s = `'${String(info)}'`;
        break;
      default:
        s = names.get(t.code) ?? `type 0x${t.code.toString(16)}`;
    }
    return t.options?.frozen ? `frozen<${s}>` : s;
  };
  return name(type);
}
