/**
 * The simulated network between simulated workers: the same epoch-tagged
 * channel traffic as the MessagePort router (batches msgpack-encoded, so an
 * unencodable record fails as it would across threads), delivered through
 * virtual time with an optional seeded delay. Per pair of workers delivery
 * stays FIFO, as a MessagePort is.
 */
import { decodeBatch, encodeBatch } from '../channel/codec.js';
import type { ChannelLink, CreditLink } from '../channel/transport.js';
import type { ActorHost, RemoteLinks } from '../host/actor-host.js';
import type { ChannelPlan, ExecutionPlan } from '../plan/plan.js';
import type { VirtualTime } from './virtual-time.js';

export class SimNetwork {
  readonly hosts: ActorHost[] = [];
  private readonly lastDelivery = new Map<string, number>();
  /** Max extra delivery delay (ms), drawn per message from the seed. */
  maxDelayMs = 0;
  dropped = 0;

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly vt: VirtualTime,
  ) {}

  /** Messages per (from, to) pair, in send order: each delivery event takes the oldest, so pairs stay FIFO. */
  private readonly queues = new Map<string, { deliver: (h: ActorHost) => void; channel: number; epoch: number }[]>();

  private send(from: number, to: number, deliver: (h: ActorHost) => void, channel: number, epoch: number): void {
    const key = `${from}>${to}`;
    const delay = this.maxDelayMs > 0 ? Math.floor(this.vt.random() * (this.maxDelayMs + 1)) : 0;
    const at = Math.max(this.lastDelivery.get(key) ?? 0, this.vt.now() + delay);
    this.lastDelivery.set(key, at);
    let q = this.queues.get(key);
    if (!q) this.queues.set(key, (q = []));
    q.push({ deliver, channel, epoch });
    this.vt.at(at - this.vt.now(), () => {
      const m = q!.shift()!;
      const h = this.hosts[to];
      if (h.epochOfChannel(m.channel) !== m.epoch) {
        this.dropped++;
        return;
      }
      m.deliver(h);
    }, to);
  }

  linksFor(worker: number): RemoteLinks {
    const plan = this.plan;
    return {
      link: (ch: ChannelPlan, epoch: number): ChannelLink => {
        const from = plan.actors[ch.from];
        const to = plan.actors[ch.to].worker;
        const ctx = { operator: from.operator, instance: from.instance };
        return {
          sendBatch: (records) => {
            const bytes = encodeBatch(records, ctx);
            this.send(worker, to, (h) => h.deliverBatch(ch.id, decodeBatch(bytes)), ch.id, epoch);
          },
          sendBarrier: (id) => this.send(worker, to, (h) => h.deliverBarrier(ch.id, id), ch.id, epoch),
          sendWatermark: (ts, idle) => this.send(worker, to, (h) => h.deliverWatermark(ch.id, ts, idle), ch.id, epoch),
          sendEnd: () => this.send(worker, to, (h) => h.deliverEnd(ch.id), ch.id, epoch),
        };
      },
      creditLink: (ch: ChannelPlan, epoch: number): CreditLink => {
        const to = plan.actors[ch.from].worker;
        return { grant: (n) => this.send(worker, to, (h) => h.grant(ch.id, n), ch.id, epoch) };
      },
    };
  }
}
