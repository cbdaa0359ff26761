/**
 * Build-time checks of time and window options. Each error names the
 * operator and the fix. Pure: throws TopologyError or returns.
 */
import type { TimestampOptions } from '../../actors/operators/timestamps.js';
import { TopologyError } from '../../actors/errors.js';
import type { WindowSpec } from '../../actors/windows/window-spec.js';

function positive(v: unknown, what: string, operator: string, fix: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    throw new TopologyError(`window '${operator}' has ${what} ${String(v)}; it must be a positive number of ms. Fix: ${fix}`, { operator });
  }
}

function nonNegative(v: unknown, what: string, operator: string, kind: string): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new TopologyError(`${kind} '${operator}' has ${what} ${String(v)}. Fix: give ms >= 0`, { operator });
  }
}

export function validateTimestampOptions(o: TimestampOptions, operator: string): void {
  nonNegative(o.outOfOrderness, 'outOfOrderness', operator, 'assignTimestamps');
  nonNegative(o.idleTimeout, 'idleTimeout', operator, 'assignTimestamps');
  if (o.interval !== undefined) {
    if (typeof o.interval !== 'number' || !Number.isFinite(o.interval) || o.interval < 0) {
      throw new TopologyError(`assignTimestamps '${operator}' has interval ${String(o.interval)}. Fix: give ms >= 0 (default 200; 0 emits after every batch, for tests)`, { operator });
    }
  }
}

/**
 * @param hasTimestamps the window's input has timestamps (assignTimestamps upstream)
 * @param explicitTime the assigner named its time ({ time: 'event' | 'processing' })
 */
export function validateWindow(spec: WindowSpec, operator: string, hasTimestamps: boolean, explicitTime: boolean): void {
  const a = spec.assigner as WindowSpec['assigner'] | undefined;
  if (typeof a !== 'object' || a === null || !['tumbling', 'sliding', 'session'].includes(a.kind)) {
    throw new TopologyError(`window '${operator}' needs a window assigner. Fix: window(tumbling(60_000)), window(sliding(60_000, 10_000)) or window(session(30_000))`, { operator });
  }
  if (spec.time !== 'event' && spec.time !== 'processing') {
    throw new TopologyError(`window '${operator}' has time ${JSON.stringify(spec.time)}. Fix: use 'event' or 'processing'`, { operator });
  }
  switch (a.kind) {
    case 'tumbling':
      positive(a.size, 'size', operator, 'tumbling(60_000) for one-minute windows');
      break;
    case 'sliding':
      positive(a.size, 'size', operator, 'sliding(60_000, 10_000): windows of a minute every 10 s');
      positive(a.slide, 'slide', operator, 'sliding(60_000, 10_000): windows of a minute every 10 s');
      if (a.slide > a.size) {
        throw new TopologyError(
          `window '${operator}' slides by ${a.slide} ms, more than its size ${a.size} ms, so records between windows would belong to none. Fix: a slide <= size (or tumbling(${a.size}) when they are equal)`,
          { operator },
        );
      }
      break;
    case 'session':
      positive(a.gap, 'gap', operator, 'session(30_000) to end a session after 30 s without records');
      if (spec.fn.kind === 'aggregate' && typeof spec.fn.agg.merge !== 'function') {
        throw new TopologyError(`window '${operator}' aggregates session windows, which merge, but its aggregator has no merge(a, b). Fix: add merge to the aggregator, or use reduce/process`, { operator });
      }
      break;
  }
  if ('offset' in a) nonNegative(a.offset, 'offset', operator, 'window');
  nonNegative(spec.allowedLateness, 'allowedLateness', operator, 'window');
  if (spec.fn.kind === 'aggregate') {
    for (const f of ['create', 'add', 'result'] as const) {
      if (typeof spec.fn.agg[f] !== 'function') {
        throw new TopologyError(`window '${operator}' aggregate() has no ${f} function. Fix: aggregate({ create: () => acc, add: (acc, r) => acc, result: (acc) => value })`, { operator });
      }
    }
  }
  if (spec.time === 'event' && !hasTimestamps) {
    throw new TopologyError(
      explicitTime
        ? `window '${operator}' runs on event time, but its input has no timestamps. Fix: assignTimestamps((r) => r.time, { outOfOrderness }) before keyBy(...)`
        : `window '${operator}' runs on event time (the default), but its input has no timestamps. Fix: assignTimestamps((r) => r.time, { outOfOrderness }) before keyBy(...), or use processing time: tumbling(size, { time: 'processing' })`,
      { operator },
    );
  }
  if (spec.time === 'processing' && spec.allowedLateness > 0) {
    throw new TopologyError(`window '${operator}' runs on processing time, where nothing is late, but sets allowedLateness. Fix: drop allowedLateness, or use event time`, { operator });
  }
}
