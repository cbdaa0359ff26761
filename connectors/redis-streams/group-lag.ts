/**
 * A consumer group's lag, as Redis itself counts it: XINFO GROUPS' `lag`
 * (Redis 7+: entries of the stream not yet delivered to the group; null
 * while Redis cannot tell, e.g. after deletions inside the undelivered
 * range). Read on demand: `value()` is synchronous (a metrics report calls
 * it), answers the last reading and starts a new one when that is older
 * than `everyMs` and none is in flight, so nothing polls while nobody looks.
 */
import type { Redis } from 'ioredis';

export class GroupLag {
  private last: number | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private inFlight = false;

  constructor(
    private readonly redis: Redis,
    private readonly stream: string,
    private readonly group: string,
    private readonly everyMs = 1000,
    private readonly now: () => number = () => performance.now(),
  ) {}

  value(): number | undefined {
    if (!this.inFlight && this.now() - this.readAt >= this.everyMs) void this.refresh();
    return this.last;
  }

  /** One XINFO GROUPS; a failure (Redis down) keeps the last value out: unknown, not stale. */
  async refresh(): Promise<number | undefined> {
    this.inFlight = true;
    this.readAt = this.now();
    try {
      const groups = (await this.redis.call('XINFO', 'GROUPS', this.stream)) as unknown[][];
      this.last = groupLag(groups, this.group);
    } catch {
      this.last = undefined;
    } finally {
      this.inFlight = false;
    }
    return this.last;
  }
}

/** The `lag` field of `group` in an XINFO GROUPS reply (flat [field, value, ...] per group). Pure. */
export function groupLag(reply: unknown[][], group: string): number | undefined {
  for (const g of reply) {
    const f = new Map<string, unknown>();
    for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
    if (f.get('name') !== group) continue;
    const lag = f.get('lag');
    return typeof lag === 'number' ? lag : undefined;
  }
  return undefined;
}
