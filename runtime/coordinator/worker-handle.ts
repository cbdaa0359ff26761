/**
 * Coordinator side of one worker thread: spawns it, speaks protocol.ts to it,
 * and reports its messages, crashes and exit. The worker side is
 * runtime/host/worker-entry.ts.
 */
import { existsSync } from 'node:fs';
import { Worker, type MessagePort, type ResourceLimits } from 'node:worker_threads';
import { WeirError } from '../../actors/errors.js';
import type { FromWorker, ToWorker, WorkerInit } from '../host/protocol.js';
import { WORKER_ENTRY } from '../paths.js';

export interface WorkerEvents {
  message(index: number, m: FromWorker): void;
  /** The thread died: an uncaught error or a non-zero exit we did not ask for. */
  crashed(index: number, error: WeirError): void;
}

export class WorkerHandle {
  private readonly worker: Worker;
  private exiting = false;
  readonly exited: Promise<number>;
  /** Resolves when everything the worker wrote to stdout has been passed on. */
  readonly stdoutDone: Promise<void>;

  constructor(
    readonly index: number,
    events: WorkerEvents,
    stdout: NodeJS.WritableStream,
    resourceLimits?: ResourceLimits,
  ) {
    if (!existsSync(WORKER_ENTRY)) {
      throw new WeirError('NOT_BUILT', `weir's compiled worker entry is missing (${WORKER_ENTRY}). Fix: run 'npm run build' in the weir package`);
    }
    this.worker = new Worker(WORKER_ENTRY, { stdout: true, resourceLimits, name: `weir-worker-${index}` });
    this.stdoutDone = new Promise((resolve) => {
      this.worker.stdout.on('data', (chunk: Buffer) => stdout.write(chunk));
      this.worker.stdout.on('end', () => resolve());
      this.worker.stdout.on('close', () => resolve());
    });
    this.worker.on('message', (m: FromWorker) => events.message(index, m));
    this.worker.on('error', (e) => {
      events.crashed(index, new WeirError('WORKER_CRASHED', `worker ${index} crashed: ${e.message}`, { context: { worker: index }, cause: e }));
    });
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        if (!this.exiting && code !== 0) {
          events.crashed(index, new WeirError('WORKER_EXITED', `worker ${index} exited unexpectedly with code ${code}`, { context: { worker: index } }));
        }
        resolve(code);
      });
    });
  }

  private post(m: ToWorker, transfer?: MessagePort[]): void {
    this.worker.postMessage(m, transfer);
  }

  init(init: WorkerInit): void {
    this.post({ t: 'init', init });
  }

  peer(peer: number, port: MessagePort): void {
    this.post({ t: 'peer', peer, port }, [port]);
  }

  start(): void {
    this.post({ t: 'start' });
  }

  stop(): void {
    this.post({ t: 'stop' });
  }

  /** Orderly: the worker disposes its actors and exits by itself. */
  shutdown(): void {
    this.exiting = true;
    this.post({ t: 'shutdown' });
  }

  async terminate(): Promise<void> {
    this.exiting = true;
    await this.worker.terminate();
  }
}
