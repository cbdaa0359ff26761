/**
 * Property (real Cassandra, real worker threads): for random inputs (record
 * count, number of keys, pace) and random faults injected for real (a user
 * function that throws, a worker thread that exits, after k records), the
 * tables after the faulty run equal the fault-free reference: each device's
 * final total, and every record's own row.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { cleanup, createTotalsTable, dropTable, readEvents, readTotals, referenceEvents, referenceTotals, TOTALS_JOB, unique } from './helpers.js';

describe('cassandra.sink: table after a faulty run equals the reference (property, real threads)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-cass-prop-'));
  const tables: string[] = [];
  afterAll(async () => {
    delete process.env.WEIR_CASS;
    for (const t of tables) await dropTable(t);
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('holds for random inputs and fault schedules', { timeout: 400_000 }, async () => {
    const stats = { runs: 0, faultsFired: 0, restarts: 0, records: 0 };
    const input = fc.record({
      count: fc.integer({ min: 200, max: 3000 }),
      keys: fc.integer({ min: 1, max: 80 }),
      rate: fc.constantFrom(2000, 5000, 20_000),
      faults: fc.array(fc.record({ kind: fc.constantFrom('throw' as const, 'exit' as const), atFraction: fc.double({ min: 0.05, max: 0.9, noNaN: true }) }), { minLength: 1, maxLength: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(input, async ({ count, keys, rate, faults }) => {
        const n = stats.runs++;
        const table = await createTotalsTable(unique(`prop${n}`));
        tables.push(table);
        const injected = faults.map((f, i) => ({ kind: f.kind, at: Math.max(1, Math.floor(count * f.atFraction)), marker: path.join(dir, `${table}-${i}`) }));
        process.env.WEIR_CASS = JSON.stringify({ table, count, keys, rate, faults: injected });
        const result = await run(TOTALS_JOB, {
          workers: 2,
          parallelism: 2,
          checkpointInterval: 100,
          logLevel: 'silent',
          heartbeatIntervalMs: 100,
          restart: { maxRestarts: 10, withinMs: 60_000, backoff: { initialMs: 10, maxMs: 200 } },
        }).done;
        stats.restarts += result.restarts;
        stats.faultsFired += injected.filter((f) => existsSync(f.marker)).length;
        stats.records += count;
        expect(await readTotals(table)).toEqual(referenceTotals(count, keys));
        expect(await readEvents(table)).toEqual(referenceEvents(count, keys));
      }),
      { numRuns: Number(process.env.CASS_PROP_RUNS ?? 6), seed: process.env.CASS_PROP_SEED === undefined ? undefined : Number(process.env.CASS_PROP_SEED) },
    );
    console.log(`cassandra property: ${JSON.stringify(stats)}`);
    // It exercised faults for real: some fired and made the job restart.
    expect(stats.faultsFired).toBeGreaterThan(0);
    expect(stats.restarts).toBeGreaterThan(0);
  });
});
