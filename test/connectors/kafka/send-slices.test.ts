/** How the exactly-once Kafka sink cuts an epoch into sends (connectors/kafka/sink.ts sendSlices). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sendSlices } from '../../../connectors/kafka/sink.js';

describe('sendSlices', () => {
  it('keeps every message once, in order, each slice under 256 K characters and 10,000 messages', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ key: fc.option(fc.string({ maxLength: 20 }), { nil: null }), value: fc.string({ maxLength: 5000 }) }), { maxLength: 400 }), fc.integer({ min: 1, max: 60 }), (msgs, repeat) => {
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
