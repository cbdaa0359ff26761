/**
 * The job's HTTP endpoint (Node's http: a handful of routes needs no
 * framework): Prometheus metrics, the JSON API, two job actions, and the
 * dashboard with its live stream (server-sent events, one per metrics
 * sample).
 *
 *   GET  /                    the dashboard
 *   GET  /metrics             Prometheus text format
 *   GET  /api/job | /api/plan | /api/metrics | /api/history | /api/checkpoints | /api/failures
 *   GET  /api/events          server-sent events: `update` each sample, `checkpoint` as they settle
 *   POST /api/checkpoints     take a checkpoint now; answers with it when committed
 *   POST /api/stop            stop with a savepoint (body {"savepoint": false} for a plain drain); answers 202 at once
 *
 * With a token (required off loopback) every route, the dashboard included,
 * needs it (auth.ts). The token is never logged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import type { CompletedCheckpoint } from '../coordinator/checkpointer.js';
import type { JobTelemetry } from '../metrics/telemetry.js';
import { redactText } from '../redact.js';
import { checkpointsJson, failuresJson, historyJson, jobJson, metricsJson, planJson, updateJson } from './api.js';
import { DashboardAssets } from './assets.js';
import { authorize } from './auth.js';
import { listen, SECURITY_HEADERS } from './listen.js';
import type { ResolvedHttpOptions } from './options.js';
import { prometheusRegistry } from './prometheus.js';

/** What the endpoint may ask of the job. */
export interface JobActions {
  checkpoint(): Promise<CompletedCheckpoint>;
  stop(options: { savepoint: boolean }): Promise<unknown>;
}

export interface HttpEndpoint {
  /** Where it listens, e.g. http://127.0.0.1:8081 (never with the token). */
  readonly url: string;
  close(): Promise<void>;
}

const PAGE_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export async function startHttpServer(o: ResolvedHttpOptions, telemetry: JobTelemetry, actions: JobActions, log: Logger, assets = new DashboardAssets()): Promise<HttpEndpoint> {
  const prom = prometheusRegistry(telemetry);
  const streams = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      log.warn({ err: e, path: req.url?.split('?')[0] }, 'HTTP request failed');
      if (!res.headersSent) json(res, 500, { error: 'INTERNAL', message: redactText(e instanceof Error ? e.message : String(e)) });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://weir.invalid');
    const auth = authorize(req, url, o.token);
    if (auth.ok === 'login') {
      res.writeHead(303, { ...SECURITY_HEADERS, 'Set-Cookie': auth.cookie, Location: auth.location });
      res.end();
      return;
    }
    if (!auth.ok) {
      res.writeHead(401, { ...SECURITY_HEADERS, 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="weir"' });
      res.end(JSON.stringify({ error: 'UNAUTHORIZED', message: 'this endpoint needs the token: send "Authorization: Bearer <token>", or open the dashboard once as /?token=<token>' }));
      return;
    }
    const route = `${req.method} ${url.pathname}`;
    if (req.method === 'POST' && !sameOrigin(req)) return json(res, 403, { error: 'FORBIDDEN', message: 'cross-origin request refused' });
    switch (route) {
      case 'GET /':
      case 'GET /index.html':
        return asset(res, 'index.html');
      case 'GET /assets/app.js':
        return asset(res, 'app.js');
      case 'GET /assets/app.css':
        return asset(res, 'app.css');
      case 'GET /metrics': {
        const body = await prom.registry.metrics();
        res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': prom.registry.contentType });
        res.end(body);
        return;
      }
      case 'GET /api/job':
        return json(res, 200, jobJson(telemetry));
      case 'GET /api/plan':
        return telemetry.plan ? json(res, 200, planJson(telemetry.plan)) : json(res, 503, { error: 'NOT_PLANNED', message: 'the job is still loading; try again shortly' });
      case 'GET /api/metrics':
        return json(res, 200, metricsJson(telemetry));
      case 'GET /api/history':
        return json(res, 200, historyJson(telemetry));
      case 'GET /api/checkpoints':
        return json(res, 200, checkpointsJson(telemetry));
      case 'GET /api/failures':
        return json(res, 200, failuresJson(telemetry));
      case 'GET /api/events':
        return events(req, res);
      case 'POST /api/checkpoints':
        try {
          return json(res, 200, await actions.checkpoint());
        } catch (e) {
          return json(res, 409, errorJson(e));
        }
      case 'POST /api/stop': {
        const body = (await readJson(req)) as { savepoint?: unknown };
        const savepoint = body?.savepoint !== false;
        log.info({ savepoint }, 'stop requested over HTTP');
        void actions.stop({ savepoint }).catch(() => {});
        return json(res, 202, { stopping: true, savepoint });
      }
      default:
        if (/^(GET|POST) \/(api\/|metrics|assets\/|$)/.test(route) || ['GET', 'POST'].includes(req.method ?? '')) {
          return json(res, 404, { error: 'NOT_FOUND', message: `no route ${route}; see GET /api/job, /api/plan, /api/metrics, /api/checkpoints, /api/failures, /metrics` });
        }
        res.writeHead(405, { ...SECURITY_HEADERS, Allow: 'GET, POST' });
        res.end();
    }
  }

  function asset(res: ServerResponse, name: string): void {
    const a = assets.get(name);
    if (!a) {
      res.writeHead(404, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end(`weir: the dashboard's ${name} is missing (${assets.dir ?? 'no dist/dashboard found'}). Fix: run \`npm run build\` in the weir package. The JSON API and /metrics work without it.\n`);
      return;
    }
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': a.type, 'Content-Security-Policy': PAGE_CSP });
    res.end(a.body);
  }

  function events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream', Connection: 'keep-alive' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.write('retry: 1000\n\n');
    send('update', updateJson(telemetry));
    const offSample = telemetry.onSample(() => send('update', updateJson(telemetry)));
    const offCheckpoint = telemetry.onCheckpoint((e) => send('checkpoint', e));
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    keepAlive.unref();
    streams.add(res);
    const close = () => {
      offSample();
      offCheckpoint();
      clearInterval(keepAlive);
      streams.delete(res);
    };
    req.on('close', close);
    res.on('close', close);
  }

  const url = await listen(server, o.host, o.port, 'the dashboard');
  log.info({ url, auth: o.token ? 'token' : 'none' }, `dashboard and metrics at ${url}`);
  return {
    url,
    close: async () => {
      prom.close();
      for (const s of streams) s.end();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function errorJson(e: unknown): { error: string; message: string } {
  if (e instanceof WeirError) return { error: e.code, message: redactText(e.message) };
  return { error: 'INTERNAL', message: redactText(e instanceof Error ? e.message : String(e)) };
}

/** A POST from a page of another origin (a browser sends Origin) is refused. */
function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (!origin) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

async function readJson(req: IncomingMessage, max = 4096): Promise<unknown> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > max) throw new WeirError('HTTP_BODY_TOO_LARGE', `request body over ${max} bytes`);
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
