/**
 * The dashboard (browser side): loads the plan and the recent history from
 * the JSON API, draws the topology with the layered layout, and updates
 * everything from the server-sent `update` events (one per metrics sample).
 * Bundled with uPlot by runtime/build-bundle.mjs into dist/dashboard/app.js;
 * no CDN. Text from the job (operator names, error messages) only ever goes
 * into textContent, never into markup.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import './style.css';
import { layout, DEFAULT_LAYOUT } from '../layout.js';
import type { PlanJson, JobJson, HistoryJson } from '../../api.js';
import type { JobMetrics, OperatorMetrics } from '../../../coordinator/metrics.js';
import type { CheckpointEvent, FailureEvent } from '../../../metrics/events.js';
import type { HistoryPoint } from '../../../metrics/telemetry.js';

interface Update {
  job: JobJson;
  metrics: JobMetrics | undefined;
  point: HistoryPoint | undefined;
  checkpoints: CheckpointEvent[];
  failures: FailureEvent[];
  restartsByRegion: number[];
}

const SVG = 'http://www.w3.org/2000/svg';
const SPARK_POINTS = 180;
const $ = <T extends Element = HTMLElement>(sel: string) => document.querySelector(sel) as T;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  for (const k of kids) e.append(k);
  return e;
}
function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

const fmtRate = (r: number) => (r >= 1e6 ? `${(r / 1e6).toFixed(2)}M` : r >= 1e4 ? `${(r / 1e3).toFixed(1)}k` : r >= 100 ? r.toFixed(0) : r.toFixed(1));
const fmtCount = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(Math.round(n)));
const fmtBytes = (b: number) => (b >= 1 << 30 ? `${(b / (1 << 30)).toFixed(2)} GiB` : b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MiB` : b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);
const fmtMs = (ms: number | undefined) => (ms === undefined ? '—' : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(ms < 10 ? 1 : 0)} ms`);
const pct = (x: number) => `${Math.round(x * 100)}%`;
const time = (at: number) => new Date(at).toLocaleTimeString();
const ago = (sec: number | undefined) => (sec === undefined ? '—' : sec < 60 ? `${sec.toFixed(0)} s ago` : `${(sec / 60).toFixed(1)} min ago`);

/** Event-time lag for a table cell: '—' without a watermark. */
export function fmtLag(ms: number | undefined): string {
  if (ms === undefined) return '—';
  const s = ms / 1000;
  return Math.abs(s) < 100 ? `${s.toFixed(1)} s` : Math.abs(s) < 6000 ? `${(s / 60).toFixed(1)} min` : `${(s / 3600).toFixed(1)} h`;
}

/** Flink's thresholds: more than half the time waiting for credit is high backpressure. */
export function operatorState(o: Pick<OperatorMetrics, 'backpressure' | 'busy'>): 'backpressured' | 'busy' | 'ok' {
  if (o.backpressure >= 0.5) return 'backpressured';
  if (o.busy >= 0.5) return 'busy';
  return 'ok';
}

/** Fill from pale blue (idle) to orange (busy); backpressured nodes are tinted red. */
function fill(o: Pick<OperatorMetrics, 'backpressure' | 'busy'>): string {
  if (o.backpressure >= 0.5) return '#fde4e4';
  const t = Math.max(0, Math.min(1, o.busy));
  const mix = (a: number, b: number) => Math.round(a + (b - a) * t);
  return `rgb(${mix(220, 255)},${mix(235, 182)},${mix(251, 97)})`;
}

/** The main rate of an operator: what sources emit, what the rest take in. */
const mainRate = (o: { kind: string; inRate: number; outRate: number }) => (o.kind === 'source' ? o.outRate : o.inRate);

let plan: PlanJson;
const nodes = new Map<string, { g: SVGGElement; box: SVGRectElement; rate: SVGTextElement; state: SVGTextElement }>();
const edgeEls: { el: SVGPathElement; from: string }[] = [];
const sparks = new Map<string, { plot: uPlot; xs: number[]; ys: number[] }>();
let cpChart: uPlot | undefined;
const cpData: { ids: number[]; ms: number[] } = { ids: [], ms: [] };
const checkpoints = new Map<number, CheckpointEvent>();

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(path, { credentials: 'same-origin', ...init });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body as { message?: string }).message ?? `${r.status} ${r.statusText}`);
  return body as T;
}

