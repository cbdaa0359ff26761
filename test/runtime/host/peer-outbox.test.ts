import { describe, expect, it } from 'vitest';
import { PeerOutbox } from '../../../runtime/host/peer-outbox.js';

describe('PeerOutbox: one frame per turn to a peer', () => {
  it('keeps the order of the messages and the buffers to transfer, and is empty after take()', () => {
    const o = new PeerOutbox();
    const d = new Uint8Array([1, 2, 3]);
    o.add({ t: 'b', c: 1, e: 0, d }, d.buffer as ArrayBuffer);
    o.add({ t: 'r', c: 1, e: 0, id: 7 });
    o.add({ t: 'e', c: 1, e: 0 });
    const { frame, transfer } = o.take();
    expect(frame.map((m) => m.t)).toEqual(['b', 'r', 'e']);
    expect(transfer).toEqual([d.buffer]);
    expect(o.empty).toBe(true);
    expect(o.take().frame).toEqual([]);
  });

  it('merges the credit of one channel and epoch into its first grant of the frame, not across channels, epochs or frames', () => {
    const o = new PeerOutbox();
    o.credit(3, 0, 1);
    o.add({ t: 'r', c: 4, e: 0, id: 1 });
    o.credit(3, 0, 1);
    o.credit(5, 0, 2);
    o.credit(3, 1, 1); // the channel's region restarted: a new epoch is a new grant
    o.credit(3, 1, 1);
    expect(o.take().frame).toEqual([
      { t: 'k', c: 3, e: 0, n: 2 },
      { t: 'r', c: 4, e: 0, id: 1 },
      { t: 'k', c: 5, e: 0, n: 2 },
      { t: 'k', c: 3, e: 1, n: 2 },
    ]);
    o.credit(3, 1, 1);
    expect(o.take().frame).toEqual([{ t: 'k', c: 3, e: 1, n: 1 }]);
  });
});
