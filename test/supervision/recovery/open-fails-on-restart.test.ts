/**
 * An actor whose open() fails while its region restarts counts as a restart
 * of that region (as OTP counts a child that fails to start): the region is
 * restarted again, as the strategy allows, and past it the job stops naming
 * the open failure. Before, the first failed open stopped the job at once.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from 'weir';

const fixture = fileURLToPath(new URL('../../fixtures/open-fails-on-restart.ts', import.meta.url));

describe('open() failing during a region restart', () => {
  for (const workers of [1, 0]) {
    it(`counts as a restart of the region, up to maxRestarts (workers: ${workers})`, async () => {
      const err = await run(fixture, { workers, logLevel: 'silent', restart: { maxRestarts: 3, backoff: { initialMs: 1, maxMs: 5 } } }).done.then(
        () => undefined,
        (e) => e as Error & { code?: string },
      );
      expect(err, 'the job must fail').toBeDefined();
      expect(err!.code).toBe('RESTARTS_EXHAUSTED');
      // The first failure (the throw) and three failed opens: four failures, three restarts allowed.
      expect(err!.message).toContain('failover region 0 failed 4 times');
      expect(err!.message).toContain("operator 'out' (instance 0) failed to open: cannot open (attempt 4)");
    });
  }
});
