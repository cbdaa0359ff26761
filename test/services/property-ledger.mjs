// vitest globalSetup: count, over one `npm test`, what weir/testing's fault
// properties exercised. Every checkExactlyOnce / checkAtLeastOnce appends one
// JSON line (its coverage summary) to the file named by WEIR_COVERAGE_LEDGER
// (set here, inherited by the test processes); at teardown the lines are
// summed and one summary is printed: how many property runs injected a fault
// and forced a restore, and how many restored from a mid-run checkpoint.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export default function setup() {
  const file = path.join(os.tmpdir(), `weir-property-ledger-${process.pid}-${Date.now()}.jsonl`);
  writeFileSync(file, '');
  process.env.WEIR_COVERAGE_LEDGER = file;
  return function teardown() {
    let lines = [];
    try {
      lines = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    } finally {
      rmSync(file, { force: true });
    }
    if (!lines.length) return;
    const sum = (k) => lines.reduce((n, l) => n + (l[k] ?? 0), 0);
    const runs = sum('runs');
    console.log(
      `\nweir/testing fault properties in this run: ${lines.length} properties, ${runs} runs; ` +
        `${sum('restarted')} runs injected a fault that forced a restore, ${sum('midRun')} of them restored from a mid-run checkpoint ` +
        `(mutant properties, which stop at their first failure, included).\n`,
    );
  };
}
