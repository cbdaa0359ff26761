// A running job on two worker threads, scraped over HTTP: /metrics moves,
// its counters never go down across a region restart caused by an injected
// fault, the JSON API reports the failure, and the two actions work.
import { describe, expect, it } from 'vitest';
import { run } from '../../../runtime/index.js';
import type { JobMetrics } from '../../../runtime/coordinator/metrics.js';
import { threadInjector } from '../../../runtime/testing/index.js';

const fixture = new URL('../../fixtures/observed.ts', import.meta.url).pathname;

/** Counter samples of a scrape, by series. */
function counters(text: string): Map<string, number> {
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1], m[2]);
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^([a-z_]+)(\{[^}]*\})? (\S+)$/gm)) if (types.get(m[1]) === 'counter') out.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  return out;
}

async function listening(h: { done: Promise<unknown> }, ready: Promise<string>): Promise<string> {
  const url = await Promise.race([ready, h.done.then(() => '')]);
  for (;;) {
    const r = await fetch(`${url}/api/plan`);
    if (r.status === 200) return url;
    await new Promise((res) => setTimeout(res, 100));
  }
}

describe('HTTP endpoint of a running job', () => {
  it('counters move and never decrease across a region restart; failures, checkpoints and stop-with-savepoint over HTTP', async () => {
    let onListening!: (u: string) => void;
    const ready = new Promise<string>((r) => (onListening = r));
    const seen: JobMetrics[] = [];
    const h = run(fixture, {
      workers: 2,
      metricsIntervalMs: 250,
      checkpointInterval: 500,
      jobId: `endpoint-${process.pid}`,
      // enrich[0] fails once it has taken 1500 records: its region (the whole job, joined by keyBy) restarts.
      injector: threadInjector([], { faults: [{ index: 0, operator: 'enrich', instance: 0, afterRecords: 1500 }] }),
      restart: { backoff: { initialMs: 50, maxMs: 50 } },
      http: { port: 0, onListening },
      onMetrics: (m) => seen.push(m),
    });
    const url = await listening(h, ready);

    const scrapes: Map<string, number>[] = [];
    let restarts = 0;
    for (let i = 0; i < 400 && (restarts === 0 || scrapes.length < 8 + scrapes.findIndex((s) => (s.get('weir_region_restarts_total{job="' + `endpoint-${process.pid}` + '",region="0"}') ?? 0) > 0)); i++) {
      const r = await fetch(`${url}/metrics`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
      const c = counters(await r.text());
      scrapes.push(c);
      restarts = c.get(`weir_region_restarts_total{job="endpoint-${process.pid}",region="0"}`) ?? 0;
      await new Promise((res) => setTimeout(res, 250));
    }
    expect(restarts).toBe(1);

    // Values move: the sink's count grew over the run, and after the restart.
    const storeIn = (c: Map<string, number>) => c.get(`weir_operator_records_in_total{job="endpoint-${process.pid}",operator="store"}`) ?? 0;
    const firstRestarted = scrapes.findIndex((s) => (s.get(`weir_region_restarts_total{job="endpoint-${process.pid}",region="0"}`) ?? 0) > 0);
    // (Under load the restart may come before the sink's first report: compare with the scrape that saw it.)
    expect(storeIn(scrapes.at(-1)!)).toBeGreaterThan(storeIn(scrapes[firstRestarted]));
    // Counters never go down, series by series, scrape after scrape.
    let compared = 0;
    for (let i = 1; i < scrapes.length; i++) {
      for (const [series, v] of scrapes[i]) {
        const before = scrapes[i - 1].get(series);
        if (before === undefined) continue;
        expect(v, `${series} went down between scrapes ${i - 1} and ${i}`).toBeGreaterThanOrEqual(before);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(100);
    // The same model behind handle.metrics(): per actor, records never go down.
    for (let i = 1; i < seen.length; i++) {
      for (const [k, o] of seen[i].operators.entries()) {
        o.instances.forEach((inst, j) => expect(inst.recordsIn).toBeGreaterThanOrEqual(seen[i - 1].operators[k].instances[j].recordsIn));
      }
    }
    expect(h.metrics()!.restarts).toBe(1);

    // The failure, with its operator and error code.
    const failures = (await (await fetch(`${url}/api/failures`)).json()) as { restartsByRegion: number[]; failures: { code: string; operator: string; regions: number[] }[] };
    expect(failures.restartsByRegion).toEqual([1]);
    expect(failures.failures).toEqual([expect.objectContaining({ code: 'INJECTED_FAULT', operator: 'enrich', regions: [0] })]);

    // Trigger a checkpoint: answered once committed, then listed.
    const cp = await fetch(`${url}/api/checkpoints`, { method: 'POST' });
    expect(cp.status).toBe(200);
    const taken = (await cp.json()) as { id: number; durationMs: number; sizeBytes: number };
    expect(taken.sizeBytes).toBeGreaterThan(0);
    const list = (await (await fetch(`${url}/api/checkpoints`)).json()) as { completed: number; history: { id: number; status: string }[] };
    expect(list.history).toContainEqual(expect.objectContaining({ id: taken.id, status: 'completed' }));
    const job = (await (await fetch(`${url}/api/job`)).json()) as { state: string; restarts: number; checkpoints: { lastCompletedId: number } };
    expect(job).toMatchObject({ state: 'running', restarts: 1 });
    expect(job.checkpoints.lastCompletedId).toBeGreaterThanOrEqual(taken.id);

    // Stop with a savepoint: accepted at once; the job drains and keeps a savepoint.
    const stop = await fetch(`${url}/api/stop`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"savepoint":true}' });
    expect(stop.status).toBe(202);
    const result = await h.done;
    expect(result.stopped).toBe(true);
    expect(result.checkpoint?.kind).toBe('savepoint');
    // The endpoint closed with the job.
    await expect(fetch(`${url}/api/job`)).rejects.toThrow();
  });
});
