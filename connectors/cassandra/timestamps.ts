/**
 * Write timestamps (microseconds since the epoch), strictly increasing per
 * sink instance. Cassandra keeps the value with the highest timestamp, so a
 * record sent later wins over one sent earlier even when their requests land
 * in the other order (concurrent requests, a retry). Wall-clock based, not the
 * job's (possibly virtual) clock: a replay after a restart must write with
 * timestamps above those of the run it replaces.
 */
export class MonotonicMicros {
  private last = 0;

  constructor(private readonly nowMs: () => number) {}

  next(): number {
    const t = Math.max(Math.floor(this.nowMs() * 1000), this.last + 1);
    this.last = t;
    return t;
  }
}
