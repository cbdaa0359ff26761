/**
 * Durations on the command line: `1000` (ms), `500ms`, `1s`, `1.5s`, `2m`.
 * Pure; the CLI turns `undefined` into a usage error naming the flag.
 */
const UNIT_MS: Record<string, number> = { '': 1, ms: 1, s: 1000, m: 60_000 };

/** Whole milliseconds, or undefined when `text` is not a duration or not a whole number of ms. */
export function parseDuration(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m)?\s*$/.exec(text);
  if (!m) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] ?? ''];
  return Number.isSafeInteger(ms) ? ms : undefined;
}