function drawGraph(p: PlanJson): void {
  const g = layout(p.operators, p.edges);
  const { nodeWidth: W, nodeHeight: H } = DEFAULT_LAYOUT;
  const pad = 24;
  const width = g.width + 2 * pad;
  const height = g.height + 2 * pad;
  const svg = s('svg', { viewBox: `${-pad} ${-pad} ${width} ${height}`, role: 'img', 'aria-label': 'job topology' });
  const wrap = $('#graph');
  // Fit the width when it can be read (down to 55 %), else scroll.
  const scale = Math.max(0.55, Math.min(1, (wrap.clientWidth - 8) / width));
  svg.setAttribute('width', String(width * scale));
  svg.setAttribute('height', String(height * scale));
  const defs = s('defs');
  // userSpaceOnUse: the arrowhead keeps its size while the edge's width follows its rate.
  const marker = s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: 'userSpaceOnUse', orient: 'auto-start-reverse' });
  marker.append(s('path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#95a3b5' }));
  defs.append(marker);
  svg.append(defs);
  const at = new Map(g.nodes.map((n) => [n.id, n]));
  for (const e of p.edges) {
    const a = at.get(e.from)!;
    const b = at.get(e.to)!;
    const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x - 2, y2 = b.y + H / 2;
    const mx = (x1 + x2) / 2;
    const path = s('path', { class: 'edge', d: `M ${x1} ${y1} C ${mx} ${y1}, ${mx} ${y2}, ${x2} ${y2}`, 'marker-end': 'url(#arrow)', 'stroke-width': 1.5 });
    svg.append(path);
    edgeEls.push({ el: path, from: e.from });
    if (e.partitioning !== 'forward') {
      const label = s('text', { class: 'edge-label', x: mx, y: (y1 + y2) / 2 - 5, 'text-anchor': 'middle' });
      label.textContent = e.partitioning;
      svg.append(label);
    }
  }
  for (const op of p.operators) {
    const n = at.get(op.id)!;
    const grp = s('g', { class: 'node', transform: `translate(${n.x},${n.y})`, 'data-operator': op.id, 'data-state': 'ok' });
    const title = s('title');
    title.textContent = `${op.id} (${op.kind}), parallelism ${op.parallelism}, on worker(s) ${op.workers.join(', ')}`;
    const box = s('rect', { class: 'box', width: W, height: H, rx: 8, fill: fill({ busy: 0, backpressure: 0 }) });
    const name = s('text', { class: 'name', x: 10, y: 18 });
    name.textContent = op.id.length > 17 ? `${op.id.slice(0, 16)}…` : op.id;
    const sub = s('text', { class: 'sub', x: 10, y: 34 });
    sub.textContent = `${op.kind} · p=${op.parallelism} · ${op.workers.map((w) => `w${w}`).join(' ')}`;
    const rate = s('text', { class: 'rate', x: 10, y: 53 });
    rate.textContent = '—';
    const state = s('text', { class: 'state', x: W - 8, y: 16, 'text-anchor': 'end' });
    state.textContent = 'ok';
    grp.append(title, box, name, sub, rate, state);
    svg.append(grp);
    nodes.set(op.id, { g: grp, box, rate, state });
  }
  wrap.replaceChildren(svg);
}

function updateGraph(m: JobMetrics): void {
  const rates = new Map<string, number>();
  for (const o of m.operators) {
    const n = nodes.get(o.operator);
    rates.set(o.operator, o.outRate);
    if (!n) continue;
    const st = operatorState(o);
    n.g.setAttribute('data-state', st);
    n.box.setAttribute('fill', fill(o));
    n.rate.textContent = `${fmtRate(mainRate(o))}/s · busy ${pct(o.busy)}${o.kind === 'sink' ? '' : ` · bp ${pct(o.backpressure)}`}`;
    n.state.textContent = st;
  }
  for (const e of edgeEls) e.el.setAttribute('stroke-width', String(1.2 + Math.min(5, Math.log10(1 + (rates.get(e.from) ?? 0)) * 0.8)));
}

function sparkOpts(width: number, height: number, color: string): uPlot.Options {
  return {
    width,
    height,
    cursor: { show: false },
    legend: { show: false },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    // A little room below zero, so a stalled operator's line stays visible on the axis.
    scales: { x: { time: false }, y: { range: (_u, _min, max) => [-Math.max(1, max) * 0.06, Math.max(1, max * 1.1)] } },
    axes: [{ show: false }, { show: false }],
    series: [{}, { stroke: color, fill: `${color}22`, width: 1.5, points: { show: false } }],
  };
}

