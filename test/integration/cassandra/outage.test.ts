/**
 * Cassandra stopped (SIGTERM) and started again mid-job, on a private node
 * of its own (127.0.0.1:19042, its own directory) so the shared node other
 * test files use stays up: writes retry with backoff, checkpoints taken
 * while it is down are declined (the sink's barrier waits for its writes),
 * the job goes on when it returns without a failover, and nothing is lost:
 * both tables equal the fault-free result.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { startPrivateCassandra, stopPrivateCassandra, type PrivateNode } from '../../services/cassandra.mjs';
import { cleanup, createTotalsTable, readEvents, readTotals, recordsIn, referenceEvents, referenceTotals, sleep, TOTALS_JOB, unique, waitFor } from './helpers.js';

const COUNT = 8000;
const KEYS = 40;

describe('cassandra.sink while Cassandra stops and starts mid-job (private real node)', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-cass-node-'));
  let node: PrivateNode | undefined;
  beforeAll(async () => {
    node = await startPrivateCassandra({ dir, timeoutMs: 240_000 });
  }, 300_000);
  afterAll(async () => {
    delete process.env.WEIR_CASS;
    await cleanup();
    await stopPrivateCassandra(node?.pid, { signal: 'SIGKILL' });
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('checkpoints are declined while it is down, the job goes on when it returns, nothing lost', { timeout: 400_000 }, async () => {
    const contactPoint = node!.contactPoint;
    const table = await createTotalsTable(unique('outage'), contactPoint);
    process.env.WEIR_CASS = JSON.stringify({ table, count: COUNT, keys: KEYS, rate: 800, contactPoints: contactPoint });
    const handle = run(TOTALS_JOB, { workers: 2, parallelism: 2, checkpointInterval: 300, checkpointTimeout: 3000, logLevel: 'silent' });
    let failed: unknown;
    handle.done.catch((e) => (failed = e));
    await waitFor(async () => (await recordsIn(table, contactPoint)) >= COUNT * 0.2, () => `20% of the records in the table (job: ${String(failed)})`, 120_000, 200);
    const before = handle.metrics()?.checkpoints;
    await cleanup(); // the test's own client: reconnects after the restart
    await stopPrivateCassandra(node!.pid, { signal: 'SIGTERM' });
    await sleep(4000); // down long enough for checkpoints (timeout 3 s) to be declined
    node = await startPrivateCassandra({ dir, port: node!.port, timeoutMs: 240_000 });
    const result = await handle.done;
    expect(result.restarts).toBe(0); // no failover: the sink waited for Cassandra
    expect(result.checkpoints.failed).toBeGreaterThan(before?.failed ?? 0);
    expect(result.checkpoints.completed).toBeGreaterThan(before?.completed ?? 0);
    expect(await readTotals(table, contactPoint)).toEqual(referenceTotals(COUNT, KEYS));
    expect(await readEvents(table, contactPoint)).toEqual(referenceEvents(COUNT, KEYS));
  });
});
