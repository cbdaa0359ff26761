/** How the exactly-once Kafka sink cuts an epoch into sends (connectors/kafka/sink.ts sendSlices). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sendSlices } from '../../../connectors/kafka/sink.js';

// size 'max' where a bound matters (fast-check's default size stops near 10): up to 400
// messages repeated up to 60 times (past 10,000 messages), values up to 5,000 characters (past 256 K per slice).
// (Long values are runs of one character: drawing 5,000 random characters per value makes a run take seconds.)
const message = fc.record({
  key: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
  value: fc.oneof(fc.string({ maxLength: 20 }), fc.tuple(fc.constantFrom('x', 'é', '字'), fc.nat({ max: 5000 })).map(([c, n]) => c.repeat(n))),
});
const epochs = fc.tuple(fc.array(message, { maxLength: 400, size: 'max' }), fc.integer({ min: 1, max: 60 }));

describe('sendSlices', () => {
  it('its arbitrary cuts epochs into several slices, by characters and by count', () => {
    const samples = fc.sample(epochs, { seed: 1, numRuns: 200 }).map(([msgs, repeat]) => Array.from({ length: repeat }, () => msgs).flat());
    const slices = samples.map((m) => sendSlices(m));
    expect(slices.filter((s) => s.length >= 2).length).toBeGreaterThan(20);
    expect(samples.filter((m) => m.length > 10_000).length).toBeGreaterThan(5);
    expect(samples.filter((m) => m.reduce((n, x) => n + x.value.length, 0) > 256 * 1024).length).toBeGreaterThan(20);
  });

  it('keeps every message once, in order, each slice under 256 K characters and 10,000 messages', () => {
    fc.assert(
      fc.property(epochs, ([msgs, repeat]) => {
        const messages = Array.from({ length: repeat }, () => msgs).flat();
        const slices = sendSlices(messages);
        expect(slices.flat()).toEqual(messages);
        for (const s of slices) {
          expect(s.length).toBeGreaterThan(0);
          expect(s.length).toBeLessThanOrEqual(10_000);
          const chars = s.reduce((n, m) => n + m.value.length + (m.key?.length ?? 0) + 16, 0);
          if (s.length > 1) expect(chars).toBeLessThanOrEqual(256 * 1024);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('sends a single message bigger than the limit alone', () => {
    const big = { key: null, value: 'x'.repeat(300 * 1024) };
    expect(sendSlices([{ key: null, value: 'a' }, big, { key: null, value: 'b' }]).map((s) => s.length)).toEqual([1, 1, 1]);
  });
});
