/**
 * A private `redis-server` for tests that take Redis down (pause, kill,
 * restart), spawned and killed by the test on a port of its own; the shared
 * server on 6379 is never touched.
 *
 * - `startPrivateRedis()`: no persistence (a restart comes back empty), port
 *   6390 + random.
 * - `startPrivateRedis({ durable: true })`: keeps its data across a kill -9
 *   (appendonly, fsync always), port 22000 + random: for tests that expect a
 *   stream to be there when Redis is back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  /** SIGSTOP: the server keeps its socket open but answers nothing. */
  pause(): void;
  /** SIGCONT. */
  resume(): void;
  /** SIGKILL and wait for the exit: connections are refused until start() or restart(). */
  kill(): Promise<void>;
  /** Start it again on the same port and directory if it is down. */
  start(): Promise<void>;
  /** Kill, then start again on the same port and directory. */
  restart(): Promise<void>;
  /** Kill for good and remove its directory. */
  stop(): Promise<void>;
}

export interface PrivateRedisOptions {
  /** Append-only with fsync always: data survives a kill -9 (default false: no persistence). */
  durable?: boolean;
}

export async function startPrivateRedis({ durable = false }: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const firstPort = durable ? 22000 : 6390;
  const persistence = durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const dir = mkdtempSync(path.join(tmpdir(), durable ? 'weir-redis-aof-' : 'weir-redis-'));
  let lastError: unknown;
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = firstPort + Math.floor(Math.random() * 2000);
    if (!(await portFree(port))) continue;
    const launchHere = () => launch(port, dir, persistence);
    let proc: ChildProcess | undefined = await launchHere().catch((err) => {
      lastError = err;
      return undefined;
    });
    if (!proc) continue;
    const onExit = () => proc?.kill('SIGKILL');
    process.once('exit', onExit);
    const kill = async () => {
      const p = proc;
      proc = undefined;
      if (!p || p.exitCode !== null || p.signalCode !== null) return;
      const exited = new Promise((resolve) => p.once('exit', resolve));
      p.kill('SIGCONT'); // a paused server must run to die
      p.kill('SIGKILL');
      await exited;
    };
    const start = async () => {
      proc ??= await launchHere();
    };
    return {
      port,
      url: `redis://127.0.0.1:${port}/0`,
      pause: () => void proc?.kill('SIGSTOP'),
      resume: () => void proc?.kill('SIGCONT'),
      kill,
      start,
      restart: async () => {
        await kill();
        await start();
      },
      stop: async () => {
        await kill();
        process.removeListener('exit', onExit);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  rmSync(dir, { recursive: true, force: true });
  throw new Error(`could not start a private redis-server on a free port in ${firstPort}-${firstPort + 1999} (is redis-server on PATH?): ${String(lastError)}`);
}

async function launch(port: number, dir: string, persistence: string[]): Promise<ChildProcess> {
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--daemonize', 'no', '--logfile', ''], { stdio: 'ignore' });
  const failed = new Promise<never>((_, reject) => {
    proc.once('error', reject);
    proc.once('exit', (code) => reject(new Error(`redis-server on port ${port} exited with ${code}`)));
  });
  failed.catch(() => {});
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await pings(port)) return proc;
    await Promise.race([new Promise((r) => setTimeout(r, 20)), failed]);
  }
  proc.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not answer PING within 5 s`);
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      data += chunk.toString();
      if (data.includes('\r\n')) done(data.startsWith('+PONG'));
    });
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
