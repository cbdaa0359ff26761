/**
 * A damaged newest checkpoint (flipped bytes in one blob on disk): the rerun
 * detects it by checksum, warns naming the checkpoint and the blob, falls
 * back to the previous checkpoint and finishes; the restored keyed state is
 * the previous checkpoint's (never the damaged bytes), so every committed
 * count is a correct one and nothing is lost.
 *
 * Exactly-once across this fallback (no duplicated line) is asserted in
 * corrupt-fallback-exact.test.ts: the file sink retracts what it committed
 * after the checkpoint the job fell back to.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS, corruptNewestAndRerun } from './corrupt-scenario.js';
import { cleanupDirs, expectedLines } from './helpers.js';

describe('corrupt newest checkpoint', () => {
  afterAll(() => {
    delete process.env.WEIR_EO;
    cleanupDirs();
  });

  it('is detected, logged, and skipped: the rerun falls back to the previous checkpoint and loses nothing', { timeout: 60_000 }, async () => {
    const o = await corruptNewestAndRerun();
    expect(o.rerun, o.stderr.slice(-3000)).toMatchObject({ ok: true, resumedFrom: o.previous, checkpoint: { kind: 'final' } });
    expect(o.warnings.some((m) => m.startsWith(`checkpoint ${o.damaged} is damaged (count/0: sha256 mismatch`) && m.includes('falling back to an older one')), o.warnings.join('\n')).toBe(true);
    expect(o.warnings).toContain(`resuming job '${o.jobId}' from checkpoint ${o.previous}`);

    // No loss, and no count that is not a correct running count (the damaged state was not used).
    const want = expectedLines(o.total, KEYS);
    expect([...new Set(o.lines)].sort()).toEqual(want);
  });
});
