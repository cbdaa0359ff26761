/**
 * Cross-worker channels: one MessagePort per pair of workers carries the
 * traffic of every channel between them, tagged with the channel id and the
 * epoch of the channel's failover region. Batches are msgpackr-encoded and
 * their buffers transferred; barriers, end events and credit ride the same
 * port, so per-channel order is the port's FIFO order. What one turn of
 * the event loop sends to a peer goes out as one frame at the end of the
 * turn (peer-outbox.ts).
 *
 * Epochs: after a region restarts, messages of its older epoch still in a
 * port are dropped on arrival, so nothing from before a rollback is
 * delivered after it.
 */
import type { MessagePort } from 'node:worker_threads';
import { decodeBatch, encodeBatch } from '../channel/codec.js';
import type { ChannelLink, CreditLink } from '../channel/transport.js';
import type { ChannelPlan, ExecutionPlan } from '../plan/plan.js';
import type { ActorHost, RemoteLinks } from './actor-host.js';
import { PeerOutbox } from './peer-outbox.js';
import type { PeerFrame, PeerMessage } from './protocol.js';

export class PortRouter implements RemoteLinks {
  private readonly ports = new Map<number, MessagePort>();
  private readonly outboxes = new Map<number, PeerOutbox>();
  private flushQueued = false;
  private host: ActorHost | undefined;
  /** Messages dropped for a stale epoch (observability, tests). */
  dropped = 0;

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly worker: number,
    private readonly onError: (e: unknown) => void,
  ) {}

  attach(host: ActorHost): void {
    this.host = host;
  }

  /** Adds or replaces (after a peer worker was replaced) the port to a peer. */
  addPeer(peer: number, port: MessagePort): void {
    this.ports.get(peer)?.close();
    this.outboxes.get(peer)?.take(); // meant for the peer that is gone
    this.ports.set(peer, port);
    port.on('message', (frame: PeerFrame) => {
      // Each message on its own, as before frames: one that fails does not drop the rest.
      for (let i = 0; i < frame.length; i++) {
        try {
          this.receive(frame[i]);
        } catch (e) {
          this.onError(e);
        }
      }
    });
  }

  /** The open frame to `peer`; the first message of a turn queues the flush at its end. */
  private outbox(peer: number): PeerOutbox {
    let o = this.outboxes.get(peer);
    if (o === undefined) this.outboxes.set(peer, (o = new PeerOutbox()));
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flush);
    }
    return o;
  }

  /** Post every open frame. A peer that is gone (being replaced) drops its traffic: its region restarts anyway. */
  readonly flush = (): void => {
    this.flushQueued = false;
    for (const [peer, o] of this.outboxes) {
      if (o.empty) continue;
      const { frame, transfer } = o.take();
      this.ports.get(peer)?.postMessage(frame, transfer);
    }
  };

  private receive(m: PeerMessage): void {
    const host = this.host!;
    if (host.epochOfChannel(m.c) !== m.e) {
      this.dropped++;
      return;
    }
    switch (m.t) {
      case 'b':
        host.deliverBatch(m.c, decodeBatch(m.d));
        return;
      case 'r':
        host.deliverBarrier(m.c, m.id);
        return;
      case 'w':
        host.deliverWatermark(m.c, m.w, m.i);
        return;
      case 'e':
        host.deliverEnd(m.c);
        return;
      case 'k':
        host.grant(m.c, m.n);
        return;
    }
  }

  link(ch: ChannelPlan, epoch: number): ChannelLink {
    const from = this.plan.actors[ch.from];
    const peer = this.plan.actors[ch.to].worker;
    const ctx = { operator: from.operator, instance: from.instance };
    return {
      sendBatch: (records) => {
        const d = encodeBatch(records, ctx);
        this.outbox(peer).add({ t: 'b', c: ch.id, e: epoch, d }, d.buffer as ArrayBuffer);
      },
      sendBarrier: (id) => this.outbox(peer).add({ t: 'r', c: ch.id, e: epoch, id }),
      sendWatermark: (w, i) => this.outbox(peer).add({ t: 'w', c: ch.id, e: epoch, w, i }),
      sendEnd: () => this.outbox(peer).add({ t: 'e', c: ch.id, e: epoch }),
    };
  }

  creditLink(ch: ChannelPlan, epoch: number): CreditLink {
    const peer = this.plan.actors[ch.from].worker;
    return { grant: (n) => this.outbox(peer).credit(ch.id, epoch, n) };
  }

  close(): void {
    this.flush();
    for (const p of this.ports.values()) p.close();
    this.ports.clear();
  }
}
