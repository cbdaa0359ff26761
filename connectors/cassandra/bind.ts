/**
 * A record's `params(record)` checked against the prepared statement's bind
 * variables: count, and the key columns encoded (their bytes group rows by
 * partition). A value the driver cannot encode is reported with the
 * operator, the record and the column, not as the driver's bare TypeError.
 */
import { preview, WeirError } from '../../actors/errors.js';
import type { Prepared } from './session.js';
import type { Row } from './write-plan.js';

export interface Encoder {
  encode(value: unknown, type: unknown): Buffer | null | undefined;
}

export interface Where {
  operator: string;
  instance: number;
}

export function paramsError(w: Where, record: unknown, message: string, column?: string): WeirError {
  return new WeirError('CASSANDRA_BAD_PARAMS', `cassandra.sink '${w.operator}' (instance ${w.instance}) on record ${preview(record)}: ${message}`, {
    context: { operator: w.operator, instance: w.instance, record, column },
  });
}

function columnError(w: Where, p: Prepared, record: unknown, i: number, value: unknown, err: unknown): WeirError {
  const c = p.columns[i];
  return paramsError(
    w,
    record,
    `column '${c.name}' (bind variable ${i + 1}, type ${c.typeName}) cannot take ${preview(value, 60)} (${value === null ? 'null' : typeof value}): ${(err as Error).message}. Fix: params(record) must give a ${c.typeName} for '${c.name}'`,
    c.name,
  );
}

function keyOf(enc: Encoder, p: Prepared, params: unknown[], idx: number[] | undefined, w: Where, record: unknown): string | undefined {
  if (!idx) return undefined;
  let key = '';
  for (const i of idx) {
    let bytes: Buffer | null | undefined;
    try {
      bytes = enc.encode(params[i], p.columns[i].type);
    } catch (err) {
      throw columnError(w, p, record, i, params[i], err);
    }
    if (bytes === null || bytes === undefined) throw paramsError(w, record, `key column '${p.columns[i].name}' is ${params[i] === null ? 'null' : 'undefined'}. Fix: params(record) must give every key column a value`, p.columns[i].name);
    key += `${bytes.length}:${bytes.toString('latin1')}`;
  }
  return key;
}

export function bindRow<T>(record: T, params: (r: T) => unknown[], p: Prepared, enc: Encoder, w: Where): Row<T> {
  let values: unknown[];
  try {
    values = params(record);
  } catch (err) {
    throw new WeirError('USER_FUNCTION_FAILED', `cassandra.sink '${w.operator}' (instance ${w.instance}): params threw on record ${preview(record)}: ${(err as Error).message}`, { context: { ...w, record }, cause: err });
  }
  if (!Array.isArray(values) || values.length !== p.columns.length) {
    const got = Array.isArray(values) ? `${values.length} value(s)` : `${preview(values, 60)} (not an array)`;
    throw paramsError(w, record, `params(record) gave ${got}, the statement binds ${p.columns.length}: ${p.columns.map((c) => `${c.name} ${c.typeName}`).join(', ')}. Fix: return one value per ? marker, in order`);
  }
  const partition = keyOf(enc, p, values, p.partitionKey, w, record);
  const primary = partition === undefined ? undefined : keyOf(enc, p, values, p.primaryKey, w, record);
  return { record, params: values, partition, primary };
}

/**
 * After the driver refused a request for a value (a TypeError while
 * encoding): find the record and column to blame, or wrap the driver's message.
 */
export function diagnose<T>(rows: readonly Row<T>[], p: Prepared, enc: Encoder, w: Where, err: unknown): WeirError {
  for (const row of rows) {
    for (let i = 0; i < p.columns.length; i++) {
      try {
        enc.encode(row.params[i], p.columns[i].type);
      } catch (e) {
        return columnError(w, p, row.record, i, row.params[i], e);
      }
    }
  }
  return paramsError(w, rows[0]?.record, `Cassandra refused the write: ${(err as Error).message}${rows.length > 1 ? ` (an unlogged batch of ${rows.length} rows of one partition)` : ''}`);
}
