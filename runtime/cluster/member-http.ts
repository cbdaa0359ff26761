/**
 * A cluster member's HTTP endpoint (`weir run --cluster ... --http [host:]port`,
 * or runCluster's `http` option, as in single-process mode, same token rules):
 *
 *   GET /metrics       Prometheus text format, per task (cluster-prometheus.ts)
 *   GET /api/status    this member's tasks and positions (handle.status())
 *
 * The dashboard is single-process only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Logger } from '../../actors/contract.js';
import { authorize } from '../http/auth.js';
import { listen, SECURITY_HEADERS } from '../http/listen.js';
import type { ResolvedHttpOptions } from '../http/options.js';
import { memberPrometheus, type MemberMetricsSource } from './cluster-prometheus.js';

export interface MemberEndpoint {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveMember(o: ResolvedHttpOptions, src: MemberMetricsSource, status: () => unknown, log: Logger): Promise<MemberEndpoint> {
  const prom = memberPrometheus(src);
  const send = (res: ServerResponse, code: number, type: string, body: string) => {
    res.writeHead(code, { ...SECURITY_HEADERS, 'Content-Type': type });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://weir.invalid');
    if (authorize(req, url, o.token).ok !== true) {
      res.writeHead(401, { ...SECURITY_HEADERS, 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer realm="weir"' });
      res.end(JSON.stringify({ error: 'UNAUTHORIZED', message: 'this endpoint needs the token: send "Authorization: Bearer <token>"' }));
      return;
    }
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /metrics') return send(res, 200, prom.registry.contentType, await prom.registry.metrics());
    if (route === 'GET /api/status') return send(res, 200, 'application/json; charset=utf-8', JSON.stringify(status()));
    send(res, 404, 'application/json; charset=utf-8', JSON.stringify({ error: 'NOT_FOUND', message: `no route ${route} on a cluster member; see GET /metrics, /api/status` }));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((e: Error) => {
      log.warn({ err: e, path: req.url?.split('?')[0] }, 'HTTP request failed');
      if (!res.headersSent) send(res, 500, 'application/json; charset=utf-8', JSON.stringify({ error: 'INTERNAL', message: e.message }));
      else res.end();
    });
  });
  const url = await listen(server, o.host, o.port, "a cluster member's metrics");
  log.info({ url }, `cluster member metrics at ${url}/metrics`);
  o.onListening?.(url);
  return {
    url,
    close: async () => {
      prom.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
