/** Which inherited flags a worker thread is started with: Node's own refusal names the V8 flags to drop. */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { refusedFlags } from '../../../runtime/coordinator/prespawn.js';

describe('refusedFlags', () => {
  it("reads the flags out of Node's real ERR_WORKER_INVALID_EXEC_ARGV", () => {
    let message = '';
    try {
      new Worker('0', { eval: true, execArgv: ['--trace-gc', '--enable-source-maps', '--stack-size=900'] });
    } catch (e) {
      expect((e as { code?: string }).code).toBe('ERR_WORKER_INVALID_EXEC_ARGV');
      message = (e as Error).message;
    }
    expect(refusedFlags(message)).toEqual(['--trace-gc', '--stack-size=900']);
  });

  it('names nothing in another message', () => {
    expect(refusedFlags('something else')).toEqual([]);
  });
});
