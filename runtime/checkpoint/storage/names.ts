/**
 * Argument checks shared by every state backend, so that a job name, id or
 * blob name accepted by one backend is accepted by all of them.
 *
 * - Job names: 1-100 characters from [A-Za-z0-9_.-], not '.' or '..'. They
 *   become a directory name (file backend) and a Redis Cluster hash tag (no
 *   braces allowed), so they must be this plain.
 * - Checkpoint ids: non-negative safe integers.
 * - Blob names (`<operator>/<instance>`): 1-255 characters of well-formed
 *   Unicode, no NUL; each backend maps them to its own key space safely.
 */
import { ConfigError } from '../../../actors/errors.js';

const JOB_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

export function validateJob(job: unknown): asserts job is string {
  if (typeof job !== 'string' || !JOB_NAME.test(job) || job === '.' || job === '..') {
    throw new ConfigError(
      `invalid job name ${JSON.stringify(job)}: a job name is 1-100 characters from A-Z a-z 0-9 '_' '.' '-' (and not '.' or '..')`,
      { job },
    );
  }
}

export function validateCheckpointId(id: unknown): asserts id is number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) {
    throw new ConfigError(`invalid checkpoint id ${String(id)}: a checkpoint id is a non-negative integer`, { checkpointId: id });
  }
}

/** A UTF-16 surrogate without its pair: such a string has no UTF-8 form, so two of them would map to one key. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function validateBlobName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 255 || name.includes('\0') || LONE_SURROGATE.test(name)) {
    throw new ConfigError(`invalid blob name ${JSON.stringify(name)}: a blob name is 1-255 characters of well-formed Unicode without NUL (e.g. 'counter/0')`, {
      blob: name,
    });
  }
}

export function validateKeep(keep: unknown): asserts keep is number {
  if (typeof keep !== 'number' || !Number.isSafeInteger(keep) || keep < 0) {
    throw new ConfigError(`invalid gc keep count ${String(keep)}: expected a non-negative integer`, { keep });
  }
}
