/**
 * Every request carries the token when one is set: `Authorization: Bearer
 * <token>`, or the `weir_token` cookie a browser gets by opening the
 * dashboard once as `/?token=<token>` (EventSource cannot send headers). The
 * comparison is constant-time (over SHA-256 digests, so the lengths match).
 * The cookie is HttpOnly and SameSite=Strict: another site cannot make a
 * browser post job actions with it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'weir_token';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request presents, from its Authorization header or its cookie. */
export function presentedToken(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const cookie = req.headers.cookie;
  if (cookie) {
    for (const part of cookie.split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === TOKEN_COOKIE) return decodeURIComponent(v.join('='));
    }
  }
  return undefined;
}

export type AuthResult = { ok: true } | { ok: false } | { ok: 'login'; cookie: string; location: string };

/** Whether `req` may proceed; a page request with a right `?token=` becomes a cookie and a redirect without it in the URL. */
export function authorize(req: IncomingMessage, url: URL, token: string | undefined): AuthResult {
  if (token === undefined) return { ok: true };
  if (tokenMatches(presentedToken(req), token)) return { ok: true };
  const q = url.searchParams.get('token');
  if (req.method === 'GET' && q !== null && tokenMatches(q, token)) {
    url.searchParams.delete('token');
    const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(q)}; HttpOnly; SameSite=Strict; Path=/`;
    return { ok: 'login', cookie, location: `${url.pathname}${url.search}` };
  }
  return { ok: false };
}
