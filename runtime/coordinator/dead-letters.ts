/**
 * Dead letters: records an operator with `onError: 'skip'` could not
 * process, with the operator, instance and error, appended as JSON lines to
 * a file (by default next to a file state backend's checkpoints). At least
 * once: a record skipped again after a rollback is written again.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { preview } from '../../actors/errors.js';
import type { DeadLetter } from './job.js';

/** Where dead letters go when the options name no file: beside file state, else nowhere but the job result. */
export function defaultDeadLetterPath(state: unknown, job: string): string | undefined {
  if (typeof state !== 'string' || !state.startsWith('file:') || state.startsWith('file://')) return undefined;
  return path.join(state.slice('file:'.length), job, 'dead-letters.jsonl');
}

export class DeadLetterFile {
  private ready = false;
  constructor(readonly file: string) {}

  append(d: DeadLetter): void {
    if (!this.ready) {
      mkdirSync(path.dirname(this.file), { recursive: true });
      this.ready = true;
    }
    let record: unknown = d.record;
    try {
      JSON.stringify(record);
    } catch {
      record = preview(record);
    }
    const line = JSON.stringify({ time: new Date().toISOString(), operator: d.operator, instance: d.instance, record, error: { code: d.error.code, message: d.error.message } });
    // Sync: a dead letter is rare, and it must survive a crash right after.
    appendFileSync(this.file, `${line}\n`);
  }
}
