/**
 * cassandra.sink against a real Cassandra (127.0.0.1:9042): what it writes,
 * how it groups, and every bad input named (missing keyspace/table with the
 * CQL to create it, params of the wrong count or type, an unreachable node,
 * unsafe statements).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cassandra, generator, run, topology, type SinkConnector } from 'weir';
import { cleanup, CONTACT_POINT, ROOT, TOTALS_JOB, readEvents, referenceEvents, createTotalsTable, cql, DC, dropTable, KEYSPACE, readTotals, referenceTotals, unique } from './helpers.js';

type Total = { device: string; total: number; n: number };

function totalsJob(name: string, sink: SinkConnector<Total>, count = 2000, keys = 37) {
  return topology(name, (t) =>
    t
      .source('in', generator({ count, value: (i) => ({ device: `d${i % keys}`, total: i % 7, n: 1 }) }))
      .keyBy((r: Total) => r.device)
      .reduce((a, b) => ({ device: a.device, total: a.total + b.total, n: a.n + b.n }), { name: 'totals' })
      .sink('out', sink),
  );
}

const sinkOpts = (table: string) => ({
  contactPoints: [CONTACT_POINT],
  localDataCenter: DC,
  keyspace: KEYSPACE,
  statement: `INSERT INTO ${table} (device, total, n) VALUES (?, ?, ?)`,
  params: (r: Total) => [r.device, r.total, r.n],
});

const failFast = { restart: { maxRestarts: 0, withinMs: 1000 } } as const;

describe('cassandra.sink (real Cassandra)', () => {
  beforeAll(async () => {
    await createTotalsTable(unique('warmup'));
  }, 120_000);
  afterAll(cleanup);

  it('upserts every record: the table holds the last running total of each key', async () => {
    const table = await createTotalsTable(unique('basic'));
    const r = await run(totalsJob('cass-basic', cassandra.sink(sinkOpts(table))), { workers: 0, parallelism: 2, checkpointInterval: 100, logLevel: 'silent' }).done;
    expect(r.checkpoints.completed).toBeGreaterThan(0);
    expect(await readTotals(table)).toEqual(referenceTotals(2000, 37));
  });

  it('on worker threads, parallelism 2 (the fixture job module)', async () => {
    const table = await createTotalsTable(unique('threads'));
    process.env.WEIR_CASS = JSON.stringify({ table, count: 5000, keys: 101 });
    const r = await run(TOTALS_JOB, { workers: 2, parallelism: 2, checkpointInterval: 100, logLevel: 'silent' }).done;
    expect(r.checkpoints.completed).toBeGreaterThan(0);
    expect(await readTotals(table)).toEqual(referenceTotals(5000, 101));
    expect(await readEvents(table)).toEqual(referenceEvents(5000, 101));
  });

  it('groups rows of one partition into unlogged batches and keeps the last row per key', async () => {
    const table = unique('events');
    const c = await cql();
    await c.execute(`CREATE TABLE ${KEYSPACE}.${table} (device text, seq int, v int, PRIMARY KEY (device, seq))`);
    type Ev = { device: string; seq: number; v: number };
    // 3 devices x 100 seqs, each (device, seq) written twice: the second value must win.
    const job = topology('cass-batches', (t) =>
      t
        .source('in', generator({ count: 600, value: (i) => ({ device: `d${i % 3}`, seq: Math.floor(i / 3) % 100, v: i }) }))
        .sink(
          'out',
          cassandra.sink<Ev>({ ...sinkOpts(table), statement: `INSERT INTO ${table} (device, seq, v) VALUES (?, ?, ?)`, params: (e) => [e.device, e.seq, e.v], maxBatchRows: 7, concurrency: 4 }),
        ),
    );
    await run(job, { workers: 0, logLevel: 'silent' }).done;
    const rows = (await c.execute(`SELECT device, seq, v FROM ${KEYSPACE}.${table}`, [], { fetchSize: 10_000 })).rows;
    expect(rows.length).toBe(300);
    for (const row of rows) {
      const last = [...Array(600).keys()].filter((i) => `d${i % 3}` === row.device && Math.floor(i / 3) % 100 === row.seq).pop();
      expect(row.v, `${row.device}/${row.seq}`).toBe(last);
    }
  });

  it('a missing keyspace: the error names it and gives the CREATE KEYSPACE', async () => {
    const sink = cassandra.sink({ ...sinkOpts('t'), keyspace: 'no_such_ks_weir' });
    const err = await run(totalsJob('cass-noks', sink, 10), { workers: 0, logLevel: 'silent', ...failFast }).done.catch((e) => e);
    expect(String(err.message)).toMatch(/keyspace 'no_such_ks_weir' does not exist/);
    expect(String(err.message)).toContain('CREATE KEYSPACE IF NOT EXISTS no_such_ks_weir');
  });

  it('a missing table: the error names it and gives a CREATE TABLE with the statement columns', async () => {
    await createTotalsTable(unique('ks_exists'));
    const sink = cassandra.sink(sinkOpts('no_such_table'));
    const err = await run(totalsJob('cass-notable', sink, 10), { workers: 0, logLevel: 'silent', ...failFast }).done.catch((e) => e);
    expect(String(err.message)).toMatch(/table 'weir_test.no_such_table' does not exist/);
    expect(String(err.message)).toContain('CREATE TABLE IF NOT EXISTS weir_test.no_such_table (device <type>, total <type>, n <type>, PRIMARY KEY (device))');
  });

  it('params of the wrong count: the error names the operator, the record and the bind variables', async () => {
    const table = await createTotalsTable(unique('badcount'));
    const sink = cassandra.sink<Total>({ ...sinkOpts(table), params: (r) => [r.device, r.total] });
    const err = await run(totalsJob('cass-badcount', sink, 10), { workers: 0, logLevel: 'silent', ...failFast }).done.catch((e) => e);
    const msg = String(err.message);
    expect(msg).toContain("cassandra.sink 'out'");
    expect(msg).toMatch(/on record \{"device":"d\d+"/);
    expect(msg).toContain('gave 2 value(s), the statement binds 3: device text, total bigint, n bigint');
  });

  it('a statement naming a column the table lacks: the error names the column, the table and its columns', async () => {
    const table = await createTotalsTable(unique('nocol'));
    const sink = cassandra.sink<Total>({ ...sinkOpts(table), statement: `INSERT INTO ${table} (device, totl, n) VALUES (?, ?, ?)` });
    const err = await run(totalsJob('cass-nocol', sink, 10), { workers: 0, logLevel: 'silent', ...failFast }).done.catch((e) => e);
    expect(String(err.message)).toContain(`names column 'totl', which table '${KEYSPACE}.${table}' does not have (columns: device, n, total)`);
  });

  it('a value of the wrong type: the error names the operator, the record and the column (the driver message wrapped)', async () => {
    const table = await createTotalsTable(unique('badtype'));
    const sink = cassandra.sink<Total>({ ...sinkOpts(table), params: (r) => [r.device, r.total, r.n > 3 ? true : r.n] });
    const err = await run(totalsJob('cass-badtype', sink, 200, 5), { workers: 0, logLevel: 'silent', ...failFast }).done.catch((e) => e);
    const msg = String(err.message);
    expect(msg).toContain("cassandra.sink 'out'");
    expect(msg).toContain("column 'n' (bind variable 3, type bigint) cannot take true (boolean)");
    expect(msg).toMatch(/on record \{"device":"d\d","total":\d+,"n":[4-9]/);
    // what reached the table before the bad record is intact: n never above 3
    for (const [, n] of Object.values(await readTotals(table))) expect(n).toBeLessThanOrEqual(3);
  });

  it('Cassandra unreachable at start: retries with backoff up to connectTimeoutMs, then fails naming the address', async () => {
    const sink = cassandra.sink({ ...sinkOpts('t'), contactPoints: ['127.0.0.1:19999'], connectTimeoutMs: 2500 });
    const t0 = Date.now();
    const err = await run(totalsJob('cass-down', sink, 10), { workers: 0, logLevel: 'silent', ...failFast }).done.catch((e) => e);
    expect(String(err.message)).toMatch(/cannot reach Cassandra at 127\.0\.0\.1:19999 within 2500 ms \(\d+ attempt\(s\)/);
    expect(String(err.message)).toContain('npm run cassandra:start');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2000); // it did wait (a bound, not a timing claim)
  });

  it('a counter update is refused at open with the reason, and allowed with atLeastOnce', async () => {
    const table = unique('counters');
    const c = await cql();
    await c.execute(`CREATE TABLE ${KEYSPACE}.${table} (device text PRIMARY KEY, hits counter)`);
    const opts = { ...sinkOpts(table), statement: `UPDATE ${table} SET hits = hits + ? WHERE device = ?`, params: (r: Total) => [r.n, r.device] };
    expect(() => cassandra.sink(opts)).toThrow(/counter update or a collection append; replayed after a failover it counts/);
    const lying = cassandra.sink({ ...opts, idempotent: true });
    const err = await run(totalsJob('cass-counter', lying, 10), { workers: 0, logLevel: 'silent', ...failFast }).done.catch((e) => e);
    expect(String(err.message)).toMatch(/updates a counter: a write replayed after a failover counts twice/);
    const r = await run(totalsJob('cass-counter-alo', cassandra.sink({ ...opts, params: () => [1, 'all'], atLeastOnce: true }), 50, 5), { workers: 0, logLevel: 'silent' }).done;
    expect(r.checkpoints.completed).toBeGreaterThan(0);
    const row = (await c.execute(`SELECT hits FROM ${KEYSPACE}.${table} WHERE device = 'all'`)).rows[0];
    expect(Number(row.hits)).toBe(50);
  });

  it('jobs without Cassandra never load cassandra-driver (it is imported on first open)', async () => {
    const { execFileSync } = await import('node:child_process');
    const script = `
      import { createRequire } from 'node:module';
      const { run, topology, generator, collect } = await import(${JSON.stringify(`${ROOT}dist/bundle/weir.js`)});
      const r = await run(topology('plain', (t) => t.source('in', generator({ count: 3 })).sink('out', collect())), { workers: 0, logLevel: 'silent' }).done;
      const loaded = Object.keys(createRequire(${JSON.stringify(`${ROOT}package.json`)}).cache).filter((k) => k.includes('cassandra-driver'));
      console.log(JSON.stringify({ out: r.outputs.out.length, loaded: loaded.length }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }).trim());
    expect(out).toEqual({ out: 3, loaded: 0 });
  });

  it('refuses unsafe statements at build time, naming the fix', () => {
    const base = sinkOpts('t');
    expect(() => cassandra.sink({ ...base, statement: 'INSERT INTO t (device, total, n) VALUES (?, ?, ?) IF NOT EXISTS' })).toThrow(/lightweight transaction/);
    expect(() => cassandra.sink({ ...base, statement: 'INSERT INTO t (device, total, n) VALUES (?, ?, now())' })).toThrow(/'now\(\)' gives a different value each time/);
    expect(() => cassandra.sink({ ...base, statement: 'UPDATE t SET l = ? + l WHERE device = ?' })).toThrow(/prepends to a list/);
    expect(() => cassandra.sink({ ...base, statement: 'SELECT * FROM t' })).toThrow(/must start with INSERT INTO, UPDATE or DELETE/);
    expect(() => cassandra.sink({ ...base, idempotent: false })).toThrow(/declared not idempotent/);
    expect(() => cassandra.sink({ ...base, contactPoints: [] })).toThrow(/contactPoints \[\] are invalid/);
    expect(() => cassandra.sink({ ...base, localDataCenter: '' })).toThrow(/localDataCenter is required/);
    // set add is idempotent, but weir cannot tell it from a counter by the text: the user says so
    expect(cassandra.sink({ ...base, statement: 'UPDATE t SET tags = tags + ? WHERE device = ?', idempotent: true }).guarantee).toBe('exactly-once');
    expect(cassandra.sink({ ...base }).guarantee).toBe('exactly-once');
  });

  afterAll(async () => {
    for (const t of ['basic', 'threads', 'events', 'badcount', 'badtype', 'counters', 'warmup', 'ks_exists']) await dropTable(unique(t));
  });
});
