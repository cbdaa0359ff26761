/**
 * How one write() call's rows go out (pure): rows of one partition are
 * grouped into unlogged batches (one partition: one replica set, one
 * mutation, no batch log), rows of different partitions go out alone, since
 * an unlogged batch over several partitions only moves the fan-out to a
 * coordinator node.
 *
 * Within a batch every row gets the batch's timestamp, and Cassandra breaks
 * ties between equal timestamps by comparing values, not by order: so a
 * primary key written twice in one call keeps only its last row (the same
 * statement writes the same columns, so the last row supersedes the
 * earlier ones entirely). Across calls, later writes carry later timestamps
 * (see timestamps.ts) and win whatever order they arrive in.
 */

/**
 * One record, bound: `partition` and `primary` are its partition key and full
 * primary key as encoded bytes (undefined when the statement does not bind
 * them all: such rows always go out alone).
 */
export interface Row<T> {
  record: T;
  params: unknown[];
  partition?: string;
  primary?: string;
}

/** One request: a single statement (one row) or an unlogged batch of rows of one partition. */
export type Unit<T> = Row<T>[];

export function planWrites<T>(rows: readonly Row<T>[], maxBatch: number): Unit<T>[] {
  // Groups in the order of their partition's first row; a lone row is a group of one.
  const groups: Row<T>[][] = [];
  const byPartition = new Map<string, Row<T>[]>();
  for (const row of rows) {
    if (row.partition === undefined || row.primary === undefined || maxBatch <= 1) {
      groups.push([row]);
      continue;
    }
    let group = byPartition.get(row.partition);
    if (!group) {
      group = [];
      byPartition.set(row.partition, group);
      groups.push(group);
    }
    group.push(row);
  }
  const units: Unit<T>[] = [];
  for (const g of groups) {
    if (g.length === 1) {
      units.push(g);
      continue;
    }
    const kept = lastPerPrimaryKey(g);
    for (let i = 0; i < kept.length; i += maxBatch) units.push(kept.slice(i, i + maxBatch));
  }
  return units;
}

/** The last row of each primary key, in the order of those last rows. */
function lastPerPrimaryKey<T>(rows: Row<T>[]): Row<T>[] {
  const last = new Map<string, number>();
  rows.forEach((r, i) => last.set(r.primary!, i));
  return last.size === rows.length ? rows : rows.filter((r, i) => last.get(r.primary!) === i);
}
