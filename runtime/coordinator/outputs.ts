/**
 * What the workers hand the job besides supervision: records published by
 * collect() sinks, and dead letters (records skipped by onError: 'skip'),
 * kept for the result and appended to the dead-letter file.
 */
import type { Logger } from '../../actors/contract.js';
import type { SerializedError } from '../host/protocol.js';
import { deserializeError } from '../host/serialize-error.js';
import type { ExecutionPlan } from '../plan/plan.js';
import type { DeadLetterFile } from './dead-letters.js';
import type { DeadLetter } from './job-types.js';

/**
 * What a two-phase sink publishes at each commit: a key and the epoch's
 * records. A sink restored from a checkpoint may publish a committed epoch
 * again; the job keeps each key once.
 */
export interface CommitRecord {
  weirCommit: string;
  records: unknown[];
}

export function isCommitRecord(x: unknown): x is CommitRecord {
  return typeof x === 'object' && x !== null && typeof (x as CommitRecord).weirCommit === 'string' && Array.isArray((x as CommitRecord).records);
}

export class JobOutputs {
  readonly outputs: Record<string, unknown[]> = {};
  readonly deadLetters: DeadLetter[] = [];
  private readonly commits = new Set<string>();

  constructor(
    private readonly plan: ExecutionPlan,
    private readonly file: DeadLetterFile | undefined,
    private readonly log: Logger,
  ) {}

  publish(actor: number, data: unknown): void {
    const name = this.plan.actors[actor].operator;
    if (isCommitRecord(data)) {
      if (this.commits.has(data.weirCommit)) return;
      this.commits.add(data.weirCommit);
      (this.outputs[name] ??= []).push(...data.records);
      return;
    }
    (this.outputs[name] ??= []).push(...(data as unknown[]));
  }

  deadLetter(actor: number, record: unknown, error: SerializedError): void {
    const a = this.plan.actors[actor];
    const d: DeadLetter = { operator: a.operator, instance: a.instance, record, error: deserializeError(error) };
    this.deadLetters.push(d);
    try {
      this.file?.append(d);
    } catch (e) {
      this.log.error({ err: e, file: this.file?.file }, 'cannot write the dead-letter file');
    }
  }
}
