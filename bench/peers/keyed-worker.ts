/**
 * Peer of benchmark 2: one of two hand-written worker threads that do the
 * work of bench/jobs/keyed.ts without weir. Worker k generates "Message i"
 * for i = k, k+2, k+4, ... (as weir's generator at parallelism 2 does),
 * hashes each record to a key group with the same function weir's keyBy uses
 * (actors/key-groups.ts), and
 *  - maps and counts records it owns at once (no queue, no batch);
 *  - appends the others to a batch of `batchSize` records, msgpackr-encodes
 *    it (same Packr options as runtime/channel/codec.ts, copied into its own
 *    ArrayBuffer) and posts it to the other worker over a MessagePort,
 *    transferring the buffer.
 * Flow control is a minimal credit scheme like weir's: at most `credits`
 * batches in flight per direction, one credit back per consumed batch, and
 * the producer waits while it holds a sealed batch without credit.
 * The receiver decodes, maps and counts. The producer yields to the event
 * loop every YIELD_EVERY records so incoming batches get handled.
 *
 * workerData: { index, n, batchSize, credits, maxParallelism, port }.
 * Posts one PeerReport when it has produced everything and the other worker's
 * end marker has arrived.
 */
import { Packr } from 'msgpackr';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { instanceForKey } from '../../actors/key-groups.js';
import type { PeerReport } from '../lib/types.js';

const { index, n, batchSize, credits, maxParallelism, port, yieldEvery } = workerData as {
  index: number;
  n: number;
  batchSize: number;
  /** Batches in flight per direction; 0 = no flow control. */
  credits: number;
  maxParallelism: number;
  port: MessagePort;
  /** Records generated between turns of the event loop. */
  yieldEvery: number;
};

const packr = new Packr({ useRecords: false, moreTypes: true });
const wallNow = (): number => performance.timeOrigin + performance.now();

let count = 0;
let chars = 0;
let firstAt = -1;
let lastAt = -1;

function consume(v: string): void {
  const m = `Processed: ${v}`;
  if (firstAt < 0) firstAt = wallNow();
  count++;
  chars += m.length;
}

type Msg = { t: 'b'; d: Uint8Array } | { t: 'k' } | { t: 'e' };

let credit = credits === 0 ? Infinity : credits;
let out: string[] = [];
const sealed: Uint8Array[] = [];
let wakeProducer: (() => void) | undefined;
let produced = false;
let peerEnded = false;

function seal(): void {
  if (out.length === 0) return;
  const d = new Uint8Array(packr.pack(out)); // own buffer: packr reuses its internal one
  out = [];
  sealed.push(d);
  drain();
}

function drain(): void {
  while (sealed.length > 0 && credit > 0) {
    credit--;
    const d = sealed.shift()!;
    port.postMessage({ t: 'b', d } satisfies Msg, [d.buffer as ArrayBuffer]);
  }
}

port.on('message', (m: Msg) => {
  switch (m.t) {
    case 'b': {
      const records = packr.unpack(m.d) as string[];
      for (let i = 0; i < records.length; i++) consume(records[i]);
      if (credits !== 0) port.postMessage({ t: 'k' } satisfies Msg);
      return;
    }
    case 'k':
      credit++;
      drain();
      if (sealed.length === 0 && wakeProducer) {
        const w = wakeProducer;
        wakeProducer = undefined;
        w();
      }
      return;
    case 'e':
      peerEnded = true;
      maybeDone();
      return;
  }
});

function maybeDone(): void {
  if (!produced || !peerEnded) return;
  lastAt = wallNow();
  const report: PeerReport = { count, chars, firstAt, lastAt };
  port.close();
  parentPort!.postMessage(report);
}

const creditBack = (): Promise<void> => new Promise((resolve) => (wakeProducer = resolve));
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function produce(): Promise<void> {
  let i = index;
  while (i < n) {
    for (let c = 0; c < yieldEvery && i < n; c++, i += 2) {
      const v = `Message ${i}`;
      if (instanceForKey(v, maxParallelism, 2) === index) {
        consume(v);
      } else {
        out.push(v);
        if (out.length >= batchSize) {
          seal();
          if (sealed.length > 0) await creditBack(); // backpressure: no credit, stop producing
        }
      }
    }
    await turn();
  }
  seal();
  while (sealed.length > 0) await creditBack();
  port.postMessage({ t: 'e' } satisfies Msg);
  produced = true;
  maybeDone();
}

await produce();