function buildOperatorRows(p: PlanJson, history: HistoryJson): void {
  const tbody = $('#operators tbody');
  tbody.replaceChildren();
  for (const op of p.operators) {
    const spark = h('div', { class: 'spark' });
    const tr = h('tr', { 'data-operator': op.id }, h('td', {}, op.id), h('td', {}, op.kind), h('td', { class: 'num' }, String(op.parallelism)));
    for (const c of ['in', 'out', 'queued', 'busy', 'bp', 'lag']) tr.append(h('td', { class: 'num', 'data-col': c }, '—'));
    tr.append(h('td', {}, spark));
    tbody.append(tr);
    const idx = history.operators.indexOf(op.id);
    const xs: number[] = [];
    const ys: number[] = [];
    for (const pt of history.points.slice(-SPARK_POINTS)) {
      if (idx < 0) break;
      xs.push(pt.at / 1000);
      ys.push(op.kind === 'source' ? pt.outRate[idx] : pt.inRate[idx]);
    }
    const plot = new uPlot(sparkOpts(160, 34, op.kind === 'sink' ? '#2f9e62' : '#1f6fd1'), [xs, ys], spark);
    sparks.set(op.id, { plot, xs, ys });
  }
}

function updateOperators(m: JobMetrics, point: HistoryPoint | undefined): void {
  for (const o of m.operators) {
    const tr = document.querySelector(`#operators tr[data-operator="${CSS.escape(o.operator)}"]`);
    if (!tr) continue;
    const cell = (c: string) => tr.querySelector(`[data-col="${c}"]`)!;
    cell('in').textContent = o.kind === 'source' ? '—' : fmtRate(o.inRate);
    cell('out').textContent = o.kind === 'sink' ? '—' : fmtRate(o.outRate);
    cell('queued').textContent = fmtCount(o.queued);
    cell('busy').replaceChildren(h('span', { class: 'bar', style: `width:${Math.round(o.busy * 40)}px` }), pct(o.busy));
    cell('bp').replaceChildren(h('span', { class: 'bar bp', style: `width:${Math.round(o.backpressure * 40)}px` }), pct(o.backpressure));
    // Event time (after assignTimestamps): how far the watermark trails the clock, with the watermark on hover.
    cell('lag').textContent = fmtLag(o.eventTimeLagMs);
    cell('lag').setAttribute('title', o.watermark === undefined ? 'no watermark' : `watermark ${new Date(o.watermark).toISOString()}`);
    tr.classList.toggle('backpressured', operatorState(o) === 'backpressured');
    const sp = sparks.get(o.operator);
    if (sp && point) {
      sp.xs.push(point.at / 1000);
      sp.ys.push(mainRate(o));
      if (sp.xs.length > SPARK_POINTS) {
        sp.xs.shift();
        sp.ys.shift();
      }
      sp.plot.setData([sp.xs, sp.ys]);
    }
  }
}

function updateActors(m: JobMetrics): void {
  const tbody = $('#actors tbody');
  const rows: HTMLElement[] = [];
  for (const o of m.operators) {
    for (const i of o.instances) {
      const tr = h('tr', { 'data-actor': `${o.operator}[${i.instance}]` });
      if (i.backpressure >= 0.5) tr.className = 'backpressured';
      tr.append(h('td', {}, o.operator));
      for (const v of [String(i.instance), `w${i.worker}`, fmtCount(i.recordsIn), fmtCount(i.recordsOut), fmtRate(i.inRate), fmtRate(i.outRate), fmtCount(i.queued), String(i.credits), pct(i.busy), pct(i.backpressure)]) {
        tr.append(h('td', { class: 'num' }, v));
      }
      rows.push(tr);
    }
  }
  tbody.replaceChildren(...rows);
}

function updateWorkers(m: JobMetrics): void {
  $('#workers tbody').replaceChildren(
    ...m.workers.map((w) => h('tr', {}, h('td', {}, `w${w.worker}`), h('td', { class: 'num' }, fmtBytes(w.heapUsed)), h('td', { class: 'num' }, pct(w.elu)), h('td', { class: 'num' }, fmtMs(w.loopDelayMs.p99)))),
  );
}

