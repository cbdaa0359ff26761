/**
 * The Cassandra sink's pure parts: statement reading (what is safe to
 * replay), the write plan (batches per partition, last row per key), the
 * in-flight window and write timestamps. No Cassandra needed.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import cassandraDriver from 'cassandra-driver';
import { bindVariables, typeName } from '../../../connectors/cassandra/bind-variables.js';
import { parseStatement } from '../../../connectors/cassandra/statement.js';
import { planWrites, type Row } from '../../../connectors/cassandra/write-plan.js';
import { InflightWindow } from '../../../connectors/cassandra/window.js';
import { MonotonicMicros } from '../../../connectors/cassandra/timestamps.js';
import { isRetriable } from '../../../connectors/cassandra/retry.js';

describe('parseStatement', () => {
  it('reads the table, keyspace and INSERT columns', () => {
    expect(parseStatement('INSERT INTO ks.Readings (device, "Total") VALUES (?, ?)', 'w')).toEqual({ kind: 'insert', keyspace: 'ks', table: 'readings', columns: ['device', 'Total'], unsafe: undefined });
    expect(parseStatement('UPDATE t USING TTL 60 SET a = ?, m[?] = ? WHERE k = ?', 'w')).toMatchObject({ kind: 'update', table: 't', unsafe: undefined });
    expect(parseStatement('DELETE FROM t WHERE k = ?;', 'w')).toMatchObject({ kind: 'delete', table: 't', unsafe: undefined });
  });
  it('names what is not safe to replay', () => {
    expect(parseStatement('UPDATE t SET hits = hits + ? WHERE k = ?', 'w').unsafe).toMatchObject({ reason: 'counter-or-append', selfUpdated: ['hits'] });
    expect(parseStatement('UPDATE t SET l = ? + l WHERE k = ?', 'w').unsafe?.reason).toBe('prepend');
    expect(parseStatement('INSERT INTO t (k, id) VALUES (?, uuid())', 'w').unsafe?.reason).toBe('non-deterministic');
    expect(parseStatement('INSERT INTO t (k) VALUES (?) IF NOT EXISTS', 'w').unsafe?.reason).toBe('lwt');
    expect(parseStatement('UPDATE t SET a = ? WHERE k = ? IF a = ?', 'w').unsafe?.reason).toBe('lwt');
    // inside a string literal, nothing counts
    expect(parseStatement("INSERT INTO t (k, note) VALUES (?, 'IF NOT EXISTS now()')", 'w').unsafe).toBeUndefined();
  });
  it('refuses what is not one write', () => {
    expect(() => parseStatement('SELECT * FROM t', 'w')).toThrow(/must start with INSERT INTO, UPDATE or DELETE/);
    expect(() => parseStatement('BEGIN BATCH INSERT INTO t (k) VALUES (?); APPLY BATCH', 'w')).toThrow(/ONE INSERT/);
    expect(() => parseStatement(42, 'w')).toThrow(/statement must be a CQL INSERT/);
  });
});

describe('bindVariables (statement + table schema, as the prepared metadata would give them)', () => {
  const { dataTypes } = cassandraDriver.types;
  const table = {
    columns: [
      { name: 'device', type: { code: dataTypes.varchar } },
      { name: 'seq', type: { code: dataTypes.int } },
      { name: 'Total', type: { code: dataTypes.bigint } },
      { name: 'tags', type: { code: dataTypes.set, info: { code: dataTypes.varchar } } },
      { name: 'm', type: { code: dataTypes.map, info: [{ code: dataTypes.varchar }, { code: dataTypes.int }], options: { frozen: true } } },
    ],
  };
  const names = (cql: string) => {
    const r = bindVariables(cql, table);
    return 'variables' in r ? r.variables.map((v) => `${v.name} ${typeName(v.type, dataTypes as unknown as Record<string, unknown>)}`) : r;
  };
  it('places each ? on its column, in marker order, with cqlsh type names', () => {
    expect(names('INSERT INTO ks.t (device, seq, "Total") VALUES (?, ?, ?)')).toEqual(['device text', 'seq int', 'Total bigint']);
    expect(names("INSERT INTO t (device, seq, \"Total\") VALUES (?, 3, ?) USING TTL ? AND TIMESTAMP ?;")).toEqual(['device text', 'Total bigint', '[ttl] int', '[timestamp] bigint']);
    expect(names('UPDATE t USING TTL ? SET tags = tags + ?, m = ? WHERE device = ? AND seq IN (?, ?)')).toEqual(['[ttl] int', 'tags set<text>', 'm frozen<map<text, int>>', 'device text', 'seq int', 'seq int']);
    expect(names('DELETE FROM t USING TIMESTAMP ? WHERE device = ? AND seq >= ?')).toEqual(['[timestamp] bigint', 'device text', 'seq int']);
    expect(names("INSERT INTO t (device, seq) VALUES ('a?', ?) -- a comment ?")).toEqual(['seq int']);
  });
  it('a marker it cannot place gives unknown (values then go unchecked); a column the table lacks is named', () => {
    expect(names('UPDATE t SET m[?] = ? WHERE device = ?')).toEqual({ unknown: 'm[?] = ?' });
    expect(names('DELETE FROM t WHERE device IN ?')).toEqual({ unknown: 'device IN ?' });
    expect(names('INSERT INTO t (device, seq) VALUES (?, blobAsInt(?))')).toEqual({ unknown: 'blobAsInt(?)' });
    expect(names('INSERT INTO t (device) VALUES (:d)')).toEqual({ unknown: 'named markers (:name)' });
    expect(names('INSERT INTO t (device, nope) VALUES (?, ?)')).toEqual({ missingColumn: 'nope' });
    expect(names('UPDATE t SET total = ? WHERE device = ?')).toEqual({ missingColumn: 'total' }); // unquoted: lower-cased, as Cassandra reads it
  });
});

describe('planWrites', () => {
  const row = (p: string | undefined, k: string | undefined, v: number): Row<number> => ({ record: v, params: [v], partition: p, primary: k === undefined ? undefined : `${p}/${k}` });

  it('property: every primary key keeps exactly its last row; batches hold one partition, at most maxBatch rows', () => {
    let batched = 0;
    let deduped = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ p: fc.integer({ min: 0, max: 4 }), k: fc.integer({ min: 0, max: 6 }), unkeyed: fc.boolean() }), { maxLength: 80, size: 'max' }),
        fc.integer({ min: 2, max: 8 }),
        (spec, maxBatch) => {
          const rows = spec.map((s, i) => (s.unkeyed ? row(undefined, undefined, i) : row(`p${s.p}`, `k${s.k}`, i)));
          const units = planWrites(rows, maxBatch);
          const sent = units.flat();
          for (const u of units) {
            expect(u.length).toBeLessThanOrEqual(maxBatch);
            if (u.length > 1) {
              batched++;
              expect(new Set(u.map((r) => r.partition)).size).toBe(1);
              expect(new Set(u.map((r) => r.primary)).size).toBe(u.length);
            }
          }
          // rows without a key all go out, alone
          expect(sent.filter((r) => r.primary === undefined).length).toBe(rows.filter((r) => r.primary === undefined).length);
          // each keyed primary key: exactly its last row
          const last = new Map<string, number>();
          for (const r of rows) if (r.primary) last.set(r.primary, r.record);
          const got = sent.filter((r) => r.primary);
          expect(new Map(got.map((r) => [r.primary!, r.record]))).toEqual(last);
          expect(got.length).toBe(last.size);
          if (got.length < rows.filter((r) => r.primary).length) deduped++;
        },
      ),
      { numRuns: 300 },
    );
    expect(batched).toBeGreaterThan(50);
    expect(deduped).toBeGreaterThan(50);
  });

  it('maxBatch 1 sends every row alone, none dropped (counters, appends)', () => {
    const rows = [row('a', 'x', 1), row('a', 'x', 2), row('a', 'y', 3)];
    expect(planWrites(rows, 1).map((u) => u.map((r) => r.record))).toEqual([[1], [2], [3]]);
  });
});

describe('InflightWindow', () => {
  it('bounds requests in flight; idle() settles when none is left', async () => {
    const w = new InflightWindow(2);
    expect(w.acquire()).toBeUndefined();
    expect(w.acquire()).toBeUndefined();
    let third = false;
    void w.acquire()!.then(() => (third = true));
    let idle = false;
    void w.idle().then(() => (idle = true));
    w.release();
    await Promise.resolve();
    expect(third).toBe(true);
    expect(w.size).toBe(2);
    w.release();
    w.release();
    await Promise.resolve();
    expect(idle).toBe(true);
    expect(() => w.release()).toThrow(/bug:/);
  });
});

describe('MonotonicMicros and retries', () => {
  it('timestamps strictly increase even when the clock stands still or steps back', () => {
    const times = [1000, 1000, 999, 1001];
    const m = new MonotonicMicros(() => times.shift() ?? 1001);
    const ts = [m.next(), m.next(), m.next(), m.next()];
    expect(ts).toEqual([1_000_000, 1_000_001, 1_000_002, 1_001_000]);
  });
  it('retries unreachable, timeouts and unavailable; not invalid queries or bad values', () => {
    const e = (name: string, code?: number) => Object.assign(new Error('x'), { name, code });
    expect(isRetriable(e('NoHostAvailableError'))).toBe(true);
    expect(isRetriable(e('OperationTimedOutError'))).toBe(true);
    expect(isRetriable(e('ResponseError', 0x1100))).toBe(true);
    expect(isRetriable(e('ResponseError', 0x1000))).toBe(true);
    expect(isRetriable(e('ResponseError', 0x2200))).toBe(false);
    expect(isRetriable(new TypeError('Not a valid bigint'))).toBe(false);
  });
});
