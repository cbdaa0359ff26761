/**
 * Repartition topics are weir's own: once the task reading partition p has
 * committed offset o, records below o are never read again (a restart or a
 * takeover resumes at o). So, as Kafka Streams does after its commits
 * (repartition.purge.interval.ms, 30 s), a member deletes them (DeleteRecords
 * up to the committed offset) at most every `intervalMs`, for the tasks it
 * runs: a repartition topic holds about what is not yet consumed, whatever
 * its retention. Source topics and changelogs are never purged.
 *
 * Offsets come from the tasks' committed transactions only, so a purge
 * never passes a position that could still be rolled back.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from '../../actors/contract.js';

export interface CommittedPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** The positions that moved past what was last purged, grouped by topic (pure). */
export function purgeRequests(purged: ReadonlyMap<string, number>, committed: readonly CommittedPosition[]): { topic: string; partitions: { partition: number; offset: string }[] }[] {
  const byTopic = new Map<string, { partition: number; offset: string }[]>();
  for (const c of committed) {
    if (c.offset <= (purged.get(`${c.topic}:${c.partition}`) ?? 0)) continue;
    const list = byTopic.get(c.topic) ?? [];
    list.push({ partition: c.partition, offset: String(c.offset) });
    byTopic.set(c.topic, list);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

/** Every `intervalMs`, deletes repartition records below the positions `committed()` gives. */
export class RepartitionPurger {
  private readonly purged = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();

  constructor(
    private readonly admin: () => Promise<Admin>,
    private readonly committed: () => CommittedPosition[],
    intervalMs: number,
    private readonly log: Logger,
  ) {
    this.timer = setInterval(() => (this.running = this.running.then(() => this.purge())), intervalMs);
    this.timer.unref();
  }

  async purge(): Promise<void> {
    const requests = purgeRequests(this.purged, this.committed());
    if (requests.length === 0) return;
    const admin = await this.admin();
    for (const r of requests) {
      try {
        await admin.deleteTopicRecords(r);
        for (const p of r.partitions) this.purged.set(`${r.topic}:${p.partition}`, Number(p.offset));
        this.log.debug({ topic: r.topic, partitions: r.partitions }, `weir cluster: purged consumed records of '${r.topic}'`);
      } catch (e) {
        // Harmless: the next round tries again, and retention deletes them anyway.
        this.log.warn({ topic: r.topic, err: e }, `weir cluster: could not purge consumed records of '${r.topic}' (${(e as Error).message}); retrying at the next interval`);
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.running.catch(() => {});
  }
}
