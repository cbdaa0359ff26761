/** chooseStart (pure): where a task starts an input partition its group has no offset for. */
import { describe, expect, it } from 'vitest';
import { chooseStart } from '../../../runtime/cluster/start-positions.js';

const at = { low: 5, end: 40 };

describe('chooseStart', () => {
  it('repartition topics start at their low offset, whatever the source says', () => {
    expect(chooseStart({ topic: 'r', kind: 'repartition', startFrom: 'latest' }, at)).toBe(5);
  });
  it("'earliest' is the low offset, 'latest' the read_committed end", () => {
    expect(chooseStart({ topic: 's', kind: 'source', startFrom: 'earliest' }, at)).toBe(5);
    expect(chooseStart({ topic: 's', kind: 'source', startFrom: 'latest' }, at)).toBe(40);
  });
  it("'committed' (the default) is the source group's offset, clamped to what the partition holds, else the low offset", () => {
    expect(chooseStart({ topic: 's', kind: 'source' }, { ...at, sourceGroup: 12 })).toBe(12);
    expect(chooseStart({ topic: 's', kind: 'source', startFrom: 'committed' }, { ...at, sourceGroup: 2 })).toBe(5); // deleted by retention
    expect(chooseStart({ topic: 's', kind: 'source', startFrom: 'committed' }, { ...at, sourceGroup: 99 })).toBe(40);
    expect(chooseStart({ topic: 's', kind: 'source', startFrom: 'committed' }, at)).toBe(5);
  });
});
