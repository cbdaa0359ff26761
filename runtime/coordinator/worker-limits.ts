/**
 * V8 heap limits of weir's worker threads. A thread's young generation (two
 * semi-spaces) grows with the allocation rate it sees, up to 16 MB per
 * semi-space, and keeps what it grew to while the job idles: the burst of
 * loading a client library at start-up (mqtt.js, ioredis) can leave the
 * thread hosting it with a large young generation for good. A cap trims idle
 * RSS a little (the gateway example: about 2-3 MB at 6 MB) but makes busy
 * workers scavenge more often (keyed benchmark: GC share of worker CPU about
 * 12% -> 18% at 6 MB), so V8 sizes it by default; docs/performance.md has the
 * figures.
 *
 * The cap is `workerYoungGenerationMb` (run options) or the environment
 * variable WEIR_WORKER_YOUNG_MB (the `weir` CLI starts its threads before it
 * reads any option); 0 leaves V8's own sizing.
 */
import type { ResourceLimits } from 'node:worker_threads';

/** MB of young generation per worker (V8 splits it into 2 semi-spaces and a new large-object space: 6 MB = 2 MB semi-spaces); 0 = V8's sizing. */
export const DEFAULT_WORKER_YOUNG_MB = 0;
export const YOUNG_MB_ENV = 'WEIR_WORKER_YOUNG_MB';
export const MAX_YOUNG_MB = 1024;

/** The environment's setting; undefined when unset; NaN when it is not an integer in range (options.ts reports it). */
export function youngMbFromEnv(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const v = env[YOUNG_MB_ENV];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isInteger(n) && n >= 0 && n <= MAX_YOUNG_MB ? n : Number.NaN;
}

/** resourceLimits for a worker; undefined when nothing is limited. */
export function workerResourceLimits(youngMb: number, oldMb?: number): ResourceLimits | undefined {
  const limits: ResourceLimits = {};
  if (youngMb > 0) limits.maxYoungGenerationSizeMb = youngMb;
  if (oldMb) limits.maxOldGenerationSizeMb = oldMb;
  return Object.keys(limits).length ? limits : undefined;
}

export function sameLimits(a: ResourceLimits | undefined, b: ResourceLimits | undefined): boolean {
  return a?.maxYoungGenerationSizeMb === b?.maxYoungGenerationSizeMb && a?.maxOldGenerationSizeMb === b?.maxOldGenerationSizeMb;
}
