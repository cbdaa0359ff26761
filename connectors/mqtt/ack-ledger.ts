/**
 * The MQTT source's acknowledgement ledger: a pure core (no I/O, no clock)
 * that decides, for each PUBLISH the broker delivers, whether it is new or a
 * redelivery the job's state already holds, and which packet ids to PUBACK
 * when a checkpoint completes.
 *
 * Why it is needed. A QoS 1 message is acknowledged only once the checkpoint
 * covering it completes; the broker (persistent session) redelivers every
 * unacknowledged message on reconnect, with its original packet id. Some of
 * those the restored state has seen: the checkpoint completed but the PUBACK
 * never reached the broker (kill -9 between the two, a connection dropped
 * with acks unsent). A redelivery carries nothing but its packet id, topic
 * and payload, so a message is identified by (packet id, hash of topic and
 * payload).
 *
 * Invariants:
 * - `pending` holds every message emitted downstream and not yet acked, in
 *   arrival order, tagged with the first checkpoint that covers it;
 * - `acked` holds the last acked identities. Acks travel in order on one
 *   connection, so a message whose PUBACK was lost is among the last N acked,
 *   N = the most messages the broker had unacknowledged at once. That is
 *   receiveMaximum by the protocol, but Mosquitto 2.0.11 was measured to send
 *   past it once a batch of acks arrives (bench/mqtt.ts), so the ledger keeps
 *   max(`memory`, 2 x the most messages it ever held unacked at once);
 * - the checkpoint holds `pending` and `acked`: after a restore everything in
 *   both is in the state (the checkpoint completed), so both count as acked,
 *   and a redelivery of one of them is acked again at once and dropped.
 * A new message is mistaken for a redelivery only if it has the same packet
 * id, topic and payload as one of those: brokers such as Mosquitto assign
 * packet ids in sequence (65,535 before one repeats), far more than the
 * ledger remembers.
 */

/** (packet id << 32) | fnv1a32(topic, payload): exact in a double (48 bits). */
export type MessageKey = number;

