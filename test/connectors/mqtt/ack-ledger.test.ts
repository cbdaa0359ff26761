/**
 * The MQTT source's ack ledger against a model of a persistent MQTT session
 * (no broker, no threads): a broker with an in-flight window of
 * receiveMaximum that assigns packet ids in sequence and redelivers every
 * unacknowledged message, with its packet id, on reconnect; PUBACKs that are
 * lost when a connection drops (TCP: a suffix of those in transit); a job that
 * checkpoints, completes checkpoints and crashes (restoring ledger and state
 * from the last completed checkpoint). Property: at the end the state holds
 * every published message exactly once.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckLedger, messageKey, type LedgerSnapshot } from '../../../connectors/mqtt/ack-ledger.js';

type Op = 'deliver' | 'pull' | 'barrier' | 'complete' | 'ackArrive' | 'drop' | 'crash';
const TOPIC = 'sensors/x/temperature';

function simulate(total: number, window: number, ops: Op[], stats: Record<string, number>): string[] {
  // broker
  const queue = Array.from({ length: total }, (_, i) => `m${i}`);
  const inflight = new Map<number, string>();
  let nextPid = 1;
  // client
  let transit: number[] = []; // PUBACKs on the wire
  let received: { pid: number; msg: string }[] = [];
  let ledger = new AckLedger(2 * window);
  let state: string[] = [];
  const snapshots: { cp: number; ledger: LedgerSnapshot; state: string[] }[] = [];
  let completed: { ledger: LedgerSnapshot; state: string[] } | undefined;
  let cp = 0;
  const send = (pid: number, msg: string) => {
    const key = messageKey(pid, TOPIC, Buffer.from(msg));
    const seen = ledger.arrive(key);
    if (seen === 'ack-again') (transit.push(pid), stats.ackAgain++);
    if (seen === 'held') stats.held++;
    if (seen === 'new') received.push({ pid, msg });
  };
  const deliver = () => {
    while (inflight.size < window && queue.length > 0) {
      const pid = nextPid;
      nextPid = (nextPid % 65535) + 1;
      if (inflight.has(pid)) throw new Error('bug in the model: packet id in use');
      const msg = queue.shift()!;
      inflight.set(pid, msg);
      send(pid, msg);
    }
  };
  const reconnect = () => {
    for (const [pid, msg] of inflight) send(pid, msg);
  };
  const step = (op: Op) => {
    switch (op) {
      case 'deliver':
        return deliver();
      case 'pull': {
        for (const r of received) {
          ledger.emitted(messageKey(r.pid, TOPIC, Buffer.from(r.msg)));
          state.push(r.msg);
        }
        received = [];
        return;
      }
      case 'barrier':
        cp++;
        snapshots.push({ cp, ledger: ledger.checkpoint(cp), state: state.slice() });
        return;
      case 'complete': {
        const s = snapshots.shift();
        if (!s) return;
        completed = s;
        transit.push(...ledger.complete(s.cp));
        return;
      }
      case 'ackArrive':
        for (const pid of transit) inflight.delete(pid);
        transit = [];
        return;
      case 'drop':
        stats.drops++;
        transit = transit.slice(0, Math.floor(transit.length / 2)); // a suffix is lost
        for (const pid of transit) inflight.delete(pid);
        transit = [];
        return reconnect();
      case 'crash':
        stats.crashes++;
        transit = transit.slice(0, Math.floor(transit.length / 2));
        for (const pid of transit) inflight.delete(pid);
        transit = [];
        received = [];
        snapshots.length = 0;
        ledger = new AckLedger(2 * window);
        if (completed) ledger.restore([completed.ledger]);
        state = completed ? completed.state.slice() : [];
        return reconnect();
    }
  };
  for (const op of ops) step(op);
  // Fault-free until everything is through.
  for (let guard = 0; (queue.length > 0 || inflight.size > 0 || received.length > 0) && guard < 10_000; guard++) {
    for (const op of ['deliver', 'pull', 'barrier', 'complete', 'ackArrive'] as Op[]) step(op);
  }
  return state;
}

describe('AckLedger', () => {
  it('tells redeliveries from new messages: the state holds every message exactly once across drops and crashes', () => {
    const stats = { crashes: 0, drops: 0, ackAgain: 0, held: 0, runs: 0 };
    const op = fc.constantFrom<Op>('deliver', 'deliver', 'pull', 'pull', 'barrier', 'complete', 'ackArrive', 'ackArrive', 'drop', 'crash');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 8 }), fc.array(op, { minLength: 0, maxLength: 300, size: 'max' }), (total, window, ops) => {
        stats.runs++;
        const state = simulate(total, window, ops, stats);
        expect(state.slice().sort()).toEqual(Array.from({ length: total }, (_, i) => `m${i}`).sort());
      }),
      { numRuns: 300 },
    );
    // The runs exercised what the ledger is for.
    expect(stats.crashes).toBeGreaterThan(100);
    expect(stats.drops).toBeGreaterThan(100);
    expect(stats.ackAgain).toBeGreaterThan(10);
    expect(stats.held).toBeGreaterThan(10);
  });

  it('forgets acked identities beyond its memory, and a lost session voids pending acks', () => {
    const l = new AckLedger(2);
    const k = (pid: number) => messageKey(pid, 't', Buffer.from('p'));
    // One unacked message at a time: it remembers max(memory 2, 2 x 1) acked identities.
    for (const pid of [1, 2, 3]) {
      expect(l.arrive(k(pid))).toBe('new');
      l.emitted(k(pid));
      l.checkpoint(pid);
      expect(l.complete(pid)).toEqual([pid]);
    }
    expect(l.arrive(k(1))).toBe('new'); // beyond memory: forgotten
    expect(l.arrive(k(3))).toBe('ack-again');
    l.emitted(k(1));
    expect(l.sessionLost()).toBe(1);
    l.checkpoint(4);
    expect(l.complete(4)).toEqual([]); // no PUBACK for a packet id of the lost session
  });

  it('remembers twice the most messages it held unacked at once, when that exceeds its memory', () => {
    const l = new AckLedger(2);
    const k = (pid: number) => messageKey(pid, 't', Buffer.from('p'));
    for (let pid = 1; pid <= 5; pid++) (l.arrive(k(pid)), l.emitted(k(pid)));
    l.checkpoint(1);
    expect(l.complete(1)).toEqual([1, 2, 3, 4, 5]);
    for (let pid = 1; pid <= 5; pid++) expect(l.arrive(k(pid))).toBe('ack-again');
  });

  it('keys differ by topic, payload and packet id', () => {
    const a = messageKey(7, 'a/b', Buffer.from('x'));
    expect(messageKey(7, 'a/b', Buffer.from('x'))).toBe(a);
    expect(messageKey(8, 'a/b', Buffer.from('x'))).not.toBe(a);
    expect(messageKey(7, 'a/c', Buffer.from('x'))).not.toBe(a);
    expect(messageKey(7, 'a/b', Buffer.from('y'))).not.toBe(a);
    expect(messageKey(7, 'a', Buffer.from('/bx'))).not.toBe(a);
  });
});
