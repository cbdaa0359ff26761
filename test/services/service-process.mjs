// What test/services/kafka.mjs and cassandra.mjs share to run a JVM service
// for the tests: a pid file and the process it names (alive, not a zombie,
// started by us: its command line checked), a start lock so that two test
// runs at once do not race (a pid file created atomically; a dead holder's
// lock is broken), a port probe, and a graceful stop (SIGTERM, SIGKILL after
// a grace period), and the request/response exchange of their readiness
// probes. Node builtins only.

import fs from 'node:fs';
import net from 'node:net';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A file's text, trimmed; null when it cannot be read. */
export function readText(file) {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return null;
  }
}

/** The last `lines` lines of a log file ('' when there is none). */
export function logTail(file, lines = 40) {
  const text = readText(file);
  return text ? text.split('\n').slice(-lines).join('\n') : '';
}

/** True while `pid` runs (a zombie, exited but not yet reaped, still answers kill(0): it counts as dead). */
export function isAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  const stat = readText(`/proc/${pid}/stat`);
  if (stat) {
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  }
  return true;
}

/** The pid a pid file names, or null. */
export function readPidFile(file) {
  const pid = Number.parseInt(readText(file) ?? '', 10);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** True when `pid` is alive and its command line (argv) satisfies `matches`; without /proc (not Linux) the pid is trusted. */
export function isOurProcess(pid, matches) {
  if (!isAlive(pid)) return false;
  const cmdline = readText(`/proc/${pid}/cmdline`);
  if (cmdline === null) return true;
  return matches(cmdline.split('\0'));
}

/** Our service's pid: the one the pid file names if it is ours, else found by scanning /proc (a lost pid file). */
export function findOurProcess(pidFile, matches) {
  const pid = readPidFile(pidFile);
  if (pid !== null && isOurProcess(pid, matches)) return pid;
  let entries = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return null;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = readText(`/proc/${entry}/cmdline`);
    if (cmdline && matches(cmdline.split('\0')) && isAlive(Number(entry))) return Number(entry);
  }
  return null;
}

/** True when something accepts TCP connections on host:port. */
export function portInUse(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(1000);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('timeout', () => {
      socket.destroy();
      resolve(false);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Atomically create `file` holding our pid (write a temp file, then hard-link it); false if it exists. */
export function claimPidFile(file) {
  const tmp = `${file}.${process.pid}`;
  fs.writeFileSync(tmp, `${process.pid}\n`);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    if (err.code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Remove `lockFile` if its holder is dead; never removes a live holder's lock. */
function breakStaleLock(lockFile, holder) {
  const aside = `${lockFile}.stale.${process.pid}`;
  try {
    fs.renameSync(lockFile, aside); // atomic: of several waiters only one moves it
  } catch {
    return;
  }
  const moved = Number.parseInt(readText(aside) ?? '', 10);
  if (moved !== holder && isAlive(moved)) {
    // The lock changed hands between our read and the rename: put it back.
    try {
      fs.linkSync(aside, lockFile);
    } catch {
      /* someone else holds it now */
    }
  }
  fs.rmSync(aside, { force: true });
}

/**
 * Run `fn` holding `lockFile` (a pid file). Waits for a live holder up to
 * `timeoutMs`, then calls `fail(message)` (which throws); a dead holder's
 * lock is broken. `log` announces the wait once.
 */
export async function withLock(lockFile, fn, { timeoutMs, log, fail }) {
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  while (!claimPidFile(lockFile)) {
    const holder = Number.parseInt(readText(lockFile) ?? '', 10);
    if (Number.isInteger(holder) && !isAlive(holder)) {
      breakStaleLock(lockFile, holder);
      continue;
    }
    if (Date.now() > deadline) fail(`timed out waiting for ${lockFile} (held by pid ${holder})`);
    if (!announced) {
      log(`another start (pid ${holder}) is in progress; waiting for it`);
      announced = true;
    }
    await sleep(300);
  }
  try {
    return await fn();
  } finally {
    if (readText(lockFile) === String(process.pid)) fs.rmSync(lockFile, { force: true });
  }
}

/**
 * Stop `pid`: `signal` (SIGTERM: a clean shutdown), then SIGKILL if it is
 * still alive after `graceMs`. Resolves true once it is gone, false if it
 * survived SIGKILL for `killWaitMs`.
 */
export async function terminate(pid, { signal = 'SIGTERM', graceMs, killWaitMs, log }) {
  const gone = async (ms) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return true;
      await sleep(200);
    }
    return !isAlive(pid);
  };
  try {
    process.kill(pid, signal);
  } catch {
    return true;
  }
  if (await gone(signal === 'SIGKILL' ? killWaitMs : graceMs)) return true;
  if (signal === 'SIGKILL') return false;
  log(`pid ${pid} still alive after ${graceMs / 1000} s; sending SIGKILL`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  return gone(killWaitMs);
}

/**
 * Send `requests` one after another on one connection to host:port, each
 * once the previous one's response is in; resolve with the responses.
 * `readFrame(buffer)` returns { response, length } for a complete response
 * at the start of buffer (length: the bytes it takes), or null when more
 * bytes are needed; it may throw (an error response), which rejects. Rejects
 * on any socket error, an early close, or no answer within `timeoutMs`.
 */
export function exchange(requests, { host, port, timeoutMs, readFrame }) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const responses = [];
    let buffer = Buffer.alloc(0);
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(responses);
    };
    const timer = setTimeout(() => finish(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('error', finish);
    socket.on('close', () => finish(new Error(`connection to ${host}:${port} closed early`)));
    socket.on('connect', () => socket.write(requests[0]));
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      try {
        for (let frame = readFrame(buffer); frame; frame = readFrame(buffer)) {
          responses.push(frame.response);
          buffer = buffer.subarray(frame.length);
          if (responses.length === requests.length) return finish();
          socket.write(requests[responses.length]);
        }
      } catch (err) {
        finish(err);
      }
    });
  });
}

/**
 * The `start|stop|status` command line of a service script (npm run kafka:start, ...):
 * runs the named command and exits with its code; a service error prints its message,
 * anything else its stack.
 */
export function serviceMain(name, commands, ServiceError) {
  const cmd = process.argv[2];
  const run = async () => {
    const command = Object.hasOwn(commands, cmd) ? commands[cmd] : undefined;
    if (!command) {
      console.error(`usage: node test/services/${name}.mjs ${Object.keys(commands).join('|')}`);
      return 2;
    }
    const code = await command(); // status gives an exit code; start and stop succeed with 0
    return typeof code === 'number' ? code : 0;
  };
  run().then(
    (code) => process.exit(code),
    (err) => {
      console.error(`[${name}] ERROR: ${err instanceof ServiceError ? err.message : (err.stack ?? err)}`);
      process.exit(1);
    },
  );
}
