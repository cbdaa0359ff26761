/**
 * The one polling wait of the integration tests: each suite's helpers
 * (kafka, cassandra, mqtt, recovery) call it with their own default bound
 * and poll interval. A bound here is a hang detector, never a timing claim.
 */
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `cond` every `everyMs` until it is true; throws naming `what` after `timeoutMs`. */
export async function pollUntil(cond: () => boolean | Promise<boolean>, what: string | (() => string), timeoutMs: number, everyMs: number): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (!(await cond())) {
    if (performance.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === 'string' ? what : what()}`);
    await sleep(everyMs);
  }
}
