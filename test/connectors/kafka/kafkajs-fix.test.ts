/**
 * weir's kafkajs fixes (connectors/kafka/kafkajs-fix.ts) on real copies of
 * kafkajs, each in a temp node_modules with its own module-cache entries:
 * - a fresh copy of kafkajs 2.2.4: every fix takes, and kafkajs' own Batch,
 *   loaded afterwards, drops the records of an aborted transaction listed out
 *   of first-offset order (the case kafkajs 2.2.4 gets wrong);
 * - a copy that the program loaded before weir: the filter and grouping fixes
 *   cannot take (the encoder's binder loads on the first produce), kafkajs' Batch
 *   really delivers the aborted record, and a read_committed reader is
 *   refused with KAFKAJS_UNFIXED naming the cause and the fix (a writer only
 *   gets a warning: it reads nothing);
 * - a copy of another kafkajs version: nothing is patched, the same refusal
 *   names the version.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WeirError } from '../../../actors/errors.js';
import { installKafkajsFix, KAFKAJS_VERSION, requireKafkajsFix, type KafkajsFixReport } from '../../../connectors/kafka/kafkajs-fix.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A real copy of the installed kafkajs in a temp node_modules (optionally claiming another version); a require rooted there. */
function kafkajsCopy(version?: string): NodeJS.Require {
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-kafkajs-'));
  dirs.push(dir);
  const pkgDir = path.join(dir, 'node_modules', 'kafkajs');
  cpSync(path.join(ROOT, 'node_modules', 'kafkajs'), pkgDir, { recursive: true });
  if (version) {
    const pkg = JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(path.join(pkgDir, 'package.json'), JSON.stringify({ ...pkg, version }));
  }
  return createRequire(path.join(dir, 'app.js'));
}

/** What kafkajs' Batch of `req`'s copy delivers from producer 1's aborted transaction listed after producer 2's. */
function deliveredAborted(req: NodeJS.Require): string[] {
  const Batch = req(path.join(path.dirname(req.resolve('kafkajs/package.json')), 'src/consumer/batch.js')) as new (t: string, o: string, d: unknown) => { messages: { value: Buffer }[] };
  const rec = (offset: string, producerId: string) => ({ offset, key: null, value: Buffer.from(`aborted-${offset}`), isControlRecord: false, batchContext: { producerId, inTransaction: true } });
  const batch = new Batch('t', '0', {
    partition: 0,
    highWatermark: '2',
    abortedTransactions: [
      { producerId: '2', firstOffset: '1' },
      { producerId: '1', firstOffset: '0' },
    ],
    messages: [rec('0', '1'), rec('1', '2')],
  });
  return batch.messages.map((m) => m.value.toString());
}

function refusal(report: KafkajsFixReport): WeirError {
  try {
    requireKafkajsFix("kafka.source 'orders'", { readCommitted: true }, report);
  } catch (e) {
    return e as WeirError;
  }
  throw new Error('bug: requireKafkajsFix accepted a read_committed reader');
}

describe('kafkajs fixes on real copies of kafkajs', () => {
  it('a fresh kafkajs 2.2.4: every fix takes, and its Batch drops an aborted transaction listed out of order', () => {
    const req = kafkajsCopy();
    const report = installKafkajsFix(req);
    expect(report.version).toBe(KAFKAJS_VERSION);
    expect(report.problems).toEqual([]);
    expect(report.inPlace).toEqual({ filter: true, grouping: true, encoder: true });
    req('kafkajs'); // the program loads kafkajs afterwards: it binds weir's modules
    expect(deliveredAborted(req)).toEqual([]);
    expect(() => requireKafkajsFix("kafka.source 'orders'", { readCommitted: true }, report)).not.toThrow();
    expect(installKafkajsFix(req)).toBe(report); // once per copy
  });

  it("the placed record encoder hands a record with headers to kafkajs' own, loaded on first use: the same bytes", () => {
    const req = kafkajsCopy();
    installKafkajsFix(req);
    const file = path.join(path.dirname(req.resolve('kafkajs/package.json')), 'src/protocol/recordBatch/record/v0/index.js');
    type Encode = (f: object) => { buffer: Buffer };
    const placed = req(file) as Encode;
    const record = { offsetDelta: 3, timestampDelta: 7, key: Buffer.from('k'), value: Buffer.from('v'), headers: { trace: 'abc', multi: ['1', '2'] } };
    const bytes = placed(record).buffer;
    expect(req(file)).toBe(placed); // loading kafkajs' own aside kept weir's in the cache
    delete req.cache[file];
    const own = req(file) as Encode;
    expect(own).not.toBe(placed);
    expect(bytes).toEqual(own(record).buffer);
    expect(bytes.length).toBeGreaterThan(20); // the headers are in it
  });

  it('kafkajs loaded before weir: no fix takes, the aborted record is really delivered, and a read_committed reader is refused', () => {
    const req = kafkajsCopy();
    req('kafkajs');
    expect(deliveredAborted(req)).toEqual(['aborted-0']); // kafkajs 2.2.4's own filter
    const report = installKafkajsFix(req);
    // The encoder still takes: kafkajs binds it in its Produce v3 request, which it loads on its first produce.
    expect(report.inPlace).toEqual({ filter: false, grouping: false, encoder: true });
    expect(report.problems.join('\n')).toContain('kafkajs was loaded before weir, so the filter fix cannot take');
    expect(deliveredAborted(req)).toEqual(['aborted-0']);

    const e = refusal(report);
    expect(e).toBeInstanceOf(WeirError);
    expect(e.code).toBe('KAFKAJS_UNFIXED');
    expect(e.message).toContain("kafka.source 'orders' refuses to start");
    expect(e.message).toContain('records of aborted transactions');
    expect(e.message).toContain('kafkajs was loaded before weir');
    expect(e.message).toContain(`Fix: install kafkajs ${KAFKAJS_VERSION} exactly`);
    expect(e.message).toContain("import 'weir' before any import of kafkajs");

    // A writer reads nothing: it runs, with one warning that it is slower.
    const warnings: string[] = [];
    const log = { warn: (_o: unknown, msg?: string) => void warnings.push(String(msg)) } as unknown as Parameters<typeof requireKafkajsFix>[1]['log'];
    requireKafkajsFix("kafka.sink 'out'", { readCommitted: false, log }, report);
    requireKafkajsFix("kafka.sink 'out'", { readCommitted: false, log }, report);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("without weir's grouping fix");
  });

  it('another kafkajs version: nothing is patched, and the refusal names the version', () => {
    const req = kafkajsCopy('2.2.3');
    const report = installKafkajsFix(req);
    expect(report.version).toBe('2.2.3');
    expect(report.inPlace).toEqual({ filter: false, grouping: false, encoder: false });
    req('kafkajs');
    expect(deliveredAborted(req)).toEqual(['aborted-0']); // left as it is
    const e = refusal(report);
    expect(e.code).toBe('KAFKAJS_UNFIXED');
    expect(e.message).toContain(`kafkajs 2.2.3 is installed in ${path.dirname(req.resolve('kafkajs/package.json'))}`);
    expect(e.message).toContain(`kafkajs ${KAFKAJS_VERSION}`);
  });
});
