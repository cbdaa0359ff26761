/**
 * Which fetched records belong to aborted transactions: the read_committed
 * filter, as a pure function over one partition's fetched records.
 *
 * Why weir has its own: kafkajs 2.2.4's filter (consumer/filterAbortedMessages)
 * assumes the fetch response lists aborted transactions sorted by first
 * offset and activates at most one per record. The broker lists them in the
 * order they were aborted (its transaction index), so when two producers'
 * transactions interleave in a partition and the later-started one aborts
 * first, kafkajs delivers records of the earlier one as if committed. That
 * happens whenever a restarted exactly-once job fences two sink instances at
 * once; test/integration/kafka/read-committed.test.ts shows it on a broker.
 *
 * This follows Kafka's Java Fetcher: the aborted transactions are taken in
 * first-offset order (a priority queue there), every one starting at or
 * before the current record is activated, a producer's transactional records
 * are dropped while it is active, and its ABORT control record ends that.
 */

/** A record as kafkajs decodes it (only the fields the filter reads). */
export interface FetchedRecord {
  offset: string;
  key?: Buffer | Uint8Array | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** An entry of a fetch response's aborted transactions list. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** A control record's key is version (int16) then type (int16); type 0 is ABORT. */
function isAbortMarker(r: FetchedRecord): boolean {
  const k = r.key;
  return r.isControlRecord !== false && !!k && k.length >= 4 && k[0] === 0 && k[1] === 0 && k[2] === 0 && k[3] === 0;
}

export function filterAborted<R extends FetchedRecord>({ messages, abortedTransactions }: { messages: R[]; abortedTransactions?: AbortedTransaction[] | null }): R[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const queue = abortedTransactions.map((t) => ({ producerId: String(t.producerId), first: BigInt(t.firstOffset) })).sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const active = new Set<string>();
  let next = 0;
  return messages.filter((r) => {
    const offset = BigInt(r.offset);
    while (next < queue.length && queue[next].first <= offset) active.add(queue[next++].producerId);
    const { producerId, inTransaction } = r.batchContext;
    if (isAbortMarker(r)) {
      active.delete(producerId);
      return true; // control records are dropped by the caller, as kafkajs does
    }
    return !(inTransaction && active.has(producerId));
  });
}
