/**
 * Cross-worker channels: one MessagePort per pair of workers carries the
 * traffic of every channel between them, tagged with the channel id and the
 * epoch of the channel's failover region. Batches are msgpackr-encoded and
 * their buffers transferred; barriers, end events and credit ride the same
 * port, so per-channel order is the port's FIFO order.
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
import type { PeerMessage } from './protocol.js';

export class PortRouter implements RemoteLinks {
  private readonly ports = new Map<number, MessagePort>();
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
    this.ports.set(peer, port);
    port.on('message', (m: PeerMessage) => {
      try {
        this.receive(m);
      } catch (e) {
        this.onError(e);
      }
    });
  }

  private port(peer: number): MessagePort | undefined {
    return this.ports.get(peer);
  }

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
    // A peer that is gone (being replaced) drops traffic: its region restarts anyway.
    return {
      sendBatch: (records) => {
        const d = encodeBatch(records, ctx);
        this.port(peer)?.postMessage({ t: 'b', c: ch.id, e: epoch, d } satisfies PeerMessage, [d.buffer as ArrayBuffer]);
      },
      sendBarrier: (id) => this.port(peer)?.postMessage({ t: 'r', c: ch.id, e: epoch, id } satisfies PeerMessage),
      sendWatermark: (w, i) => this.port(peer)?.postMessage({ t: 'w', c: ch.id, e: epoch, w, i } satisfies PeerMessage),
      sendEnd: () => this.port(peer)?.postMessage({ t: 'e', c: ch.id, e: epoch } satisfies PeerMessage),
    };
  }

  creditLink(ch: ChannelPlan, epoch: number): CreditLink {
    const peer = this.plan.actors[ch.from].worker;
    return { grant: (n) => this.port(peer)?.postMessage({ t: 'k', c: ch.id, e: epoch, n } satisfies PeerMessage) };
  }

  close(): void {
    for (const p of this.ports.values()) p.close();
    this.ports.clear();
  }
}
