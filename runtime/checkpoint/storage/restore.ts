/**
 * Reading checkpoints back, with every blob verified against the size and
 * sha256 recorded in its checkpoint's meta.
 *
 * - `latestValid`: recovery after a failure or a process restart. Walks the
 *   committed checkpoints newest first and returns the first one whose blobs
 *   are all present and intact; a damaged one is reported through `onCorrupt`
 *   and skipped. Backend errors (e.g. STATE_BACKEND_UNAVAILABLE) are thrown,
 *   never mistaken for corruption: falling back past an intact checkpoint
 *   because Redis blinked would silently rewind the job.
 * - `loadCheckpoint`: restore from a chosen checkpoint or savepoint id; throws
 *   CHECKPOINT_NOT_FOUND / CHECKPOINT_CORRUPT instead of falling back.
 */
import type { CheckpointMeta, StateBackend } from './backend.js';
import { verifyBlob } from './checksum.js';
import { CheckpointCorruptError, CheckpointNotFoundError } from './errors.js';
import { validateCheckpointId, validateJob } from './names.js';

export interface RestoredCheckpoint {
  meta: CheckpointMeta;
  /** Blob name -> verified bytes, for every blob in `meta.blobs`. */
  blobs: Map<string, Uint8Array>;
}

export interface LatestValidOptions {
  /** Called once per bad blob of a skipped checkpoint (e.g. to log a warning). */
  onCorrupt?(meta: CheckpointMeta, blobName: string, reason: string): void;
}

/** How many blobs of one checkpoint are read at once. */
const READ_CONCURRENCY = 8;

/** The newest committed checkpoint of `job` whose blobs all verify, or undefined when there is none. */
export async function latestValid(backend: StateBackend, job: string, opts: LatestValidOptions = {}): Promise<RestoredCheckpoint | undefined> {
  validateJob(job);
  for (const meta of await backend.list(job)) {
    const { blobs, problems } = await readVerified(backend, meta);
    if (problems.length === 0) return { meta, blobs };
    for (const p of problems) opts.onCorrupt?.(meta, p.blob, p.reason);
  }
  return undefined;
}

/** Checkpoint `id` of `job` with verified blobs; throws CheckpointNotFoundError or CheckpointCorruptError. */
export async function loadCheckpoint(backend: StateBackend, job: string, id: number): Promise<RestoredCheckpoint> {
  validateJob(job);
  validateCheckpointId(id);
  const metas = await backend.list(job);
  const meta = metas.find((m) => m.id === id);
  if (!meta) {
    throw new CheckpointNotFoundError(
      backend.description,
      job,
      id,
      metas.map((m) => m.id),
    );
  }
  const { blobs, problems } = await readVerified(backend, meta);
  if (problems.length > 0) throw new CheckpointCorruptError(backend.description, job, id, problems);
  return { meta, blobs };
}

async function readVerified(
  backend: StateBackend,
  meta: CheckpointMeta,
): Promise<{ blobs: Map<string, Uint8Array>; problems: { blob: string; reason: string }[] }> {
  const entries = Object.entries(meta.blobs);
  const blobs = new Map<string, Uint8Array>();
  const problems: { blob: string; reason: string }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < entries.length) {
      const [name, info] = entries[next++];
      const bytes = await backend.getBlob(meta.job, meta.id, name);
      const reason = verifyBlob(bytes, info);
      if (reason === undefined) blobs.set(name, bytes!);
      else problems.push({ blob: name, reason });
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, entries.length) }, worker));
  // Report in the meta's order, whatever order the reads finished in.
  const order = new Map(entries.map(([name], i) => [name, i]));
  problems.sort((a, b) => order.get(a.blob)! - order.get(b.blob)!);
  return { blobs: new Map(entries.filter(([n]) => blobs.has(n)).map(([n]) => [n, blobs.get(n)!])), problems };
}
