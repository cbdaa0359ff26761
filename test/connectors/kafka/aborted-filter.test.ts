/**
 * The read_committed filter as a pure function (connectors/kafka/aborted-filter.ts):
 * for any interleaving of transactional producers, commits and aborts,
 * non-transactional records, and any fetch window, it keeps exactly the
 * committed and non-transactional records, whatever order the broker lists
 * the aborted transactions in (it lists them in abort order).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filterAborted, type AbortedTransaction, type FetchedRecord } from '../../../connectors/kafka/aborted-filter.js';

interface Rec extends FetchedRecord {
  value: string;
}

const CONTROL = (type: number) => Buffer.from([0, 0, 0, type]);

/** Builds a partition log from steps: [producer, action] with action 0 = write, 1 = commit, 2 = abort, 3 = plain write. */
function buildLog(steps: [number, number][], endings: number[]) {
  const log: Rec[] = [];
  const open = new Map<number, { first: number; values: string[] }>();
  const committed = new Set<string>();
  const aborted: (AbortedTransaction & { last: number })[] = [];
  const append = (producerId: string, inTransaction: boolean, value: string, key?: Buffer, isControlRecord = false) =>
    log.push({ offset: String(log.length), key: key ?? null, isControlRecord, batchContext: { producerId, inTransaction }, value });
  const end = (p: number, commit: boolean) => {
    const t = open.get(p);
    if (!t) return;
    open.delete(p);
    append(String(p), true, commit ? 'COMMIT' : 'ABORT', CONTROL(commit ? 1 : 0), true);
    if (commit) for (const v of t.values) committed.add(v);
    else aborted.push({ producerId: String(p), firstOffset: String(t.first), last: log.length - 1 });
  };
  steps.forEach(([p, action], i) => {
    if (action === 3) {
      const v = `plain-${i}`;
      append('-1', false, v);
      committed.add(v);
    } else if (action === 0) {
      const t = open.get(p) ?? { first: log.length, values: [] };
      open.set(p, t);
      const v = `p${p}-${i}`;
      t.values.push(v);
      append(String(p), true, v);
    } else end(p, action === 1);
  });
  [...open.keys()].forEach((p, k) => end(p, endings[k % endings.length] === 1));
  return { log, committed, aborted };
}

describe('read_committed filter', () => {
  it('keeps exactly the committed and non-transactional records of any fetch window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 1, maxLength: 4 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (steps, endings, s, e) => {
          const { log, committed, aborted } = buildLog(steps, endings);
          const start = Math.floor(s * log.length);
          const stop = start + Math.ceil(e * (log.length - start));
          const fetched = log.slice(start, stop);
          // The broker: aborted transactions overlapping the window, in the order they were aborted.
          const listed = aborted.filter((t) => t.last >= start && Number(t.firstOffset) < stop).map(({ producerId, firstOffset }) => ({ producerId, firstOffset }));
          const kept = filterAborted({ messages: fetched, abortedTransactions: listed }).filter((r) => !r.isControlRecord);
          const want = fetched.filter((r) => !r.isControlRecord && committed.has(r.value));
          expect(kept.map((r) => r.value)).toEqual(want.map((r) => r.value));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('drops an earlier-started transaction that aborted after a later one (the case kafkajs 2.2.4 gets wrong)', () => {
    const { log, aborted } = buildLog([[0, 0], [1, 0], [0, 0], [1, 2], [0, 2], [2, 0], [2, 1]], [0]);
    expect(aborted.map((t) => t.producerId)).toEqual(['1', '0']);
    const kept = filterAborted({ messages: log, abortedTransactions: aborted }).filter((r) => !r.isControlRecord);
    expect(kept.map((r) => r.value)).toEqual(['p2-5']);
  });

  it('returns the records as they are when nothing was aborted', () => {
    const { log } = buildLog([[0, 0], [0, 1], [3, 3]], [1]);
    expect(filterAborted({ messages: log, abortedTransactions: [] })).toBe(log);
  });
});
