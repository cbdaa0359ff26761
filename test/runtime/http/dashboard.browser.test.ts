// The dashboard in a real browser: Debian's Chromium driven by playwright-core
// (test/services/chromium.ts installs or finds it). A running job on two
// worker threads; its sink is slowed by a flag file while the test watches.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { run } from '../../../runtime/index.js';
import type { JobHandle } from '../../../runtime/coordinator/job.js';
import { launchChromium } from '../../services/chromium.js';

const fixture = new URL('../../fixtures/observed.ts', import.meta.url).pathname;
const OUT = path.resolve('test-results');

describe('dashboard in Chromium', () => {
  let browser: BrowserContext;
  let closeBrowser: () => Promise<void>;
  let page: Page;
  let handle: JobHandle;
  let url = '';
  const dir = mkdtempSync(path.join(tmpdir(), 'weir-dash-'));
  const slowFile = path.join(dir, 'slow');

  beforeAll(async () => {
    mkdirSync(OUT, { recursive: true });
    process.env.WEIR_TEST_SLOW_FILE = slowFile; // read by the fixture's sink in every worker
    ({ context: browser, close: closeBrowser } = await launchChromium());
    let listening!: (u: string) => void;
    const ready = new Promise<string>((r) => (listening = r));
    // checkpointInterval 0: the only checkpoint is the one the test clicks for.
    handle = run(fixture, { workers: 2, metricsIntervalMs: 500, checkpointInterval: 0, jobId: `dash-${process.pid}`, http: { port: 0, onListening: listening } });
    url = await Promise.race([ready, handle.done.then(() => '')]);
    page = await browser.newPage();
  });

  afterAll(async () => {
    await handle?.stop().catch(() => {});
    await closeBrowser?.();
    rmSync(dir, { recursive: true, force: true });
    delete process.env.WEIR_TEST_SLOW_FILE;
  });

  it('shows every operator of the plan, live rates, backpressure, and a checkpoint taken from the page', async () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // The endpoint listens while the job still compiles and plans: /api/plan answers 503 until then.
    let res = await fetch(`${url}/api/plan`);
    while (res.status === 503) res = await new Promise((r) => setTimeout(r, 100)).then(() => fetch(`${url}/api/plan`));
    const plan = (await res.json()) as { operators: { id: string }[] };
    expect(plan.operators.map((o) => o.id)).toEqual(['numbers', 'enrich', 'sample', 'audit', 'count', 'store']);

    await page.goto(url);
    // Every operator is drawn in the topology and listed in the operator table.
    for (const o of plan.operators) {
      await page.locator(`#graph g.node[data-operator="${o.id}"]`).waitFor();
      await page.locator(`#operators tr[data-operator="${o.id}"]`).waitFor();
    }
    expect(await page.locator('#graph g.node').count()).toBe(plan.operators.length);

    // Rates arrive and change from one update to the next (updates every 500 ms here).
    const rateOf = () => page.locator('#graph g.node[data-operator="numbers"] text.rate').textContent();
    await expect.poll(rateOf, { timeout: 30_000 }).toMatch(/\d/);
    const first = await rateOf();
    await expect.poll(rateOf, { timeout: 2000, interval: 100 }).not.toBe(first);
    expect(await page.locator('#operators tr[data-operator="store"] .spark canvas').count()).toBe(1);

    // Slow the sink: the operator feeding it waits for credit, and the page says so.
    writeFileSync(slowFile, '1');
    await page.locator('#graph g.node[data-operator="count"][data-state="backpressured"]').waitFor({ timeout: 45_000 });
    await page.screenshot({ path: path.join(OUT, 'dashboard-backpressured.png'), fullPage: true });
    rmSync(slowFile, { force: true });
    await page.locator('#graph g.node[data-operator="count"]:not([data-state="backpressured"])').waitFor({ timeout: 60_000 });

    // Click "checkpoint": it commits and shows in the history.
    expect(await page.locator('#checkpoints tr[data-checkpoint]').count()).toBe(0);
    await page.click('#btn-checkpoint');
    const row = page.locator('#checkpoints tr[data-checkpoint][data-status="completed"]');
    await row.first().waitFor({ timeout: 60_000 });
    const id = Number(await row.first().getAttribute('data-checkpoint'));
    expect(id).toBeGreaterThan(0);
    const cps = (await (await fetch(`${url}/api/checkpoints`)).json()) as { history: { id: number; status: string }[] };
    expect(cps.history).toContainEqual(expect.objectContaining({ id, status: 'completed' }));
    await page.screenshot({ path: path.join(OUT, 'dashboard.png'), fullPage: true });
    expect(existsSync(path.join(OUT, 'dashboard.png'))).toBe(true);
  });
});
