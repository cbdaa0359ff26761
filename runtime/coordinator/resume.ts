/**
 * Where a job starts: an explicit savepoint, or the latest valid checkpoint
 * of a run of the same job id that did not finish (a damaged one is skipped
 * for an older one), or nothing (a fresh start).
 */
import type { Logger } from '../../actors/contract.js';
import type { StateBackend } from '../checkpoint/storage/backend.js';
import { latestValid, loadCheckpoint } from '../checkpoint/storage/restore.js';
import type { CheckpointData } from '../checkpoint/restore-plan.js';

/** `fresh`: ignore the checkpoints of earlier runs (`--fresh`); an explicit savepoint still counts. */
export async function restoreTarget(b: StateBackend, jobId: string, fromSavepoint: number | undefined, log: Logger, fresh = false): Promise<CheckpointData | undefined> {
  const toData = (r: { meta: { id: number; parallelism: Record<string, number> }; blobs: Map<string, Uint8Array> }): CheckpointData => ({
    id: r.meta.id,
    parallelism: r.meta.parallelism,
    blobs: r.blobs,
  });
  if (fromSavepoint !== undefined) {
    const r = await loadCheckpoint(b, jobId, fromSavepoint);
    log.info({ checkpoint: r.meta.id }, `restoring job '${jobId}' from ${r.meta.kind} ${r.meta.id}`);
    return toData(r);
  }
  const latest = fresh ? undefined : await latestValid(b, jobId, {
    onCorrupt: (meta, blob, reason) => log.warn({ checkpoint: meta.id, blob, reason }, `checkpoint ${meta.id} is damaged (${blob}: ${reason}); falling back to an older one`),
  });
  if (!latest || latest.meta.kind === 'final') return undefined; // a finished run: start afresh
  log.warn({ checkpoint: latest.meta.id }, `resuming job '${jobId}' from checkpoint ${latest.meta.id}`);
  return toData(latest);
}
