/**
 * The HTTP endpoint's options: `weir run --http [host:]port` or
 * run({ http: { host, port, token } }). It binds to 127.0.0.1 unless told
 * otherwise; any other address needs a token (--http-token or
 * WEIR_HTTP_TOKEN), which every request must then carry. A token given on
 * loopback is enforced too.
 */
import { isIP } from 'node:net';
import { ConfigError } from '../../actors/errors.js';

export interface HttpOptions {
  /** Address to bind (default 127.0.0.1). */
  host?: string;
  /** Port; 0 picks a free one (see the `url` the server reports). */
  port: number;
  /** Bearer token required on every request; default: the WEIR_HTTP_TOKEN environment variable. Required off loopback. */
  token?: string;
  /** Called with the endpoint's URL (without the token) once it listens. */
  onListening?(url: string): void;
}

export interface ResolvedHttpOptions {
  host: string;
  port: number;
  token: string | undefined;
  onListening?(url: string): void;
}

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const TOKEN_ENV = 'WEIR_HTTP_TOKEN';
export const MIN_TOKEN_LENGTH = 16;

/** `[host:]port`, `[v6-address]:port` or `:port`, as --http takes it. */
export function parseListen(s: string): { host?: string; port: number } {
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]*):)?(\d{1,5})$/.exec(s.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65535) {
    throw new ConfigError(`--http '${s}' is not [host:]port. Fix: give a port (8081), host:port (0.0.0.0:8081) or [::1]:8081`, { field: 'http' });
  }
  const host = m[1] ?? (m[2] || undefined);
  return host === undefined ? { port } : { host, port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

export function resolveHttpOptions(o: HttpOptions, env: NodeJS.ProcessEnv = process.env): ResolvedHttpOptions {
  if (typeof o !== 'object' || o === null) throw new ConfigError('http must be { port, host?, token? }. Fix: run(job, { http: { port: 8081 } })', { field: 'http' });
  const host = o.host ?? DEFAULT_HTTP_HOST;
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) {
    throw new ConfigError(`http.port is ${String(o.port)}. Fix: give an integer from 0 to 65535 (0 picks a free port)`, { field: 'http.port' });
  }
  if (host !== 'localhost' && isIP(host) === 0) {
    throw new ConfigError(`http.host '${host}' is not an IP address. Fix: give one, such as 127.0.0.1 (default), 0.0.0.0 or ::`, { field: 'http.host' });
  }
  const token = o.token ?? (env[TOKEN_ENV] || undefined);
  if (token !== undefined && (typeof token !== 'string' || token.length < MIN_TOKEN_LENGTH || /\s/.test(token))) {
    // Never quote the token: error messages end up in logs.
    throw new ConfigError(`the HTTP token is too weak: it must be at least ${MIN_TOKEN_LENGTH} characters without spaces. Fix: use a random one, e.g. \`openssl rand -hex 24\``, { field: 'http.token' });
  }
  if (!isLoopback(host) && token === undefined) {
    throw new ConfigError(
      `refusing to serve metrics and job actions on ${host}, which is not a loopback address, without a token. ` +
        `Fix: set ${TOKEN_ENV} (or pass --http-token / http.token), or bind to 127.0.0.1`,
      { field: 'http.token' },
    );
  }
  return { host, port: o.port, token, onListening: o.onListening };
}
