// The HTTP endpoint's security, through the CLI as a user runs it (real
// process, real Redis on 127.0.0.1:6379 for the credentials case):
// non-loopback without a token refuses to start, requests without the token
// get 401, and no log line carries the token or a URL's password.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cli = `${root}dist/bundle/cli.js`;
const fixture = `${root}test/fixtures/observed.ts`;
const TOKEN = `tok-${process.pid}-Zq8vN3xK1pL7wR2m`;
const REDIS_PASSWORD = `pw-${process.pid}-hunter2hunter2`;
const baseEnv = { ...process.env, KAFKA_BROKERS: '', WEIR_HTTP_TOKEN: '' };

/** Runs the CLI until it prints the endpoint's URL; collects everything it writes. */
function start(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; url: Promise<string>; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [cli, ...args], { cwd: root, env });
  let out = '';
  let resolveUrl!: (u: string) => void;
  const url = new Promise<string>((r) => (resolveUrl = r));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const take = (d: Buffer) => {
    out += d.toString();
    const m = /^weir: dashboard and metrics at (http:\/\/[0-9.:]+)$/m.exec(out);
    if (m) resolveUrl(m[1]);
  };
  child.stdout!.on('data', take);
  child.stderr!.on('data', take);
  void exited.then(() => resolveUrl(''));
  return { child, url, output: () => out, exited };
}

describe('HTTP endpoint security', () => {
  it('refuses to start on a non-loopback address without a token, saying how to fix it', () => {
    const r = spawnSync(process.execPath, [cli, 'run', fixture, '--http', '0.0.0.0:0', '--state', 'memory'], { cwd: root, encoding: 'utf8', timeout: 60_000, env: baseEnv });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('refusing to serve metrics and job actions on 0.0.0.0, which is not a loopback address, without a token. Fix: set WEIR_HTTP_TOKEN');
    expect(r.stderr).not.toContain('dashboard and metrics at');
    const weak = spawnSync(process.execPath, [cli, 'run', fixture, '--http', '0.0.0.0:0', '--http-token', 'short'], { cwd: root, encoding: 'utf8', timeout: 60_000, env: baseEnv });
    expect(weak.status).toBe(1);
    expect(weak.stderr).toContain('the HTTP token is too weak');
    expect(weak.stderr).not.toMatch(/\bshort\b/);
  });

  it('every request needs the token (401 otherwise); nothing logged carries the token or the Redis password', async () => {
    const job = `sec-${process.pid}`;
    const state = `redis://default:${REDIS_PASSWORD}@127.0.0.1:6379/0`;
    const p = start(['run', fixture, '--http', '127.0.0.1:0', '--state', state, '--job-id', job, '--log-level', 'debug', '--checkpoint-interval', '300ms'], { ...baseEnv, WEIR_HTTP_TOKEN: TOKEN });
    try {
      const url = await p.url;
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const bearer = { Authorization: `Bearer ${TOKEN}` };
      for (const path of ['/', '/metrics', '/api/job', '/api/plan', '/api/metrics', '/api/checkpoints', '/api/failures', '/api/events', '/assets/app.js']) {
        const none = await fetch(`${url}${path}`);
        expect(none.status, path).toBe(401);
        expect(none.headers.get('www-authenticate')).toContain('Bearer');
        const wrong = await fetch(`${url}${path}`, { headers: { Authorization: `Bearer ${TOKEN}x` } });
        expect(wrong.status, path).toBe(401);
      }
      expect((await fetch(`${url}/api/checkpoints`, { method: 'POST' })).status).toBe(401);
      expect((await fetch(`${url}/api/stop`, { method: 'POST' })).status).toBe(401);
      expect((await fetch(`${url}/?token=${TOKEN.slice(0, -1)}`, { redirect: 'manual' })).status).toBe(401);

      // With the token: the API answers, and shows the state URL without its password.
      let jobJson: { options: { state: string } } | undefined;
      for (let i = 0; i < 100 && !jobJson; i++) {
        const r = await fetch(`${url}/api/job`, { headers: bearer });
        expect(r.status).toBe(200);
        const j = (await r.json()) as { options: { state?: string } };
        if (j.options.state) jobJson = j as { options: { state: string } };
        else await new Promise((res) => setTimeout(res, 100));
      }
      expect(jobJson!.options.state).toBe('redis://default:***@127.0.0.1:6379/0');
      expect((await fetch(`${url}/metrics`, { headers: bearer })).status).toBe(200);

      // A browser logs in once with ?token=: an HttpOnly SameSite cookie, and a redirect that drops the token from the URL.
      const login = await fetch(`${url}/?token=${TOKEN}`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      expect(login.headers.get('location')).toBe('/');
      const cookie = login.headers.get('set-cookie')!;
      expect(cookie).toMatch(/HttpOnly/);
      expect(cookie).toMatch(/SameSite=Strict/);
      const page = await fetch(`${url}/`, { headers: { Cookie: cookie.split(';')[0] } });
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      // A cross-origin POST is refused even with the cookie.
      const csrf = await fetch(`${url}/api/checkpoints`, { method: 'POST', headers: { Cookie: cookie.split(';')[0], Origin: 'http://evil.example' } });
      expect(csrf.status).toBe(403);
      const cp = await fetch(`${url}/api/checkpoints`, { method: 'POST', headers: bearer });
      expect(cp.status).toBe(200);
    } finally {
      p.child.kill('SIGTERM');
    }
    expect(await p.exited).toBe(0);
    const logs = p.output();
    expect(logs).toContain('"level":'); // debug logging was on: there were lines to check
    expect(logs).toContain(`checkpoint`);
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain(REDIS_PASSWORD);
  });
});
