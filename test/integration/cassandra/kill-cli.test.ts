/**
 * Effectively-once under kill -9 of the whole `weir run` (the CLI process,
 * node dist/bundle/cli.js, with its worker threads), twice mid-job, then a
 * rerun of the same job id to the end: the Cassandra table equals what a
 * fault-free run writes (real Cassandra on 127.0.0.1:9042).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, createTotalsTable, dropTable, readEvents, readTotals, recordsIn, referenceEvents, referenceTotals, TOTALS_JOB, unique, waitFor, weir } from './helpers.js';

const COUNT = 12_000;
const KEYS = 50;

describe('cassandra.sink under kill -9 of the weir CLI (real Cassandra)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-cass-kill-'));
  const table = unique('killed');
  afterAll(async () => {
    await dropTable(table);
    await cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('killed twice mid-job, then resumed: the table equals the fault-free result', { timeout: 240_000 }, async () => {
    await createTotalsTable(table);
    const env = { WEIR_CASS: JSON.stringify({ table, count: COUNT, keys: KEYS, rate: 1500 }) };
    const args = ['run', TOTALS_JOB, '--workers', '2', '--parallelism', '2', '--state', `file:${path.join(dir, 'state')}`, '--checkpoint-interval', '300', '--job-id', table, '--no-status', '--log-level', 'error'];
    const progress: number[] = [];
    for (const fraction of [0.25, 0.6]) {
      const r = weir(args, env);
      await waitFor(async () => (await recordsIn(table)) >= COUNT * fraction, () => `${fraction * COUNT} records in the table; stderr: ${r.stderr()}`, 120_000, 200);
      r.child.kill('SIGKILL');
      const exit = await r.exit;
      expect(exit.signal).toBe('SIGKILL');
      progress.push(await recordsIn(table));
    }
    // Both kills landed mid-job: some but not all records had reached the table.
    expect(progress[0]).toBeLessThan(COUNT);
    expect(progress[1]).toBeLessThan(COUNT);
    const last = weir(args, env);
    const exit = await last.exit;
    expect(exit.code, last.stderr()).toBe(0);
    expect(await readTotals(table)).toEqual(referenceTotals(COUNT, KEYS));
    // every record's own row, written exactly as a fault-free run writes it: none lost, none different
    expect(await readEvents(table)).toEqual(referenceEvents(COUNT, KEYS));
  });
});
