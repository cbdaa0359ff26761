/**
 * What every weir HTTP endpoint (a job's, a cluster member's) shares: the
 * security headers of each response, and listening with an error that names
 * the port and the fix. The endpoint never keeps a finished process alive.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WeirError } from '../../actors/errors.js';

export const SECURITY_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

/** Listens on host:port (0: a free port); resolves with the URL (never with a token). */
export async function listen(server: Server, host: string, port: number, what: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new WeirError('HTTP_LISTEN_FAILED', `cannot serve ${what} on ${host}:${port}: ${e.code ?? e.message}. Fix: ${e.code === 'EADDRINUSE' ? 'choose another port (--http PORT, 0 picks a free one)' : 'check the address'}`, { cause: e })),
    );
    server.listen(port, host, () => resolve());
  });
  server.unref();
  const addr = server.address() as AddressInfo;
  return `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
}
