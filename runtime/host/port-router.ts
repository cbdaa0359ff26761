/**
 * Cross-worker channels: one MessagePort per pair of workers carries the
 * traffic of every channel between them, tagged with the channel id. Batches
 * are msgpackr-encoded and their buffers transferred; end events and credit
 * ride the same port, so per-channel order is the port's FIFO order.
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

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly worker: number,
    private readonly onError: (e: unknown) => void,
  ) {}

  attach(host: ActorHost): void {
    this.host = host;
  }

  addPeer(peer: number, port: MessagePort): void {
    this.ports.set(peer, port);
    port.on('message', (m: PeerMessage) => {
      try {
        this.receive(m);
      } catch (e) {
        this.onError(e);
      }
    });
  }

  private port(peer: number): MessagePort {
    const p = this.ports.get(peer);
    if (!p) throw new Error(`bug: worker ${this.worker} has no port to worker ${peer}`);
    return p;
  }

  private receive(m: PeerMessage): void {
    const host = this.host!;
    switch (m.t) {
      case 'b':
        host.deliverBatch(m.c, decodeBatch(m.d));
        return;
      case 'e':
        host.deliverEnd(m.c);
        return;
      case 'k':
        host.grant(m.c, m.n);
        return;
    }
  }

  link(ch: ChannelPlan): ChannelLink {
    const from = this.plan.actors[ch.from];
    const peer = this.plan.actors[ch.to].worker;
    const ctx = { operator: from.operator, instance: from.instance };
    return {
      sendBatch: (records) => {
        const d = encodeBatch(records, ctx);
        const msg: PeerMessage = { t: 'b', c: ch.id, d };
        this.port(peer).postMessage(msg, [d.buffer as ArrayBuffer]);
      },
      sendEnd: () => this.port(peer).postMessage({ t: 'e', c: ch.id } satisfies PeerMessage),
    };
  }

  creditLink(ch: ChannelPlan): CreditLink {
    const peer = this.plan.actors[ch.from].worker;
    return { grant: (n) => this.port(peer).postMessage({ t: 'k', c: ch.id, n } satisfies PeerMessage) };
  }

  close(): void {
    for (const p of this.ports.values()) p.close();
    this.ports.clear();
  }
}
