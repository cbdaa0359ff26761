/**
 * What a fault-injection property exercised, counted over its runs: how many
 * restarted anything, how many restored from a mid-run checkpoint (a
 * checkpoint at which the sources had already emitted records: the case
 * where state kept outside checkpointed state goes wrong), per fault kind.
 * Printed in the format of fast-check's statistics; a property none of whose
 * runs restored from a mid-run checkpoint fails as vacuous. With
 * WEIR_COVERAGE_LEDGER set to a file, each property appends one JSON line to
 * it (weir's own suite sums them per `npm test`).
 */
import { appendFileSync } from 'node:fs';
import { WeirError } from '../../actors/errors.js';
import type { Fault, FaultKind } from './faults.js';
import type { RunTimeline } from './run-probe.js';

export interface CoverageSummary {
  property: string;
  runs: number;
  /** Runs whose schedule injected at least one fault. */
  faulted: number;
  /** Runs in which a fault forced at least one restore. */
  restarted: number;
  /** Runs that restored from a mid-run checkpoint. */
  midRun: number;
  /** Per fault kind: runs whose schedule held it, and of those, runs that restored from a mid-run checkpoint. */
  kinds: Partial<Record<FaultKind, { runs: number; midRun: number }>>;
  /** The largest fault-free run seen: mid-run checkpoints it completed, input records. */
  maxCheckpoints: number;
  maxRecords: number;
}

export class Coverage {
  readonly summary: CoverageSummary;

  constructor(property: string) {
    this.summary = { property, runs: 0, faulted: 0, restarted: 0, midRun: 0, kinds: {}, maxCheckpoints: 0, maxRecords: 0 };
  }

  /** One run: its fault-free shape and what its faulty run did. */
  add(faults: readonly Fault[], clean: RunTimeline, records: number, faulty: { recoveries: RunTimeline['recoveries'] } | undefined): void {
    const s = this.summary;
    s.runs++;
    s.maxCheckpoints = Math.max(s.maxCheckpoints, clean.checkpoints.filter((c) => !c.final).length);
    s.maxRecords = Math.max(s.maxRecords, records);
    if (faults.length) s.faulted++;
    const restarted = (faulty?.recoveries.length ?? 0) > 0;
    const midRun = faulty?.recoveries.some((r) => r.midRun) ?? false;
    if (restarted) s.restarted++;
    if (midRun) s.midRun++;
    for (const k of new Set(faults.map((f) => f.kind))) {
      const e = (s.kinds[k] ??= { runs: 0, midRun: 0 });
      e.runs++;
      if (midRun) e.midRun++;
    }
  }

  /** fast-check statistics style lines. */
  lines(): string[] {
    const s = this.summary;
    const pct = (n: number, of: number) => `${of ? ((100 * n) / of).toFixed(2) : '0.00'}%`;
    const row = (label: string, value: string) => `  ${label} ${'.'.repeat(Math.max(2, 46 - label.length))} ${value}`;
    const out = [
      `weir/testing ${s.property}: ${s.runs} runs`,
      row('restored from a mid-run checkpoint', `${pct(s.midRun, s.runs)} (${s.midRun})`),
      row('restarted anything', `${pct(s.restarted, s.runs)} (${s.restarted})`),
      row('injected a fault', `${pct(s.faulted, s.runs)} (${s.faulted})`),
    ];
    for (const [k, v] of Object.entries(s.kinds)) out.push(row(`${k}: restored from a mid-run checkpoint`, `${pct(v.midRun, v.runs)} of ${v.runs} runs with it`));
    return out;
  }

  /** Print, append to the ledger, and fail when nothing was exercised. */
  finish(logger: ((line: string) => void) | false, hint: string): CoverageSummary {
    if (logger) logger(this.lines().join('\n'));
    const ledger = process.env.WEIR_COVERAGE_LEDGER;
    if (ledger) {
      try {
        appendFileSync(ledger, JSON.stringify(this.summary) + '\n');
      } catch {
        // the ledger is a convenience for suites; a property does not fail over it
      }
    }
    const s = this.summary;
    if (s.runs > 0 && s.midRun === 0) {
      throw new WeirError(
        'VACUOUS_PROPERTY',
        `${s.property}: none of its ${s.runs} runs restored from a mid-run checkpoint, so it says nothing about recovery ` +
          `(the largest fault-free run took ${s.maxRecords} input record(s) and completed ${s.maxCheckpoints} checkpoint(s) before its final one). ` +
          `Fix: draw larger inputs (e.g. fc.array(arb, { minLength: 20, maxLength: 300 })) so a checkpoint completes mid-run${hint}`,
        { context: { ...s } },
      );
    }
    return s;
  }
}
