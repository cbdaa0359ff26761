/**
 * connectors/kafka/record-encoder.ts writes the same bytes as kafkajs' own
 * record encoder (protocol/recordBatch/record/v0), which it replaces on the
 * producer's hot path: a property over keys, values and deltas of every kind
 * it takes, and the cases it must hand back to kafkajs.
 */
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeRecord, type RecordFields } from '../../../connectors/kafka/record-encoder.js';

const require = createRequire(import.meta.url);
/** kafkajs' own encoder, loaded afresh even if weir's fix already replaced it in this process's module cache. */
function kafkajsOwn(): (f: RecordFields) => { buffer: Buffer } {
  const file = require.resolve('kafkajs/src/protocol/recordBatch/record/v0/index.js');
  const cached = require.cache[file];
  delete require.cache[file];
  try {
    return require(file);
  } finally {
    if (cached) require.cache[file] = cached;
  }
}
const kafkajsRecord = kafkajsOwn();

const bytes = fc.oneof(
  fc.constant(null),
  fc.constant(undefined),
  fc.string({ unit: 'binary', maxLength: 300, size: 'max' }), // any code points, so multi-byte UTF-8 too
  fc.uint8Array({ maxLength: 20_000, size: 'max' }).map((a) => Buffer.from(a)), // lengths past every varint size step (size 'max': the default size stops near 10)
);
const delta = fc.oneof(fc.integer({ min: -(2 ** 31) + 1, max: 2 ** 31 - 1 }), fc.integer({ min: -200, max: 200 }));

describe('Kafka record encoder (kafkajs record v0 bytes)', () => {
  it('its arbitrary reaches every varint size step of a length: past 63, 8,191 and 16,383 bytes', () => {
    const lengths = fc.sample(bytes, { seed: 1, numRuns: 500 }).map((b) => (typeof b === 'string' ? Buffer.byteLength(b) : (b?.length ?? -1)));
    for (const step of [63, 8191, 16_383]) expect(lengths.filter((n) => n > step).length).toBeGreaterThan(5);
  });

  it('writes exactly the bytes kafkajs writes, for every key, value and delta it takes', () => {
    expect(String(kafkajsRecord)).toContain('sizeOfHeaders'); // kafkajs' source, not weir's
    fc.assert(
      fc.property(bytes, bytes, delta, delta, fc.constantFrom(undefined, {}), (key, value, offsetDelta, timestampDelta, headers) => {
        const fields = { key, value, offsetDelta: Math.abs(offsetDelta), timestampDelta, headers };
        const ours = encodeRecord(fields);
        expect(ours).toBeDefined();
        expect(Buffer.compare(ours!, kafkajsRecord(fields).buffer)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("hands back to kafkajs what it does not take: headers, deltas from 2^31, other key types", () => {
    expect(encodeRecord({ value: 'v', headers: { h: 'x' } })).toBeUndefined();
    expect(encodeRecord({ value: 'v', timestampDelta: 2 ** 31 })).toBeUndefined();
    expect(encodeRecord({ value: 'v', offsetDelta: 1.5 })).toBeUndefined();
    expect(encodeRecord({ key: 42, value: 'v' })).toBeUndefined();
    expect(encodeRecord({ value: { a: 1 } })).toBeUndefined();
  });
});
