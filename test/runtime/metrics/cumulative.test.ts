// Tests runtime/metrics/cumulative.ts: counts that survive restarts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CumulativeCounts } from '../../../runtime/metrics/cumulative.js';
import { task } from '../http/fixtures.js';

describe('CumulativeCounts', () => {
  it('adds what earlier incarnations counted when the epoch goes up', () => {
    const c = new CumulativeCounts();
    expect(c.apply(task(0, 100, 0))!.recordsIn).toBe(100);
    expect(c.apply(task(0, 250, 0))!.recordsIn).toBe(250);
    // Restored at epoch 1: counts from zero again.
    expect(c.apply(task(0, 10, 1))!.recordsIn).toBe(260);
    expect(c.apply(task(0, 40, 1))).toMatchObject({ recordsIn: 290, recordsOut: 290, busyMs: 250 / 5 + 40 / 5 });
  });

  it('drops a late report of an older incarnation', () => {
    const c = new CumulativeCounts();
    c.apply(task(0, 100, 0));
    c.apply(task(0, 5, 1));
    expect(c.apply(task(0, 120, 0))).toBeUndefined();
    expect(c.apply(task(0, 6, 1))!.recordsIn).toBe(106);
  });

  it('never decreases, whatever the sequence of restarts and reports (property)', () => {
    let restarts = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ restart: fc.boolean(), grow: fc.nat({ max: 1000 }) }), { minLength: 1, maxLength: 60, size: 'max' }),
        (steps) => {
          const c = new CumulativeCounts();
          let epoch = 0;
          let raw = 0;
          let last = 0;
          let truth = 0;
          for (const s of steps) {
            if (s.restart) {
              epoch++;
              raw = 0;
              restarts++;
            }
            raw += s.grow;
            truth += s.grow;
            const out = c.apply(task(0, raw, epoch))!;
            expect(out.recordsIn).toBeGreaterThanOrEqual(last);
            // Every report seen, none lost: the cumulative count is everything counted.
            expect(out.recordsIn).toBe(truth);
            last = out.recordsIn;
          }
        },
      ),
      { numRuns: 200 },
    );
    expect(restarts).toBeGreaterThan(100); // the property exercised restarts
  });
});