export function messageKey(packetId: number, topic: string, payload: Uint8Array): MessageKey {
  let h = 0x811c9dc5;
  for (let i = 0; i < topic.length; i++) {
    h ^= topic.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= 0xff; // separator: "a" + "bc" differs from "ab" + "c"
  h = Math.imul(h, 0x01000193);
  for (let i = 0; i < payload.length; i++) {
    h ^= payload[i];
    h = Math.imul(h, 0x01000193);
  }
  return (packetId & 0xffff) * 0x1_0000_0000 + (h >>> 0);
}

export const packetIdOf = (key: MessageKey): number => Math.floor(key / 0x1_0000_0000);

/** Checkpointed ledger: identities as 6-byte records (packet id u16, hash u32). */
export interface LedgerSnapshot {
  /** Emitted, not yet acked (all of it is in the checkpoint's state). */
  pending: Uint8Array;
  /** Recently acked. */
  acked: Uint8Array;
}

export type Arrival = 'new' | 'held' | 'ack-again';

export class AckLedger {
  private pending: { key: MessageKey; cp: number; ack: boolean }[] = [];
  private pendingKeys = new Set<MessageKey>();
  /** Received, waiting in the source's queue, not emitted yet. */
  private queued = new Set<MessageKey>();
  /** Queued before the broker lost our session: their packet ids are void. */
  private orphaned = new Set<MessageKey>();
  private acked: MessageKey[] = [];
  private ackedHead = 0;
  private ackedKeys = new Set<MessageKey>();
  /** Most messages held unacked (queued + pending) at once: a lower bound of the broker's real window. */
  private highWater = 0;

  constructor(private readonly memory: number) {
    if (!(memory > 0)) throw new Error(`bug: AckLedger memory must be positive, got ${memory}`);
  }

  /**
   * A PUBLISH arrived. 'new': emit it, then `emitted(key)`. 'held': a
   * redelivery of a pending message (its PUBACK goes out with its checkpoint,
   * by packet id, on the current connection). 'ack-again': a redelivery of an
   * acked message: PUBACK it now, drop it.
   */
  arrive(key: MessageKey): Arrival {
    if (this.pendingKeys.has(key) || this.queued.has(key)) return 'held';
    if (this.ackedKeys.has(key)) return 'ack-again';
    this.queued.add(key);
    this.highWater = Math.max(this.highWater, this.queued.size + this.pending.length);
    return 'new';
  }

  /** A new message went downstream (or to the dead-letter path): acked once the next checkpoint completes. */
  emitted(key: MessageKey): void {
    this.queued.delete(key);
    const ack = !this.orphaned.delete(key);
    this.pending.push({ key, cp: Number.POSITIVE_INFINITY, ack });
    this.pendingKeys.add(key);
  }

  /** Barrier `cp`: everything emitted so far is covered by it. Returns the snapshot. */
  checkpoint(cp: number): LedgerSnapshot {
    for (let i = this.pending.length - 1; i >= 0 && this.pending[i].cp === Number.POSITIVE_INFINITY; i--) this.pending[i].cp = cp;
    return { pending: pack(this.pending.map((p) => p.key)), acked: pack(this.ackedList()) };
  }

  /** Checkpoint `cp` completed: the packet ids to PUBACK, in arrival order. */
  complete(cp: number): number[] {
    let n = 0;
    while (n < this.pending.length && this.pending[n].cp <= cp) n++;
    if (n === 0) return [];
    const done = this.pending.splice(0, n);
    const ids: number[] = [];
    for (const p of done) {
      this.pendingKeys.delete(p.key);
      this.remember(p.key);
      if (p.ack) ids.push(packetIdOf(p.key));
    }
    return ids;
  }

  /** Restore: what the checkpoints held is in the state, acked or not: all of it counts as acked. */
  restore(snapshots: readonly LedgerSnapshot[]): void {
    for (const s of snapshots) {
      for (const k of unpack(s.acked)) this.remember(k);
      for (const k of unpack(s.pending)) this.remember(k);
    }
  }

  /**
   * The broker started a fresh session (it lost ours): it will never redeliver
   * nor accept acks for the old packet ids. Pending acks are void.
   */
  sessionLost(): number {
    let n = 0;
    for (const p of this.pending) if (p.ack) ((p.ack = false), n++);
    for (const k of this.queued) this.orphaned.add(k);
    // Nothing of the old session is redelivered: remembered identities could only match new messages.
    this.acked = [];
    this.ackedHead = 0;
    this.ackedKeys.clear();
    return n + this.queued.size;
  }

  /** Messages received and not yet acknowledged (queued or waiting for their checkpoint). */
  get unackedCount(): number {
    return this.queued.size + this.pending.length;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  private remember(key: MessageKey): void {
    if (this.ackedKeys.has(key)) return;
    this.acked.push(key);
    this.ackedKeys.add(key);
    const keep = Math.max(this.memory, 2 * this.highWater);
    while (this.acked.length - this.ackedHead > keep) this.ackedKeys.delete(this.acked[this.ackedHead++]);
    if (this.ackedHead > 4096 && this.ackedHead * 2 > this.acked.length) {
      this.acked = this.acked.slice(this.ackedHead);
      this.ackedHead = 0;
    }
  }

  private ackedList(): MessageKey[] {
    return this.acked.slice(this.ackedHead);
  }
}

function pack(keys: readonly MessageKey[]): Uint8Array {
  const out = new Uint8Array(keys.length * 6);
  const view = new DataView(out.buffer);
  for (let i = 0; i < keys.length; i++) {
    view.setUint16(i * 6, packetIdOf(keys[i]));
    view.setUint32(i * 6 + 2, keys[i] % 0x1_0000_0000);
  }
  return out;
}

function unpack(bytes: Uint8Array | undefined): MessageKey[] {
  if (!bytes) return [];
  const b = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes as ArrayLike<number>);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: MessageKey[] = [];
  for (let i = 0; i + 6 <= b.byteLength; i += 6) out.push(view.getUint16(i) * 0x1_0000_0000 + view.getUint32(i + 2));
  return out;
}
