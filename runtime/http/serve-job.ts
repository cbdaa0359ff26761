/**
 * The job's hook into the HTTP endpoint: started by the coordinator when
 * run() has the `http` option. Loaded on demand, so a job without it never
 * loads prom-client or the server.
 */
import type { ResolvedOptions } from '../coordinator/options.js';
import { lazyLogger } from '../log.js';
import type { JobTelemetry } from '../metrics/telemetry.js';
import { redactText } from '../redact.js';
import type { HttpEndpoint, JobActions } from './server.js';

export type { HttpEndpoint };

export async function serveJob(o: ResolvedOptions, telemetry: JobTelemetry, actions: JobActions): Promise<HttpEndpoint | undefined> {
  if (!o.http) return undefined;
  telemetry.info.options = {
    workers: o.workers,
    parallelism: o.parallelism,
    state: typeof o.state === 'string' ? redactText(o.state) : (o.state.description ?? 'custom backend'),
    checkpointInterval: o.checkpointInterval,
    metricsIntervalMs: o.metricsIntervalMs,
  };
  const { startHttpServer } = await import('./server.js');
  const endpoint = await startHttpServer(o.http, telemetry, actions, lazyLogger(o.logLevel, { component: 'http' }));
  o.http.onListening?.(endpoint.url);
  return endpoint;
}
