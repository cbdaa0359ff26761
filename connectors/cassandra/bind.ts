/**
 * A record's `params(record)` checked against the prepared statement's bind
 * variables: count, and the key columns encoded (their bytes group rows by
 * partition). A value the driver cannot encode is reported with the
 * operator, the record and the column, not as the driver's bare TypeError.
 */
import { preview, WeirError } from '../../actors/errors.js';
import type { BindColumn, Prepared } from './session.js';
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

function columnError(w: Where, columns: BindColumn[], record: unknown, i: number, value: unknown, err: unknown): WeirError {
  const c = columns[i];
  return paramsError(
    w,
    record,
    `column '${c.name}' (bind variable ${i + 1}, type ${c.typeName}) cannot take ${preview(value, 60)} (${value === null ? 'null' : typeof value}): ${(err as Error).message}. Fix: params(record) must give a ${c.typeName} for '${c.name}'`,
    c.name,
  );
}

function keyOf(enc: Encoder, columns: BindColumn[], params: unknown[], idx: number[] | undefined, w: Where, record: unknown): string | undefined {
  if (!idx) return undefined;
  let key = '';
  for (const i of idx) {
    let bytes: Buffer | null | undefined;
    try {
      bytes = enc.encode(params[i], columns[i].type);
    } catch (err) {
      throw columnError(w, columns, record, i, params[i], err);
    }
    if (bytes === null || bytes === undefined) throw paramsError(w, record, `key column '${columns[i].name}' is ${params[i] === null ? 'null' : 'undefined'}. Fix: params(record) must give every key column a value`, columns[i].name);
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
  const columns = p.columns;
  if (!Array.isArray(values)) throw paramsError(w, record, `params(record) gave ${preview(values, 60)} (not an array). Fix: return one value per ? marker, in order`);
  // Bind variables not read up front (an unusual statement form): the driver checks the values, the row goes alone.
  if (!columns) return { record, params: values };
  if (values.length !== columns.length) {
    throw paramsError(w, record, `params(record) gave ${values.length} value(s), the statement binds ${columns.length}: ${columns.map((c) => `${c.name} ${c.typeName}`).join(', ')}. Fix: return one value per ? marker, in order`);
  }
  const partition = keyOf(enc, columns, values, p.partitionKey, w, record);
  const primary = partition === undefined ? undefined : keyOf(enc, columns, values, p.primaryKey, w, record);
  return { record, params: values, partition, primary };
}

/**
 * After the driver refused a request for a value (a TypeError while
 * encoding): find the record and column to blame, or wrap the driver's message.
 */
export function diagnose<T>(rows: readonly Row<T>[], p: Prepared, enc: Encoder, w: Where, err: unknown): WeirError {
  const columns = p.columns ?? [];
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) {
      try {
        enc.encode(row.params[i], columns[i].type);
      } catch (e) {
        return columnError(w, columns, row.record, i, row.params[i], e);
      }
    }
  }
  return paramsError(w, rows[0]?.record, `Cassandra refused the write: ${(err as Error).message}${rows.length > 1 ? ` (an unlogged batch of ${rows.length} rows of one partition)` : ''}`);
}
