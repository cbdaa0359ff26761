import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { run } from 'weir';

const fixture = fileURLToPath(new URL('../fixtures/skip-poison.ts', import.meta.url));

describe("onError: 'skip'", () => {
  it('drops poison records to the dead letters (result and a file beside file state) and goes on', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'weir-dlq-'));
    const result = await run(fixture, { workers: 2, state: `file:${dir}`, logLevel: 'silent' }).done;
    const poison = Array.from({ length: 10 }, (_, k) => `bad-${k * 10 + 3}`);
    expect(result.outputs.out).toHaveLength(90);
    expect(result.outputs.out).not.toContain(Number.NaN);
    expect(result.deadLetters.map((d) => d.record)).toEqual(poison);
    expect(result.deadLetters[0]).toMatchObject({ operator: 'parse', instance: 0 });
    expect(result.deadLetters[0].error.message).toContain('not a number: bad-3');
    expect(result.restarts).toBe(0);
    const lines = readFileSync(path.join(dir, 'skip-poison', 'dead-letters.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.record)).toEqual(poison);
    expect(lines[0]).toMatchObject({ operator: 'parse', instance: 0, error: { code: 'USER_FUNCTION_FAILED' } });
    expect(lines[0].error.message).toContain("operator 'parse' (instance 0) threw on record \"bad-3\"");
  });

  it('writes dead letters to the file named in the options, or nowhere with false', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'weir-dlq-')), 'dl.jsonl');
    await run(fixture, { workers: 1, deadLetters: file, logLevel: 'silent' }).done;
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(10);
    const dir = mkdtempSync(path.join(tmpdir(), 'weir-dlq-'));
    const r = await run(fixture, { workers: 1, state: `file:${dir}`, deadLetters: false, logLevel: 'silent' }).done;
    expect(r.deadLetters).toHaveLength(10);
    expect(() => readFileSync(path.join(dir, 'skip-poison', 'dead-letters.jsonl'))).toThrow(/ENOENT/);
  });
});
