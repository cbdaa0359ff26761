/**
 * machine(): memory per idle key and checkpoint size at 100,000 keys. The
 * operator runs as in a job (process handlers built from the statechart,
 * with a real KeyedStateStore and TimerService) in this process; every key
 * gets one reading and then sits idle in 'normal' with its 30 s `after`
 * pending (a state value, a context, one pending delayed event and one
 * processing-time timer per key). Heap is measured after a full GC; the
 * checkpoint is the msgpack size of the keyed state and timer snapshots. A
 * second run without `after` shows the cost of the snapshot alone. Not timed.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { pack } from 'msgpackr';
import { setup } from 'xstate';
import type { OperatorContext } from '../actors/contract.js';
import { machineHandlers } from '../actors/operators/machine/machine-handlers.js';
import { processOperator } from '../actors/operators/process.js';
import { KeyedStateStore } from '../actors/state/keyed-state.js';
import { TimerService } from '../actors/time/timer-service.js';
import { round } from './lib/util.js';

export interface MachineMemoryResult {
  keys: number;
  /** Heap bytes per idle key, with the 30 s 'after' pending / without any delay. */
  heapBytesPerKey: number;
  heapBytesPerKeyNoDelay: number;
  /** Checkpoint bytes per key (msgpack of keyed state + timers), same two cases. */
  checkpointBytesPerKey: number;
  checkpointBytesPerKeyNoDelay: number;
  checkpointMB: number;
}

type Reading = { device: string; type: 'reading'; t: number };

const device = (silentMs: number | undefined) =>
  setup({ types: { context: {} as { n: number }, events: {} as Reading } }).createMachine({
    id: 'device',
    initial: 'normal',
    context: { n: 0 },
    states: {
      normal: { ...(silentMs ? { after: { [silentMs]: 'silent' } } : {}), on: { reading: [{ guard: ({ event }) => event.t >= 80, target: 'alarm' }, { target: 'normal', reenter: true }] } },
      alarm: { on: { reading: { guard: ({ event }) => event.t < 50, target: 'normal' } } },
      silent: { on: { reading: 'normal' } },
    },
  });

function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
  (runInNewContext('gc') as () => void)();
}

function measure(keys: number, silentMs: number | undefined): { heapPerKey: number; checkpointPerKey: number; checkpointBytes: number } {
  gc();
  const before = process.memoryUsage().heapUsed;
  const keyedState = new KeyedStateStore(128, { now: () => 1_000 });
  const timers = new TimerService(128);
  const ctx = {
    operator: 'machine-1',
    instance: 0,
    parallelism: 1,
    clock: { now: () => 1_000 },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    keyedState,
    timers,
    time: { watermark: -Infinity, processingTime: () => 1_000 },
    emitWatermark() {},
    deadLetter() {},
  } as unknown as OperatorContext;
  const op = processOperator<Reading, unknown>(machineHandlers(device(silentMs)), 'stop', (r) => r.device);
  op.open!(ctx);
  const out = { emit() {} } as never;
  const batch: Reading[] = [];
  for (let i = 0; i < keys; i++) {
    batch.push({ device: `device-${i}`, type: 'reading', t: 20 });
    if (batch.length === 512 || i === keys - 1) {
      op.processBatch(batch, out, 0);
      batch.length = 0;
    }
  }
  gc();
  const heapPerKey = (process.memoryUsage().heapUsed - before) / keys;
  const checkpointBytes = pack(keyedState.snapshot()).length + (timers.snapshot() ? pack(timers.snapshot()).length : 0);
  if (silentMs !== undefined && timers.processing.size !== keys) throw new Error(`expected ${keys} pending timers, got ${timers.processing.size}`);
  // Keep the state alive until measured.
  if (keyedState.snapshot().length === 0) throw new Error('no keyed state');
  return { heapPerKey, checkpointPerKey: checkpointBytes / keys, checkpointBytes };
}

export async function benchMachineMemory(keys = 100_000, log: (s: string) => void = () => {}): Promise<MachineMemoryResult> {
  measure(10_000, 30_000); // warm up (JIT, xstate internals, hidden classes)
  const withDelay = measure(keys, 30_000);
  const noDelay = measure(keys, undefined);
  const r: MachineMemoryResult = {
    keys,
    heapBytesPerKey: round(withDelay.heapPerKey),
    heapBytesPerKeyNoDelay: round(noDelay.heapPerKey),
    checkpointBytesPerKey: round(withDelay.checkpointPerKey, 1),
    checkpointBytesPerKeyNoDelay: round(noDelay.checkpointPerKey, 1),
    checkpointMB: round(withDelay.checkpointBytes / 1e6, 2),
  };
  log(`  ${keys.toLocaleString('en')} idle keys: heap ${r.heapBytesPerKey} B/key (${r.heapBytesPerKeyNoDelay} B/key without a pending 'after'), checkpoint ${r.checkpointBytesPerKey} B/key (${r.checkpointMB} MB; ${r.checkpointBytesPerKeyNoDelay} B/key without)`);
  return r;
}
