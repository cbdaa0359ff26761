/**
 * Regression (was a bug, fixed): falling back past a damaged checkpoint must
 * keep the file sink exactly-once. The sink now learns the restored
 * checkpoint id and retracts files it committed for later checkpoints,
 * whose records the replay writes again.
 *
 * Original report:
 * BUG (kept out of the default run; run it with
 *   npx vitest run -c test/supervision/recovery/vitest.bugs.config.ts):
 * falling back past a damaged checkpoint breaks exactly-once.
 *
 * When the newest checkpoint N is damaged, the rerun restores checkpoint
 * P < N (runtime/coordinator/job.ts restoreTarget() -> latestValid()). But
 * the file sink had already committed (made visible) the output of epochs up
 * to N when N completed, and on restore (connectors/file/file-sink.ts open())
 * it only deletes hidden in-progress/pending files: the visible
 * `part-<i>-<n>-<uuid>` files with P < n <= N stay. The sources rewind to P
 * and the records between P and N are written and committed again: every one
 * of them is duplicated in the committed output (the only trace is the
 * "falling back to an older one" warning).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { KEYS, corruptNewestAndRerun } from './corrupt-scenario.js';
import { cleanupDirs, diffSummary, expectedLines } from './helpers.js';

describe('corrupt newest checkpoint (BUG)', () => {
  afterAll(() => {
    delete process.env.WEIR_EO;
    cleanupDirs();
  });

  it('falling back to the previous checkpoint still commits the exact output', { timeout: 60_000 }, async () => {
    const o = await corruptNewestAndRerun();
    expect(o.rerun, o.stderr.slice(-3000)).toMatchObject({ ok: true, resumedFrom: o.previous });
    const want = expectedLines(o.total, KEYS);
    expect(diffSummary(o.lines, want)).toEqual({ missing: 0, extra: 0, duplicated: 0, examples: [] });
    expect(o.lines).toEqual(want);
  });
});
