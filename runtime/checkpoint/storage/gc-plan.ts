/**
 * What `gc(job, keep)` deletes, as a pure function shared by all backends.
 *
 * Invariants:
 * - every savepoint is retained;
 * - of kinds 'checkpoint' and 'final', the `keep` newest (highest id) are retained;
 * - an uncommitted checkpoint (blobs without metadata) is deleted only when its
 *   id is below the newest committed id: one above it may still be in progress.
 * Backends delete a committed checkpoint's metadata before its blobs, so a
 * crash mid-gc leaves only unreferenced blobs, never metadata without blobs.
 */
import type { CheckpointMeta } from './backend.js';

export interface GcPlan {
  /** Committed checkpoint ids to delete (metadata first, then blobs). */
  dropCommitted: number[];
  /** Ids holding blobs but no metadata, to delete. */
  dropUncommitted: number[];
}

/**
 * @param committed committed metas of one job, any order
 * @param storedIds ids that hold any data (blobs or metadata), any order
 * @param keep how many 'checkpoint'/'final' checkpoints to retain
 */
export function planGc(committed: readonly CheckpointMeta[], storedIds: Iterable<number>, keep: number): GcPlan {
  const newestFirst = [...committed].sort((a, b) => b.id - a.id);
  const committedIds = new Set(newestFirst.map((m) => m.id));
  const dropCommitted: number[] = [];
  let kept = 0;
  for (const meta of newestFirst) {
    if (meta.kind === 'savepoint') continue;
    if (kept < keep) kept++;
    else dropCommitted.push(meta.id);
  }
  const newest = newestFirst.length > 0 ? newestFirst[0].id : -1;
  const dropUncommitted = [...new Set(storedIds)].filter((id) => !committedIds.has(id) && id < newest).sort((a, b) => a - b);
  return { dropCommitted, dropUncommitted };
}
