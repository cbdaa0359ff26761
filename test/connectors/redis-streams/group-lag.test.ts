// Tests connectors/redis-streams/group-lag.ts's reply parsing (the live reading is in test/integration/mqtt/source-lag.test.ts).
import { describe, expect, it } from 'vitest';
import { groupLag } from '../../../connectors/redis-streams/group-lag.js';

// An XINFO GROUPS reply of Redis 7.0 (two groups), as ioredis returns it.
const reply = [
  ['name', 'other', 'consumers', 1, 'pending', 0, 'last-delivered-id', '0-0', 'entries-read', null, 'lag', 5],
  ['name', 'weir', 'consumers', 2, 'pending', 3, 'last-delivered-id', '1-7', 'entries-read', 7, 'lag', 42],
];

describe('groupLag', () => {
  it("reads the named group's lag", () => {
    expect(groupLag(reply, 'weir')).toBe(42);
    expect(groupLag(reply, 'other')).toBe(5);
  });
  it('is unknown for a missing group or a null lag (Redis cannot tell after deletions)', () => {
    expect(groupLag(reply, 'none')).toBeUndefined();
    expect(groupLag([['name', 'weir', 'lag', null]], 'weir')).toBeUndefined();
  });
});
