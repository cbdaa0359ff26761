/**
 * Errors raised by the state backends and by checkpoint restore. All are
 * `WeirError`s (see actors/errors.ts); callers branch on `code`/`retriable`.
 *
 * - `STATE_BACKEND_UNAVAILABLE` (retriable): the store did not answer in time
 *   or the connection is down. The outcome of a write that failed this way is
 *   indefinite: it may still be applied later. Treat the checkpoint as failed
 *   and take the next one with a higher id; restore verifies every blob.
 * - `STATE_BACKEND_FAILED`: the store answered with an error that retrying
 *   will not fix (permissions, a full disk, a wrong key type...).
 * - `STATE_BACKEND_CLOSED`: the backend was used after `close()` (a bug).
 * - `CHECKPOINT_NOT_FOUND` / `CHECKPOINT_CORRUPT`: restore by id failed.
 * Bad arguments (job names, ids, blob names) raise `ConfigError` ('CONFIG_INVALID').
 */
import { WeirError, causeMessage, type ErrorContext } from '../../../actors/errors.js';

export class StateBackendUnavailableError extends WeirError {
  override name = 'StateBackendUnavailableError';
  /**
   * @param reason what went wrong (an Error, which also becomes the cause, or a description)
   */
  constructor(backend: string, operation: string, reason: unknown, opts: { cause?: unknown; context?: ErrorContext } = {}) {
    super('STATE_BACKEND_UNAVAILABLE', `state backend ${backend} is unavailable (${operation}): ${causeMessage(reason)}`, {
      retriable: true,
      cause: opts.cause ?? (reason instanceof Error ? reason : undefined),
      context: { backend, operation, ...opts.context },
    });
  }
}

export class StateBackendError extends WeirError {
  override name = 'StateBackendError';
  constructor(backend: string, operation: string, cause: unknown, context: ErrorContext = {}) {
    super('STATE_BACKEND_FAILED', `state backend ${backend} failed (${operation}): ${causeMessage(cause)}`, {
      cause,
      context: { backend, operation, ...context },
    });
  }
}

export class StateBackendClosedError extends WeirError {
  override name = 'StateBackendClosedError';
  constructor(backend: string, operation: string) {
    super('STATE_BACKEND_CLOSED', `bug: state backend ${backend} used after close() (${operation})`, {
      context: { backend, operation },
    });
  }
}

export class CheckpointNotFoundError extends WeirError {
  override name = 'CheckpointNotFoundError';
  constructor(backend: string, job: string, id: number, available: number[]) {
    const shown = available.slice(0, 10).join(', ') + (available.length > 10 ? ', …' : '');
    super(
      'CHECKPOINT_NOT_FOUND',
      `checkpoint ${id} of job '${job}' does not exist in ${backend}` +
        (available.length === 0 ? ' (the job has no committed checkpoints)' : ` (committed checkpoints: ${shown})`),
      { context: { backend, job, checkpointId: id, available } },
    );
  }
}

export class CheckpointCorruptError extends WeirError {
  override name = 'CheckpointCorruptError';
  constructor(backend: string, job: string, id: number, problems: { blob: string; reason: string }[]) {
    super(
      'CHECKPOINT_CORRUPT',
      `checkpoint ${id} of job '${job}' in ${backend} is unusable: ` + problems.map((p) => `blob '${p.blob}' ${p.reason}`).join('; '),
      { context: { backend, job, checkpointId: id, problems } },
    );
  }
}
