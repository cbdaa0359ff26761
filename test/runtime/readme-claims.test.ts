/**
 * README claims on real worker threads and a real CLI process:
 * - "Workers compare a fingerprint of the graph with the coordinator's and
 *   refuse to run a topology that built differently";
 * - `broadcast()`: every record to every instance of the next operator;
 * - "SIGINT/SIGTERM drain the job ...; a second signal stops it at once".
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from 'weir';
import { CLI, fixture, spawnNode, waitFor } from '../supervision/recovery/helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('README claims', () => {
  it('workers refuse a topology whose fingerprint differs from the coordinator\'s, naming the fix', async () => {
    const err = await run(fixture('nondeterministic-build.ts'), { workers: 2, metricsIntervalMs: 0, logLevel: 'silent' }).done.then(
      () => undefined,
      (e) => e,
    );
    expect(err, 'the job must not run').toBeDefined();
    expect(err.code).toBe('JOB_LOAD_FAILED');
    expect(err.message).toMatch(/topology 'nondeterministic-build' built differently in worker \d than in the coordinator \(fingerprint \S+ != \S+\)\. Fix: make the build function deterministic/);
  });

  it('broadcast() delivers every record to every instance of the next operator, once, across two workers', async () => {
    const result = await run(fixture('broadcast.ts'), { workers: 2, metricsIntervalMs: 0 }).done;
    const want = [0, 1, 2].flatMap((i) => Array.from({ length: 500 }, (_, r) => `${i}:r${r}`)).sort();
    expect([...(result.outputs.out as string[])].sort()).toEqual(want);
    // The three instances really run on both workers.
    const tag = result.metrics.operators.find((o) => o.operator === 'tag')!;
    expect(new Set(tag.instances.map((i) => i.worker))).toEqual(new Set([0, 1]));
    expect(tag.instances.map((i) => i.recordsIn)).toEqual([500, 500, 500]);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)('a second %s stops the CLI at once, while the first one\'s drain cannot finish', { timeout: 90_000 }, async (sig) => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weir-signal-'));
    dirs.push(dir);
    const marker = path.join(dir, 'stuck');
    const child = spawnNode([CLI, 'run', fixture('stuck-sink.ts'), '--workers', '2', '--state', 'memory', '--no-status'], { WEIR_STUCK_MARKER: marker }, 60_000);
    let stderr = '';
    child.child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    // The sink holds records it will never finish writing: a drain cannot end.
    await waitFor(() => existsSync(marker), 'the sink to be stuck', 45_000);
    child.child.kill(sig);
    await waitFor(() => stderr.includes(`${sig}, draining (again to stop at once)`), 'the drain to start', 20_000);
    child.child.kill(sig);
    // Without the second signal the process would never exit by itself (spawnNode SIGKILLs it after 60 s).
    const exit = await child.exited;
    expect(exit.signal, exit.stderr).toBeNull();
    expect(exit.code).toBe(1);
    expect(exit.stderr).toContain('job stopped without draining (second stop request)');
  });
});
