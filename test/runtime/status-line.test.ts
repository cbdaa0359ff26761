/** The live status line appears on a terminal (a real pty via script(1)) and never on a pipe. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../runtime/cli/status-line.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cmd = `node dist/bundle/cli.js run test/fixtures/paced.ts --workers 2`;
/** A hang detector for the CLI run (paced.ts takes >= 3 s by its rate; startup adds a few seconds when loaded). */
const RUN_BOUND_MS = 60_000;

describe('status line', () => {
  it('formats rates per operator and marks backpressure', () => {
    const line = formatStatus({
      elapsedMs: 3000,
      workers: [],
      checkpoints: { completed: 0, failed: 0, lastId: undefined, lastDurationMs: 0, lastSizeBytes: 0 },
      restarts: 0,
      operators: [
        { operator: 'in', kind: 'source', parallelism: 1, recordsIn: 0, recordsOut: 9000, inRate: 0, outRate: 3000, queued: 0, backpressure: 0.5, busy: 0.1, credits: 0, instances: [] },
        { operator: 'out', kind: 'sink', parallelism: 1, recordsIn: 9000, recordsOut: 0, inRate: 2_500_000, outRate: 0, queued: 0, backpressure: 0, busy: 1, credits: 0, instances: [] },
      ],
    });
    expect(line).toBe('weir 3s | in 3.0k/s bp 50% > out 2.5M/s');
  });

  it('is drawn on a TTY and keeps record lines whole', { timeout: RUN_BOUND_MS + 10_000 }, () => {
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: root, encoding: 'utf8', timeout: RUN_BOUND_MS });
    expect(r.status, `${r.error ?? ''} ${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/\r\x1b\[2Kweir \d+s \| in [\d.]+k?\/s > map-1 [\d.]+k?\/s > out [\d.]+k?\/s/);
    // What a terminal shows: on each line, the text after the last clear-line.
    const screen = r.stdout.split('\n').map((l) => l.split('\r\x1b[2K').pop()!.replace(/\r$/, ''));
    const records = screen.filter((l) => l.startsWith('Processed'));
    expect(records).toHaveLength(3000);
    expect(records.every((l) => /^Processed: Message \d+$/.test(l))).toBe(true);
  });

  it('is absent when stderr is not a TTY', { timeout: RUN_BOUND_MS + 10_000 }, () => {
    const r = spawnSync('sh', ['-c', cmd], { cwd: root, encoding: 'utf8', timeout: RUN_BOUND_MS });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toContain('weir ');
  });
});
