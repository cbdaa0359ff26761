/**
 * A record that fails deterministically under the default onError: 'restart'
 * is named at once: the same record fails the same operator again right
 * after the restart from the same checkpoint, so the supervisor stops the
 * job after one restart (not after ~40 s of backoff) with an error naming
 * the record, the operator and the fix. Threads, the inline engine and the
 * simulation decide alike (one supervisor core).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collect, generator, run, topology } from 'weir';
import { runInline } from '../../../runtime/testing/run-inline.js';

const fixture = fileURLToPath(new URL('../../fixtures/map-throws.ts', import.meta.url));

function expectNamed(e: unknown): void {
  const err = e as { code?: string; message: string; cause?: { code?: string } } | undefined;
  expect(err, 'the job must fail').toBeDefined();
  expect(err!.code).toBe('RECORD_FAILS_DETERMINISTICALLY');
  expect(err!.message).toContain(`operator 'measure' failed on record "Message 7" again right after restarting from`);
  expect(err!.message).toContain("Fix: set onError: 'skip' on 'measure'");
  expect(err!.message).toContain('boom at seven');
  expect(err!.cause?.code).toBe('USER_FUNCTION_FAILED');
}

describe('deterministic failures are named, not retried', () => {
  for (const workers of [2, 0]) {
    it(`stops after one restart with the default strategy (workers: ${workers})`, async () => {
      const err = await run(fixture, { workers, logLevel: 'silent' }).done.then(
        () => undefined,
        (e) => e,
      );
      expectNamed(err);
    });
  }

  for (const workers of [2, 0]) {
    it(`with repeatedFailure: 'dead-letter' the record goes to the dead letters and the job completes (workers: ${workers})`, async () => {
      const r = await run(fixture, { workers, logLevel: 'silent', restart: { repeatedFailure: 'dead-letter', backoff: { initialMs: 5 } } }).done;
      expect(r.deadLetters.map((d) => d.record)).toEqual(['Message 7']);
      expect(r.deadLetters[0]).toMatchObject({ operator: 'measure', instance: 0 });
      expect(r.deadLetters[0].error.message).toContain('boom at seven');
      expect(r.restarts).toBe(2);
      // collect() is at-least-once: replays after the restarts may repeat records, never lose one.
      expect(r.outputs.out.length).toBeGreaterThanOrEqual(49);
    });
  }

  it('the simulation stops the same way, after exactly one restart', async () => {
    const t = topology('sim-throws', (b) =>
      b
        .source('in', generator({ count: 50 }))
        .map(
          (v: string) => {
            if (v === 'Message 7') throw new Error('boom at seven');
            return v.length;
          },
          { name: 'measure' },
        )
        .sink('out', collect()),
    );
    const r = await runInline(t, { workers: 2, inputs: { in: Array.from({ length: 50 }, (_, i) => `Message ${i}`) } });
    expectNamed(r.error);
    expect(r.restarts).toBe(1);
    const dl = await runInline(t, { workers: 2, inputs: { in: Array.from({ length: 50 }, (_, i) => `Message ${i}`) }, restart: { repeatedFailure: 'dead-letter' } });
    expect(dl.error).toBeUndefined();
    expect(dl.deadLetters.map((d) => d.record)).toEqual(['Message 7']);
    expect(dl.restarts).toBe(2);
    expect(dl.outputs.out).toHaveLength(49);
  });
});
