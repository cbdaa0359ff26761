/**
 * The in-process state backend, for tests and `weir/testing`: plain maps.
 * Bytes are copied on put and on get, and metas on commit and list, so a
 * caller can never alias (and so mutate) what is stored. Nothing survives the
 * process.
 */
import type { CheckpointMeta, JobResultRecord, StateBackend } from './backend.js';
import { copyMeta, validateMeta } from './checkpoint-meta.js';
import { StateBackendClosedError } from './errors.js';
import { planGc } from './gc-plan.js';
import { decodeResult, encodeResult, validateResult } from './job-result.js';
import { validateBlobName, validateCheckpointId, validateJob, validateKeep } from './names.js';

interface JobState {
  /** checkpoint id -> blob name -> bytes */
  blobs: Map<number, Map<string, Uint8Array>>;
  /** committed checkpoints */
  metas: Map<number, CheckpointMeta>;
  /** the job result record, encoded */
  result?: string;
}

/** A new, empty in-memory state backend. */
export function memoryBackend(): StateBackend {
  return new MemoryBackend();
}

class MemoryBackend implements StateBackend {
  readonly kind = 'memory' as const;
  readonly description = 'memory';
  private readonly jobs = new Map<string, JobState>();
  private closed = false;

  async putBlob(job: string, checkpointId: number, name: string, bytes: Uint8Array): Promise<void> {
    this.check('putBlob', job);
    validateCheckpointId(checkpointId);
    validateBlobName(name);
    const state = this.jobState(job);
    let blobs = state.blobs.get(checkpointId);
    if (!blobs) state.blobs.set(checkpointId, (blobs = new Map()));
    blobs.set(name, new Uint8Array(bytes));
  }

  async getBlob(job: string, checkpointId: number, name: string): Promise<Uint8Array | undefined> {
    this.check('getBlob', job);
    validateCheckpointId(checkpointId);
    validateBlobName(name);
    const bytes = this.jobs.get(job)?.blobs.get(checkpointId)?.get(name);
    return bytes === undefined ? undefined : new Uint8Array(bytes);
  }

  async commit(meta: CheckpointMeta): Promise<void> {
    this.check('commit', meta?.job);
    validateMeta(meta);
    this.jobState(meta.job).metas.set(meta.id, copyMeta(meta));
  }

  async list(job: string): Promise<CheckpointMeta[]> {
    this.check('list', job);
    const metas = [...(this.jobs.get(job)?.metas.values() ?? [])];
    return metas.sort((a, b) => b.id - a.id).map(copyMeta);
  }

  async gc(job: string, keep: number): Promise<void> {
    this.check('gc', job);
    validateKeep(keep);
    const state = this.jobs.get(job);
    if (!state) return;
    const plan = planGc([...state.metas.values()], state.blobs.keys(), keep);
    for (const id of plan.dropCommitted) {
      state.metas.delete(id);
      state.blobs.delete(id);
    }
    for (const id of plan.dropUncommitted) state.blobs.delete(id);
  }

  async putResult(result: JobResultRecord): Promise<void> {
    this.check('putResult', result?.job);
    validateResult(result);
    this.jobState(result.job).result = encodeResult(result);
  }

  async getResult(job: string): Promise<JobResultRecord | undefined> {
    this.check('getResult', job);
    const text = this.jobs.get(job)?.result;
    return text === undefined ? undefined : decodeResult(text);
  }

  async deleteResult(job: string): Promise<void> {
    this.check('deleteResult', job);
    const state = this.jobs.get(job);
    if (state) delete state.result;
  }

  async clear(job: string): Promise<void> {
    this.check('clear', job);
    this.jobs.delete(job);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.jobs.clear();
  }

  private check(operation: string, job: unknown): void {
    if (this.closed) throw new StateBackendClosedError(this.description, operation);
    validateJob(job);
  }

  private jobState(job: string): JobState {
    let state = this.jobs.get(job);
    if (!state) this.jobs.set(job, (state = { blobs: new Map(), metas: new Map() }));
    return state;
  }
}
