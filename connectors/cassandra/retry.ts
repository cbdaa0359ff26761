/**
 * Which Cassandra failures a write retries, and how long it waits (pure).
 *
 * Retried: the node is unreachable (NoHostAvailable: down, restarting),
 * the request timed out (client side, or a coordinator's write timeout),
 * not enough replicas (Unavailable), the node is overloaded or still
 * bootstrapping, or a replica failed the write. Replaying a write is safe
 * because the sink only sends idempotent statements, each with the
 * timestamp it got when it was first sent (so a late retry never
 * overwrites a newer value). Anything else (invalid query, bad value,
 * unauthorized) fails at once.
 */

export interface Backoff {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

export const WRITE_BACKOFF: Backoff = { initialMs: 50, maxMs: 2000, multiplier: 2 };
export const CONNECT_BACKOFF: Backoff = { initialMs: 200, maxMs: 3000, multiplier: 2 };

/** Delay before attempt `attempt` (1 = first retry), with full jitter in [d/2, d]. */
export function backoffMs(b: Backoff, attempt: number, random: () => number): number {
  const d = Math.min(b.maxMs, b.initialMs * b.multiplier ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + (d / 2) * random());
}

// Native protocol error codes (cassandra-driver's types.responseErrorCodes).
const RETRIED_CODES = new Set([
  0x1000, // unavailable
  0x1001, // overloaded
  0x1002, // is bootstrapping
  0x1100, // write timeout
  0x1200, // read timeout
  0x1500, // write failure
]);
const RETRIED_NAMES = new Set(['NoHostAvailableError', 'OperationTimedOutError', 'BusyConnectionError']);

export function isRetriable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (RETRIED_NAMES.has(err.name)) return true;
  const code = (err as { code?: unknown }).code;
  return err.name === 'ResponseError' && typeof code === 'number' && RETRIED_CODES.has(code);
}
