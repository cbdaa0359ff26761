import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { file, run, topology } from '../../runtime/index.js';

const dir = mkdtempSync(path.join(tmpdir(), 'weir-file-'));

describe('file connectors', () => {
  it('copies lines through map, handling CRLF, a missing final newline and long files', async () => {
    const input = path.join(dir, 'in.txt');
    const output = path.join(dir, 'out.txt');
    const lines = Array.from({ length: 50_000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}`);
    writeFileSync(input, lines.slice(0, 10).join('\r\n') + '\r\n' + lines.slice(10).join('\n'));
    const t = topology('copy', (b) => b.source('in', file.source(input)).map((l: string) => l.toUpperCase()).sink('out', file.sink(output)));
    await run(t, { workers: 0 }).done;
    expect(await file.readCommitted(output)).toEqual(lines.map((l) => l.toUpperCase()));
  });

  it('an empty file ends at once', async () => {
    const input = path.join(dir, 'empty.txt');
    const output = path.join(dir, 'empty-out.txt');
    writeFileSync(input, '');
    await run(topology('empty', (b) => b.source('in', file.source(input)).sink('out', file.sink(output))), { workers: 0 }).done;
    expect(await file.readCommitted(output)).toEqual([]);
  });

  it('a missing input file fails the job with the path and a fix', async () => {
    const err = await run(topology('missing', (b) => b.source('in', file.source(path.join(dir, 'nope.txt'))).sink('out', file.sink(path.join(dir, 'x')))), { workers: 0 }).done.catch((e) => e);
    expect(err.message).toContain(`file.source cannot open '${path.join(dir, 'nope.txt')}'`);
    expect(err.message).toContain('Fix:');
  });

  it('a parallel sink commits part files per instance', async () => {
    const output = path.join(dir, 'parts.txt');
    const { generator } = await import('../../runtime/index.js');
    await run(topology('parts', (b) => b.source('in', generator({ count: 10, value: (i) => ({ i }) }), { parallelism: 2 }).sink('out', file.sink(output), { parallelism: 2 })), { workers: 0 }).done;
    const got = await file.readCommitted(output);
    expect(got.map((l) => JSON.parse(l).i).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
