import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../runtime/cli/duration.js';

describe('parseDuration (CLI duration flags)', () => {
  it('reads ms as a number or with a unit', () => {
    expect(parseDuration('1000')).toBe(1000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration(' 3 s ')).toBe(3000);
  });

  it('refuses what is not a whole number of ms', () => {
    for (const bad of ['', 's', '-1', '1h', '1 hour', '0.5', '1.0005s', 'ten', '1e3']) expect(parseDuration(bad), bad).toBeUndefined();
  });
});
