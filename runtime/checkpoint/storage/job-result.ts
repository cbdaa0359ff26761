/**
 * The job result record: how a job's last run ended, kept beside its
 * checkpoints so that a rerun of a finished job does not process its input
 * a second time (as Flink's JobResultStore). Only a run whose sources ended
 * is recorded, and only after its final checkpoint committed and its sinks
 * committed that checkpoint's output: the record is the last step of a
 * finish, so its presence means the output is complete.
 *
 * Stored as JSON (UTF-8), like checkpoint metadata. Decoding is total: a
 * damaged record decodes to `undefined` (read as "not recorded": the next run
 * then finishes the final checkpoint's commit again, idempotently, and
 * records it anew).
 */
import { ConfigError } from '../../../actors/errors.js';
import type { JobResultRecord } from './backend.js';
import { validateCheckpointId, validateJob } from './names.js';

/** Throws ConfigError naming the first bad field. */
export function validateResult(r: JobResultRecord): void {
  if (typeof r !== 'object' || r === null) throw new ConfigError(`invalid job result: expected an object, got ${String(r)}`);
  validateJob(r.job);
  const bad = (field: string, expected: string): never => {
    throw new ConfigError(`invalid job result (job '${r.job}'): ${field} must be ${expected}`, { job: r.job, field });
  };
  if (r.status !== 'finished') bad('status', "'finished'");
  if (typeof r.finishedAt !== 'number' || !Number.isFinite(r.finishedAt)) bad('finishedAt', 'a finite number (ms)');
  validateCheckpointId(r.checkpoint);
  if (typeof r.fingerprint !== 'string') bad('fingerprint', 'a string');
}

export function encodeResult(r: JobResultRecord): string {
  return JSON.stringify({ job: r.job, status: r.status, finishedAt: r.finishedAt, checkpoint: r.checkpoint, fingerprint: r.fingerprint });
}

/** The record, or undefined when `text` is not a valid encoded record. */
export function decodeResult(text: string): JobResultRecord | undefined {
  try {
    const value = JSON.parse(text) as JobResultRecord;
    validateResult(value);
    return value;
  } catch {
    return undefined;
  }
}
