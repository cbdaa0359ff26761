/**
 * Peer of benchmark 1, run in a fresh worker thread per repetition (so, like
 * weir's worker, it starts with a cold JIT): Node's own `stream.pipeline`
 * doing the same work as bench/jobs/chain.ts —
 *   Readable.from(generator of "Message i") -> Transform map -> Writable that counts.
 * Default stream options (objectMode, highWaterMark 16), as a user would write it.
 * workerData: { n: number }. Posts one PeerReport when done.
 */
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { PeerReport } from '../lib/types.js';

const { n } = workerData as { n: number };
const wallNow = (): number => performance.timeOrigin + performance.now();

function* messages(): Generator<string> {
  for (let i = 0; i < n; i++) yield `Message ${i}`;
}

let count = 0;
let chars = 0;
let firstAt = -1;
let lastAt = -1;

await pipeline(
  Readable.from(messages()),
  new Transform({
    objectMode: true,
    transform(chunk: string, _enc, cb) {
      cb(null, `Processed: ${chunk}`);
    },
  }),
  new Writable({
    objectMode: true,
    write(chunk: string, _enc, cb) {
      if (count === 0) firstAt = wallNow();
      count++;
      chars += chunk.length;
      cb();
    },
    final(cb) {
      lastAt = wallNow();
      cb();
    },
  }),
);

const report: PeerReport = { count, chars, firstAt, lastAt };
parentPort!.postMessage(report);
