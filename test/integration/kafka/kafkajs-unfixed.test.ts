/**
 * The read_committed guard as a program meets it, through the built package
 * (dist/bundle/weir.js) in a fresh Node process with the installed kafkajs:
 * - the program imports kafkajs before weir: weir's aborted-record filter
 *   cannot take, and `kafka.source(...).open()` rejects with
 *   KAFKAJS_UNFIXED naming the cause and the fix, before any connection;
 * - the same program importing weir first: the source opens on the test
 *   broker and reads what was produced (the guard does not get in the way).
 */
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka } from '../../services/kafka.mjs';
import { BROKERS, cleanupKafka, createTopic, produce, ROOT, unique } from './helpers.js';

/** A Node program (ESM) that imports `first`, then opens a kafka.source on `topic` and prints what happened as JSON. */
function program(first: 'kafkajs' | 'weir', topic: string) {
  const imports = first === 'kafkajs' ? `await import('kafkajs'); const { kafka } = await import('./dist/bundle/weir.js');` : `const { kafka } = await import('./dist/bundle/weir.js'); await import('kafkajs');`;
  const src = `
    ${imports}
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const ctx = { operator: 'in', instance: 0, parallelism: 1, job: 'kafkajs-guard', clock: { now: () => Date.now() }, log, onError: 'stop', deadLetter() {} };
    try {
      const reader = await kafka.source({ brokers: ${JSON.stringify(BROKERS)}, topic: ${JSON.stringify(topic)}, startFrom: 'earliest', connectTimeoutMs: 10000 }).open(ctx);
      const got = [];
      for (let i = 0; i < 200 && got.length < 2; i++) {
        const r = await reader.pull(64);
        got.push(...r.records);
        if (r.records.length === 0) await new Promise((ok) => setTimeout(ok, 50));
      }
      await reader.close?.();
      console.log(JSON.stringify({ opened: true, got }));
    } catch (e) {
      console.log(JSON.stringify({ opened: false, name: e.name, code: e.code, message: e.message }));
    }
    process.exit(0);
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', src], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as { opened: boolean; got?: string[]; code?: string; name?: string; message?: string };
  } catch {
    throw new Error(`the program printed no result (exit ${r.status}); stdout: ${r.stdout} stderr: ${r.stderr}`);
  }
}

describe('kafka.source and a kafkajs weir could not fix (fresh process, built package)', () => {
  const topic = unique('kafkajs-guard');
  beforeAll(async () => {
    await startKafka();
    await createTopic(topic);
    await produce(topic, [{ value: 'a' }, { value: 'b' }]);
  }, 90_000);
  afterAll(cleanupKafka);

  it('kafkajs imported before weir: open() refuses, naming the cause and the fix', () => {
    const r = program('kafkajs', topic);
    expect(r.opened, JSON.stringify(r)).toBe(false);
    expect(r.name).toBe('WeirError');
    expect(r.code).toBe('KAFKAJS_UNFIXED');
    expect(r.message).toContain("kafka.source 'in' refuses to start");
    expect(r.message).toContain('kafkajs was loaded before weir, so the filter fix cannot take');
    expect(r.message).toContain("Fix: install kafkajs 2.2.4 exactly");
    expect(r.message).toContain("import 'weir' before any import of kafkajs");
  });

  it('weir imported first: the same source opens and reads', () => {
    const r = program('weir', topic);
    expect(r, JSON.stringify(r)).toEqual({ opened: true, got: ['a', 'b'] });
  });
});
