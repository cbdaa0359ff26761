/** Latency percentiles of a set of samples in ms (nearest rank). */
export interface LatencyPercentiles {
  samples: number;
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export function percentiles(latenciesMs: readonly number[]): LatencyPercentiles {
  const s = Float64Array.from(latenciesMs).sort();
  const q = (p: number): number => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]);
  const r = (x: number): number => Math.round(x * 1000) / 1000;
  return { samples: s.length, p50Ms: r(q(0.5)), p99Ms: r(q(0.99)), p999Ms: r(q(0.999)), maxMs: r(s[s.length - 1] ?? NaN) };
}
