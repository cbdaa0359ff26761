/**
 * Peer of the cross-worker latency benchmark: one of two worker threads
 * joined by one MessagePort, doing what bench/jobs/latency.ts does without
 * weir. Thread k makes the records i = k, k+2, ... as `[createdAtWallMs, i]`,
 * paced like weir's generator (the records due by the clock, then a 1 ms
 * timer), keys each with weir's instanceForKey, keeps its own and posts
 * each of the others at once, alone, over the port (weir's bufferTimeout 0).
 * The receiver notes now - createdAt. No batching, no credit, no checkpoints:
 * the floor a MessagePort sets.
 *
 * workerData: { index, n, ratePerSec, warmupUntil, port }; posts one
 * `{ crossedMs }` when it has sent its records and the other's end marker came.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { instanceForKey } from '../../actors/key-groups.js';

const { index, n, ratePerSec, warmupUntil, port } = workerData as { index: number; n: number; ratePerSec: number; warmupUntil: number; port: MessagePort };
const wallNow = (): number => performance.timeOrigin + performance.now();

const crossedMs: number[] = [];
let produced = false;
let peerEnded = false;

port.on('message', (m: [number, number] | 'end') => {
  if (m === 'end') {
    peerEnded = true;
    return done();
  }
  if (m[0] >= warmupUntil) crossedMs.push(wallNow() - m[0]);
});

function done(): void {
  if (!produced || !peerEnded) return;
  port.close();
  parentPort!.postMessage({ crossedMs });
}

const perThread = ratePerSec / 2;
const startedAt = wallNow();
let next = index;
let emitted = 0;
function produce(): void {
  const due = Math.floor(((wallNow() - startedAt) * perThread) / 1000) + 1 - emitted;
  for (let k = 0; k < due && next < n; k++, emitted++, next += 2) {
    const r: [number, number] = [wallNow(), next];
    if (instanceForKey(next, 128, 2) !== index) port.postMessage(r);
  }
  if (next < n) setTimeout(produce, 1);
  else {
    port.postMessage('end');
    produced = true;
    done();
  }
}
produce();
