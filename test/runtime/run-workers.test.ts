/** Integration on real worker threads: jobs run from module files, as the CLI runs them. */
import { describe, expect, it } from 'vitest';
import { run } from 'weir';
import { fileURLToPath } from 'node:url';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));

describe('run() on worker threads', () => {
  it('keys records to the instance that owns their key group, across 2 workers', async () => {
    const result = await run(fixture('keyed-count.ts'), { workers: 2, metricsIntervalMs: 0 }).done;
    const out = result.outputs.out as [string, number][];
    expect(out).toHaveLength(1000);
    const counts = new Map<string, number>();
    const owner = new Map<string, number>();
    for (const [k, inst] of out) {
      counts.set(k, (counts.get(k) ?? 0) + 1);
      if (owner.has(k)) expect(owner.get(k)).toBe(inst); // one key, one instance
      owner.set(k, inst);
    }
    for (let r = 0; r < 7; r++) expect(counts.get(`k${r}`)).toBe(Math.floor(1000 / 7) + (r < 1000 % 7 ? 1 : 0));
    expect(new Set(owner.values()).size).toBe(2); // both instances got keys
    const sink = result.metrics.operators.find((o) => o.operator === 'out')!;
    expect(sink.recordsIn).toBe(1000);
  });

  it('restarts a failing region as the strategy allows, then stops naming operator, instance and record', async () => {
    const err = await run(fixture('map-throws.ts'), { workers: 2, logLevel: 'error', restart: { maxRestarts: 2, backoff: { initialMs: 5 }, repeatedFailure: 'restart' } }).done.then(
      () => undefined,
      (e) => e,
    );
    expect(err).toBeDefined();
    expect(err.code).toBe('RESTARTS_EXHAUSTED');
    expect(err.message).toContain('failed 3 times');
    expect(err.message).toContain("operator 'measure' (instance 0)");
    expect(err.message).toContain('"Message 7"');
    expect(err.message).toContain('boom at seven');
    expect(err.cause.code).toBe('USER_FUNCTION_FAILED');
    expect(err.cause.stack).toContain('map-throws');
  });

  it("onError: 'stop' stops the job at the first failure", async () => {
    const err = await run(fixture('map-throws-stop.ts'), { workers: 2 }).done.catch((e) => e);
    expect(err.code).toBe('USER_FUNCTION_FAILED');
    expect(err.message).toContain("operator 'measure' (instance 0) threw on record \"Message 7\": boom at seven");
  });

  it('refuses a record msgpack cannot encode, naming operator and type', async () => {
    const err = await run(fixture('unencodable.ts'), { workers: 2, logLevel: 'error', restart: { maxRestarts: 0 } }).done.then(
      () => undefined,
      (e) => e,
    );
    expect(err?.cause?.code).toBe('RECORD_UNENCODABLE');
    expect(err.message).toContain("operator 'bad-map'");
    expect(err.message).toContain('Object containing a function');
  });

  it('names the file when it has no default-exported topology', async () => {
    const err = await run(fixture('no-default.ts'), { workers: 1 }).done.catch((e) => e);
    expect(err.code).toBe('JOB_LOAD_FAILED');
    expect(err.message).toMatch(/no-default\.ts' has no default-exported topology/);
  });

  it('names the file and the cause when building throws', async () => {
    const err = await run(fixture('throws-on-build.ts'), { workers: 1 }).done.catch((e) => e);
    expect(err.code).toBe('JOB_LOAD_FAILED');
    expect(err.message).toContain('throws-on-build.ts');
    expect(err.message).toContain("operator 'map-1' has parallelism 0");
  });

  it('names a missing job file', async () => {
    const err = await run('/nonexistent/job.ts').done.catch((e) => e);
    expect(err.code).toBe('JOB_LOAD_FAILED');
    expect(err.message).toContain("'/nonexistent/job.ts' does not exist");
  });
});
