/** purgeRequests (pure): which repartition partitions to purge, up to which offset. */
import { describe, expect, it } from 'vitest';
import { purgeRequests } from '../../../runtime/cluster/repartition-purge.js';

describe('purgeRequests', () => {
  it('asks only for positions past the last purge, grouped by topic', () => {
    const purged = new Map([
      ['a:0', 10],
      ['a:1', 7],
    ]);
    const committed = [
      { topic: 'a', partition: 0, offset: 10 }, // nothing new
      { topic: 'a', partition: 1, offset: 9 },
      { topic: 'b', partition: 2, offset: 3 },
      { topic: 'b', partition: 0, offset: 0 }, // nothing consumed yet
    ];
    expect(purgeRequests(purged, committed)).toEqual([
      { topic: 'a', partitions: [{ partition: 1, offset: '9' }] },
      { topic: 'b', partitions: [{ partition: 2, offset: '3' }] },
    ]);
    expect(purgeRequests(purged, [])).toEqual([]);
  });
});