function updateCheckpoints(list: CheckpointEvent[], job: JobJson): void {
  for (const c of list) checkpoints.set(c.id * 10 + (c.status === 'completed' ? 0 : c.status === 'failed' ? 1 : 2), c);
  const all = [...checkpoints.values()].sort((a, b) => b.at - a.at || b.id - a.id).slice(0, 50);
  const tbody = $('#checkpoints tbody');
  if (!all.length) tbody.replaceChildren(h('tr', {}, h('td', { colspan: '6', class: 'empty' }, 'no checkpoint yet')));
  else {
    tbody.replaceChildren(
      ...all.map((c) => {
        const tr = h('tr', { 'data-checkpoint': String(c.id), 'data-status': c.status });
        if (c.error) tr.title = c.error;
        tr.append(h('td', { class: 'num' }, String(c.id)), h('td', {}, c.kind), h('td', { class: `status-${c.status}` }, c.status), h('td', { class: 'num' }, fmtMs(c.durationMs)), h('td', { class: 'num' }, c.sizeBytes === undefined ? '—' : fmtBytes(c.sizeBytes)), h('td', {}, time(c.at)));
        return tr;
      }),
    );
  }
  const done = all.filter((c) => c.status === 'completed' && c.durationMs !== undefined).reverse();
  cpData.ids = done.map((c) => c.id);
  cpData.ms = done.map((c) => c.durationMs!);
  const el = $('#cp-chart');
  el.hidden = done.length === 0;
  if (!cpChart && done.length > 0 && el.clientWidth > 0) {
    const opts = sparkOpts(el.clientWidth, 90, '#7c5cd6');
    opts.scales = { x: { time: false }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.25)] } };
    opts.axes = [
      { show: true, size: 22, stroke: '#6b7685', grid: { show: false }, ticks: { show: false }, values: (_u, v) => v.map((x) => (Number.isInteger(x) ? `#${x}` : '')) },
      { show: true, size: 56, stroke: '#6b7685', values: (_u, v) => v.map((x) => fmtMs(x)), grid: { stroke: '#eef1f5' } },
    ];
    opts.series[1] = { stroke: '#7c5cd6', fill: '#7c5cd622', width: 1.5, points: { show: true, size: 4 } };
    cpChart = new uPlot(opts, [cpData.ids, cpData.ms], el);
  } else cpChart?.setData([cpData.ids, cpData.ms]);
  const c = job.checkpoints;
  $('#cp-summary').textContent = `${c.completed} completed · ${c.failed} failed${c.lastCompletedId === undefined ? '' : ` · last #${c.lastCompletedId}, ${ago(c.lastCompletedAgeSeconds)}`}`;
}

function updateFailures(failures: FailureEvent[], restartsByRegion: number[]): void {
  const total = restartsByRegion.reduce((a, b) => a + b, 0);
  $('#restart-summary').textContent = `${total} restart(s)${total ? ` · by region: ${restartsByRegion.map((n, r) => `r${r}: ${n}`).join(', ')}` : ''}`;
  const ul = $('#failures');
  if (!failures.length) return void ul.replaceChildren(h('li', { class: 'empty' }, 'no failure so far'));
  ul.replaceChildren(
    ...failures
      .slice()
      .reverse()
      .map((f) =>
        h(
          'li',
          {},
          h('div', { class: 'when' }, `${time(f.at)} · region ${f.regions.join(', ')} restarted${f.operator ? ` · ${f.operator}${f.instance === undefined ? '' : `[${f.instance}]`}` : ''}${f.crashedWorkers.length ? ` · worker ${f.crashedWorkers.join(', ')} crashed` : ''}`),
          h('code', {}, f.code),
          h('div', { class: 'msg' }, f.message),
        ),
      ),
  );
}

function card(label: string, value: string, sub = ''): HTMLElement {
  return h('div', { class: 'card' }, h('div', { class: 'label' }, label), h('div', { class: 'value' }, value), h('div', { class: 'sub' }, sub));
}

