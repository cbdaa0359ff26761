/**
 * The traffic to one peer worker produced in one turn of the event loop,
 * sent as one frame (one postMessage) at the end of the turn.
 *
 * Why: each postMessage costs both threads far more than the few bytes of a
 * credit or a barrier (a structured clone, a wake-up of the receiving loop,
 * one 'message' event with its microtask checkpoint). A scheduler slice that
 * consumes four batches from a peer and sends it four would post eight
 * messages; framed, it posts one.
 *
 * Invariants:
 * - Messages keep their order within a frame, and frames to one peer go out
 *   in order over its one port, so per-channel FIFO order is the port's.
 * - Credit grants of one channel (and epoch) in one frame are merged into
 *   the first one. Credit is the only traffic of a channel flowing from its
 *   receiver to its sender, so merging reorders nothing within a channel.
 * Pure bookkeeping: the port router posts what `take()` returns.
 */
import type { PeerFrame, PeerMessage } from './protocol.js';

type Credit = Extract<PeerMessage, { t: 'k' }>;

export class PeerOutbox {
  private messages: PeerMessage[] = [];
  private transfer: ArrayBuffer[] = [];
  /** Credit messages of the open frame, by channel id. */
  private readonly credits = new Map<number, Credit>();

  get empty(): boolean {
    return this.messages.length === 0;
  }

  add(m: PeerMessage, transfer?: ArrayBuffer): void {
    this.messages.push(m);
    if (transfer) this.transfer.push(transfer);
  }

  credit(c: number, e: number, n: number): void {
    const open = this.credits.get(c);
    if (open !== undefined && open.e === e) {
      open.n += n;
      return;
    }
    const m: Credit = { t: 'k', c, e, n };
    this.credits.set(c, m);
    this.messages.push(m);
  }

  /** The open frame and its buffers to transfer; the outbox is empty after. */
  take(): { frame: PeerFrame; transfer: ArrayBuffer[] } {
    const taken = { frame: this.messages, transfer: this.transfer };
    this.messages = [];
    this.transfer = [];
    this.credits.clear();
    return taken;
  }
}
