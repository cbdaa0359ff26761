/**
 * Coordinator side of one worker thread: spawns it, speaks protocol.ts to it,
 * and reports its messages, crashes and exit. The worker side is
 * runtime/host/worker-entry.ts.
 */
import { existsSync } from 'node:fs';
import { Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { WeirError } from '../../actors/errors.js';
import type { FromWorker, ToWorker } from '../host/protocol.js';
import { WORKER_ENTRY } from '../paths.js';
import { startWorkerThread, takePrespawned } from './prespawn.js';

export interface WorkerEvents {
  message(handle: WorkerHandle, m: FromWorker): void;
  /** The thread died: an uncaught error, an out-of-memory, or a non-zero exit we did not ask for. */
  crashed(handle: WorkerHandle, error: WeirError): void;
}

export class WorkerHandle {
  private readonly worker: Worker;
  private exiting = false;
  private crashReported = false;
  readonly exited: Promise<number>;
  /** Resolves when everything the worker wrote to stdout has been passed on. */
  readonly stdoutDone: Promise<void>;
  /** performance.now() of the last pong (heartbeats). */
  lastPong = performance.now();

  constructor(
    readonly index: number,
    private readonly events: WorkerEvents,
    stdout: NodeJS.WritableStream,
    resourceLimits?: ResourceLimits,
  ) {
    if (!existsSync(WORKER_ENTRY)) {
      throw new WeirError('NOT_BUILT', `weir's compiled worker entry is missing (${WORKER_ENTRY}). Fix: run 'npm run build' in the weir package`);
    }
    // A thread the CLI started early is used when it has the resource limits asked for.
    this.worker = takePrespawned(resourceLimits) ?? startWorkerThread({ stdout: true, resourceLimits, name: `weir-worker-${index}` });
    this.stdoutDone = new Promise((resolve) => {
      this.worker.stdout.on('data', (chunk: Buffer) => stdout.write(chunk));
      this.worker.stdout.on('end', () => resolve());
      this.worker.stdout.on('close', () => resolve());
    });
    this.worker.on('message', (m: FromWorker) => {
      if (m.t === 'pong') this.lastPong = performance.now();
      events.message(this, m);
    });
    this.worker.on('error', (e) => {
      const code = (e as NodeJS.ErrnoException).code;
      const what = code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'ran out of memory (resourceLimits)' : `crashed: ${e.message}`;
      this.crash(new WeirError('WORKER_CRASHED', `worker ${index} ${what}`, { context: { worker: index }, cause: e, retriable: true }));
    });
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        if (!this.exiting) this.crash(new WeirError('WORKER_EXITED', `worker ${index} exited unexpectedly with code ${code}`, { context: { worker: index }, retriable: true }));
        resolve(code);
      });
    });
  }

  /** Report a crash once, whatever signalled it first. */
  crash(error: WeirError): void {
    if (this.crashReported || this.exiting) return;
    this.crashReported = true;
    this.events.crashed(this, error);
  }

  post(m: ToWorker, transfer?: (MessagePort | ArrayBuffer)[]): void {
    if (this.crashReported) return;
    this.worker.postMessage(m, transfer);
  }

  peer(peer: number, port: MessagePort): void {
    this.post({ t: 'peer', peer, port }, [port]);
  }

  /** Orderly: the worker disposes its actors and exits by itself. */
  shutdown(): void {
    this.exiting = true;
    this.post({ t: 'shutdown' });
  }

  /** Terminate without marking it expected: the exit is reported as a crash (fault injection). */
  async kill(): Promise<void> {
    await this.worker.terminate();
  }

  async terminate(): Promise<void> {
    this.exiting = true;
    await this.worker.terminate();
  }
}

/**
 * Heartbeats: every `intervalMs` each worker is pinged; one that has not
 * answered for `timeoutMs` (its event loop is blocked) is terminated and
 * reported as crashed, so its owner replaces it. A stall of the pinging
 * thread itself (a paused process) restarts the timeouts instead of
 * blaming the workers. Returns the stop function.
 */
export function startHeartbeats(workers: () => Iterable<WorkerHandle>, intervalMs: number, timeoutMs: number): () => void {
  if (intervalMs <= 0) return () => {};
  let seq = 0;
  let lastTick = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    // This thread itself was stalled (the process was paused, SIGSTOP, or its loop blocked): the workers could
    // not be heard meanwhile, so their silence proves nothing; they get a fresh timeout.
    const stalled = now - lastTick > timeoutMs / 2;
    lastTick = now;
    for (const w of workers()) {
      if (stalled) w.lastPong = now;
      if (now - w.lastPong > timeoutMs) {
        const err = new WeirError('WORKER_UNRESPONSIVE', `worker ${w.index} did not answer heartbeats for ${timeoutMs} ms (its event loop is blocked); replacing it`, {
          context: { worker: w.index },
          retriable: true,
        });
        w.crash(err);
        void w.terminate();
      } else {
        w.post({ t: 'ping', n: ++seq });
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
