/**
 * Credentials never reach a log line or an API answer: user:password in
 * URLs (redis://user:pw@host, kafka SASL given as a URL), and password/token
 * query parameters, are replaced by '***'. Applied to text, so an error
 * message that quotes a URL is redacted too.
 */

const URL_CREDENTIALS = /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]*):([^\s/@]*)@/gi;
const URL_USERINFO = /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+)@/gi;
const SECRET_PARAMS = /([?&](?:password|passwd|pwd|token|secret|access_token|sasl_password)=)[^&\s#]*/gi;

export function redactText(s: string): string {
  return s.replace(URL_CREDENTIALS, '$1$2:***@').replace(URL_USERINFO, '$1***@').replace(SECRET_PARAMS, '$1***');
}

const SECRET_KEYS = /^(password|passwd|pwd|token|secret|sasl|credentials|authorization|httpToken)$/i;

/** A copy of `v` with secret-named fields and credentials in strings redacted (depth-limited). */
export function redactValue(v: unknown, depth = 6): unknown {
  if (typeof v === 'string') return redactText(v);
  if (v === null || typeof v !== 'object' || depth <= 0) return v;
  if (v instanceof Error) {
    // Same class (loggers print its name), redacted copies of its fields.
    const e = Object.create(Object.getPrototypeOf(v) as object) as Record<string, unknown>;
    e.message = redactText(v.message);
    if (v.stack) e.stack = redactText(v.stack);
    for (const [k, x] of Object.entries(v)) e[k] = SECRET_KEYS.test(k) ? '***' : redactValue(x, depth - 1);
    if (v.cause !== undefined) e.cause = redactValue(v.cause, depth - 1);
    return e;
  }
  if (Array.isArray(v)) return v.map((x) => redactValue(x, depth - 1));
  if (v instanceof Uint8Array) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = SECRET_KEYS.test(k) && x !== undefined ? '***' : redactValue(x, depth - 1);
  return out;
}