function updateHeader(u: Update): void {
  const j = u.job;
  $('#job-name').textContent = j.job;
  const badge = $('#job-state');
  badge.textContent = j.state;
  badge.className = `badge ${j.state}`;
  $('#job-meta').textContent = `up ${Math.floor(j.uptimeSeconds)} s · ${plan?.workers ?? '?'} worker(s) · ${plan?.operators.length ?? '?'} operators${j.resumedFrom ? ` · resumed from checkpoint ${j.resumedFrom}` : ''}${j.error ? ` · ${j.error}` : ''}`;
  const m = u.metrics;
  const sources = m?.operators.filter((o) => o.kind === 'source') ?? [];
  const sinks = m?.operators.filter((o) => o.kind === 'sink') ?? [];
  const bp = m?.operators.filter((o) => operatorState(o) === 'backpressured').map((o) => o.operator) ?? [];
  $('#cards').replaceChildren(
    card('sources', `${fmtRate(sources.reduce((a, o) => a + o.outRate, 0))}/s`, `${fmtCount(sources.reduce((a, o) => a + o.recordsOut, 0))} records`),
    card('sinks', `${fmtRate(sinks.reduce((a, o) => a + o.inRate, 0))}/s`, `${fmtCount(sinks.reduce((a, o) => a + o.recordsIn, 0))} records`),
    card('backpressured', String(bp.length), bp.slice(0, 3).join(', ') || 'none'),
    card('checkpoints', String(j.checkpoints.completed), `${j.checkpoints.failed} failed · last ${ago(j.checkpoints.lastCompletedAgeSeconds)}`),
    card('restarts', String(j.restarts), u.failures.at(-1)?.code ?? 'none'),
    card('heap', fmtBytes(m?.workers.reduce((a, w) => a + w.heapUsed, 0) ?? 0), `${m?.workers.length ?? 0} worker(s)`),
  );
}

function render(u: Update): void {
  updateHeader(u);
  if (u.metrics) {
    updateGraph(u.metrics);
    updateOperators(u.metrics, u.point);
    updateActors(u.metrics);
    updateWorkers(u.metrics);
  }
  updateCheckpoints(u.checkpoints, u.job);
  updateFailures(u.failures, u.restartsByRegion);
  const ended = u.job.state === 'ended' || u.job.state === 'failed' || u.job.state === 'ending';
  ($('#btn-checkpoint') as HTMLButtonElement).disabled = ended || u.job.state !== 'running';
  ($('#btn-stop') as HTMLButtonElement).disabled = ended;
}

let toastTimer: ReturnType<typeof setTimeout> | undefined;
function toast(text: string, error = false): void {
  const t = $('#toast');
  t.textContent = text;
  t.className = error ? 'toast error' : 'toast';
  t.hidden = false;
  if (toastTimer) clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (t.hidden = true), 4000);
}

function wireActions(): void {
  const cp = $('#btn-checkpoint') as HTMLButtonElement;
  cp.addEventListener('click', async () => {
    cp.disabled = true;
    try {
      const c = await api<{ id: number; durationMs: number; sizeBytes: number }>('api/checkpoints', { method: 'POST' });
      checkpoints.set(c.id * 10, { id: c.id, kind: 'checkpoint', status: 'completed', at: Date.now(), durationMs: c.durationMs, sizeBytes: c.sizeBytes });
      toast(`checkpoint ${c.id} committed in ${fmtMs(c.durationMs)} (${fmtBytes(c.sizeBytes)})`);
    } catch (e) {
      toast(`checkpoint failed: ${(e as Error).message}`, true);
    } finally {
      cp.disabled = false;
    }
  });
  const stop = $('#btn-stop') as HTMLButtonElement;
  stop.addEventListener('click', async () => {
    if (!confirm('Drain the job and stop it with a savepoint?')) return;
    stop.disabled = true;
    try {
      await api('api/stop', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ savepoint: true }) });
      toast('stopping: draining, then a savepoint');
    } catch (e) {
      toast(`stop failed: ${(e as Error).message}`, true);
      stop.disabled = false;
    }
  });
}

async function main(): Promise<void> {
  wireActions();
  for (;;) {
    try {
      plan = await api<PlanJson>('api/plan');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500)); // still loading
    }
  }
  drawGraph(plan);
  buildOperatorRows(plan, await api<HistoryJson>('api/history'));
  const es = new EventSource('api/events');
  es.addEventListener('update', (ev) => render(JSON.parse((ev as MessageEvent).data) as Update));
  es.addEventListener('checkpoint', (ev) => {
    const c = JSON.parse((ev as MessageEvent).data) as CheckpointEvent;
    checkpoints.set(c.id * 10 + (c.status === 'completed' ? 0 : c.status === 'failed' ? 1 : 2), c);
  });
  es.onerror = () => {
    const b = $('#job-state');
    if (b.textContent !== 'ended') {
      b.textContent = 'disconnected';
      b.className = 'badge';
    }
  };
}

void main();
