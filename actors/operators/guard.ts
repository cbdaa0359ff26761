/**
 * Calls into user code and applies the operator's `onError` policy.
 * 'skip' hands the record to the dead-letter path and goes on (so does
 * 'restart' for a record the supervisor named poison, see isPoisoned); 'restart' and
 * 'stop' raise a UserFunctionError naming operator, instance and record, which
 * the supervisor acts on (restart from the last checkpoint, or stop the job).
 */
import type { OnError, OperatorContext } from '../contract.js';
import { UserFunctionError } from '../errors.js';

export function userFailure(ctx: OperatorContext, onError: OnError, record: unknown, cause: unknown): void {
  const error = new UserFunctionError({ operator: ctx.operator, instance: ctx.instance, record, onError }, cause);
  if (onError === 'skip' || (onError === 'restart' && ctx.isPoisoned?.(record))) {
    ctx.deadLetter(record, error);
    return;
  }
  throw error;
}
