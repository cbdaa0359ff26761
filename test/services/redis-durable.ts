/**
 * A private `redis-server` that keeps its data across a kill -9 (appendonly,
 * fsync always), on its own port (22000 + random), for tests that take Redis
 * down for a while and expect the stream to be there when it is back. The
 * shared server on 6379 is never touched.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface DurableRedis {
  readonly port: number;
  readonly url: string;
  /** SIGKILL and wait for the exit: connections are refused until start(). */
  kill(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function startDurableRedis(): Promise<DurableRedis> {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-redis-aof-'));
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = 22000 + Math.floor(Math.random() * 2000);
    if (!(await free(port))) continue;
    let proc: ChildProcess | undefined = await launch(port, dir).catch(() => undefined);
    if (!proc) continue;
    const onExit = () => proc?.kill('SIGKILL');
    process.once('exit', onExit);
    const kill = async () => {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null) return;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGKILL');
      await exited;
    };
    return {
      port,
      url: `redis://127.0.0.1:${port}`,
      kill,
      start: async () => {
        proc ??= await launch(port, dir);
      },
      stop: async () => {
        await kill();
        process.removeListener('exit', onExit);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error('could not start a private redis-server on a free port in 22000-23999 (is redis-server on PATH?)');
}

async function launch(port: number, dir: string): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--logfile', ''], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with ${code}`)));
  });
  failed.catch(() => {});
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await pong(port)) return proc;
    await Promise.race([new Promise((r) => setTimeout(r, 20)), failed]);
  }
  proc.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer within 5 s`);
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.setTimeout(500, () => (s.destroy(), resolve(false)));
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => {
      data += d;
      if (data.includes('\r\n')) (s.destroy(), resolve(data.startsWith('+PONG')));
    });
  });
}

function free(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
