/**
 * Restart strategies are data, as OTP's supervisor flags: at most
 * `maxRestarts` restarts within `withinMs` (OTP intensity/period), each
 * after an exponential delay (Flink's exponential-delay strategy). Past the
 * limit the failure escalates to the parent supervisor; at the top the job
 * stops, keeping its last checkpoint.
 *
 * `decide` is pure: time and randomness are arguments.
 */
import { ConfigError } from '../actors/errors.js';

export interface Backoff {
  /** Delay before the first restart in a window, ms. */
  initialMs: number;
  /** Upper bound of the delay, ms. */
  maxMs: number;
  /** Factor between consecutive delays (>= 1). */
  multiplier: number;
  /** Random spread, a fraction of the delay (0..1). */
  jitter: number;
}

/**
 * What to do when a record fails the same operator again right after a
 * restart from the same checkpoint: the failure is deterministic, so a
 * restart replays it. 'escalate' (default) stops at once with an error
 * naming the record and operator; 'dead-letter' restarts once more with
 * that record sent to the dead letters when it fails again (as onError:
 * 'skip' would, for that record only); 'restart' keeps restarting until
 * maxRestarts (for functions that fail on outside conditions, e.g. a
 * service that is down).
 */
export type RepeatedFailure = 'escalate' | 'dead-letter' | 'restart';

export interface RestartStrategy {
  maxRestarts: number;
  withinMs: number;
  backoff: Backoff;
  repeatedFailure: RepeatedFailure;
}

export const DEFAULT_RESTART_STRATEGY: RestartStrategy = {
  maxRestarts: 10,
  withinMs: 60_000,
  backoff: { initialMs: 50, maxMs: 10_000, multiplier: 2, jitter: 0.1 },
  repeatedFailure: 'escalate',
};

export type RestartDecision = { action: 'restart'; delayMs: number; history: number[] } | { action: 'escalate'; restarts: number; history: number[] };

/**
 * A failure at `now`, given the times of earlier restarts: restart (after
 * how long) or escalate. `random` in [0, 1).
 */
export function decide(history: readonly number[], now: number, s: RestartStrategy, random: () => number): RestartDecision {
  const recent = history.filter((t) => now - t < s.withinMs);
  if (recent.length >= s.maxRestarts) return { action: 'escalate', restarts: recent.length, history: recent };
  const base = Math.min(s.backoff.maxMs, s.backoff.initialMs * s.backoff.multiplier ** recent.length);
  const spread = base * s.backoff.jitter * (2 * random() - 1);
  const delayMs = Math.max(0, Math.round(base + spread));
  return { action: 'restart', delayMs, history: [...recent, now] };
}

/** Fills defaults and names the first bad field. */
export function restartStrategy(partial: Partial<Omit<RestartStrategy, 'backoff'>> & { backoff?: Partial<Backoff> } = {}): RestartStrategy {
  // An explicit undefined means "the default", as an absent field does.
  const defined = <T extends object>(o: T): Partial<T> => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const s: RestartStrategy = {
    ...DEFAULT_RESTART_STRATEGY,
    ...defined(partial),
    backoff: { ...DEFAULT_RESTART_STRATEGY.backoff, ...defined(partial.backoff ?? {}) },
  } as RestartStrategy;
  const check = (ok: boolean, field: string, value: unknown, want: string) => {
    if (!ok) throw new ConfigError(`restart strategy ${field} is ${String(value)}. Fix: ${want}`, { field });
  };
  check(Number.isInteger(s.maxRestarts) && s.maxRestarts >= 0, 'maxRestarts', s.maxRestarts, 'an integer >= 0 (0 = never restart)');
  check(Number.isFinite(s.withinMs) && s.withinMs > 0, 'withinMs', s.withinMs, 'a positive number of ms');
  check(['escalate', 'dead-letter', 'restart'].includes(s.repeatedFailure), 'repeatedFailure', s.repeatedFailure, "'escalate' (stop at once), 'dead-letter' (skip that record) or 'restart' (retry until maxRestarts)");
  const b = s.backoff;
  check(Number.isFinite(b.initialMs) && b.initialMs >= 0, 'backoff.initialMs', b.initialMs, 'a number of ms >= 0');
  check(Number.isFinite(b.maxMs) && b.maxMs >= b.initialMs, 'backoff.maxMs', b.maxMs, 'a number of ms >= backoff.initialMs');
  check(Number.isFinite(b.multiplier) && b.multiplier >= 1, 'backoff.multiplier', b.multiplier, 'a number >= 1');
  check(Number.isFinite(b.jitter) && b.jitter >= 0 && b.jitter <= 1, 'backoff.jitter', b.jitter, 'a number from 0 to 1');
  return s;
}
