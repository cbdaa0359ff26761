/** The `weir` CLI as a user runs it: a real process, real worker threads, real stdout. */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = `${root}dist/bundle/cli.js`;
const fixture = (name: string) => `${root}test/fixtures/${name}`;

/** The embedded default: without KAFKA_BROKERS the reference job uses its generator. */
const env = { ...process.env, KAFKA_BROKERS: '' };

function weir(args: string[], timeout = 30_000) {
  return spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout, env });
}

describe('weir CLI', () => {
  it('runs the reference job: exactly "Processed: Message 0" .. "Processed: Message 99", exit 0', () => {
    const r = weir(['run', 'examples/real-time-processing.ts', '--workers', '2']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(Array.from({ length: 100 }, (_, i) => `Processed: Message ${i}\n`).join(''));
  });

  it('runs under V8 flags (node --max-semi-space-size=8 --stack-size=900): they are process-wide, so threads are not given them', () => {
    const r = spawnSync(process.execPath, ['--max-semi-space-size=8', '--stack-size=900', cli, 'run', 'examples/real-time-processing.ts', '--workers', '2'], { cwd: root, encoding: 'utf8', timeout: 30_000, env });
    expect(r.stderr).not.toContain('ERR_WORKER_INVALID_EXEC_ARGV');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(Array.from({ length: 100 }, (_, i) => `Processed: Message ${i}`));
  });

  it('npm start runs the reference job', () => {
    const r = spawnSync('npm', ['start', '--silent'], { cwd: root, encoding: 'utf8', timeout: 60_000, env });
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(Array.from({ length: 100 }, (_, i) => `Processed: Message ${i}`));
  });

  it('loses no line across parallel stdout sinks on two workers', () => {
    const r = weir(['run', fixture('many-lines.ts'), '--workers', '2']);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(20000);
    expect(new Set(lines).size).toBe(20000);
    expect(lines).toContain('Processed: Message 19999');
  });

  it('inline mode (--workers 0) gives the same output', () => {
    const r = weir(['run', 'examples/real-time-processing.ts', '--workers', '0']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(100);
  });

  it('usage errors: unknown flag, bad number, missing argument exit 2 with a message', () => {
    const unknown = weir(['run', 'examples/real-time-processing.ts', '--wrokers', '2']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--wrokers'");
    const bad = weir(['run', 'examples/real-time-processing.ts', '--workers', 'two']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--workers must be an integer >= 0');
    const missing = weir(['run']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'job'");
    const duration = weir(['run', 'examples/real-time-processing.ts', '--checkpoint-interval', '1 hour']);
    expect(duration.status).toBe(2);
    expect(duration.stderr).toContain("--checkpoint-interval must be a duration of at least 0 ms, such as 1000, 500ms, 1s or 2m, got '1 hour'");
  });

  it('takes durations with units: --checkpoint-interval 1s --buffer-timeout 5ms run the reference job', () => {
    const r = weir(['run', 'examples/real-time-processing.ts', '--state', 'memory', '--checkpoint-interval', '1s', '--buffer-timeout', '5ms']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(100);
  });

  it('a missing job file: exit 1 naming the file', () => {
    const r = weir(['run', 'examples/nope.ts']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("job file 'examples/nope.ts' does not exist");
    expect(r.stdout).toBe('');
  });

  it('a throwing user function: exit 1 naming operator, instance, record, with the stack', () => {
    const r = weir(['run', fixture('map-throws-stop.ts')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("operator 'measure' (instance 0) threw on record \"Message 7\": boom at seven");
    expect(r.stderr).toMatch(/caused by Error: boom at seven\n\s+at /);
  });

  it('SIGINT drains: exits 0, and what was printed is a gap-free set of processed records', async () => {
    const child = spawn(process.execPath, [cli, 'run', fixture('unbounded.ts'), '--workers', '2', '--state', 'memory'], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    await new Promise<void>((resolve) => {
      const check = () => (out.split('\n').length > 200 ? resolve() : setTimeout(check, 20));
      check();
    });
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(err).toContain('SIGINT, draining');
    expect(code).toBe(0);
    const n = out.trim().split('\n').map((l) => Number(/^Processed: Message (\d+)$/.exec(l)![1]));
    const sorted = [...n].sort((a, b) => a - b);
    expect(sorted).toEqual(Array.from({ length: n.length }, (_, i) => i)); // drained: nothing lost in flight
  });
});
