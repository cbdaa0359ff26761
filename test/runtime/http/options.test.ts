// Tests runtime/http/options.ts: --http parsing and the token rule.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../actors/errors.js';
import { isLoopback, parseListen, resolveHttpOptions } from '../../../runtime/http/options.js';
import { resolveOptions } from '../../../runtime/coordinator/options.js';

const TOKEN = 'a-token-of-24-characters';

describe('HTTP options', () => {
  it('parses [host:]port', () => {
    expect(parseListen('8081')).toEqual({ port: 8081 });
    expect(parseListen(':9000')).toEqual({ port: 9000 });
    expect(parseListen('0.0.0.0:8081')).toEqual({ host: '0.0.0.0', port: 8081 });
    expect(parseListen('[::1]:8081')).toEqual({ host: '::1', port: 8081 });
    for (const bad of ['', 'http', '1.2.3.4:', '70000', 'host:port']) expect(() => parseListen(bad)).toThrow(/is not \[host:\]port. Fix/);
  });

  it('binds 127.0.0.1 by default, with no token needed there', () => {
    expect(resolveHttpOptions({ port: 0 }, {})).toMatchObject({ host: '127.0.0.1', port: 0, token: undefined });
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) expect(isLoopback(h)).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.4', '10.0.0.1']) expect(isLoopback(h)).toBe(false);
  });

  it('refuses a non-loopback bind without a token, naming the fix, and never quotes a token', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.4']) {
      const e = (() => {
        try {
          resolveHttpOptions({ host, port: 8081 }, {});
        } catch (x) {
          return x as ConfigError;
        }
      })();
      expect(e).toBeInstanceOf(ConfigError);
      expect(e!.message).toMatch(/not a loopback address, without a token. Fix: set WEIR_HTTP_TOKEN/);
    }
    expect(resolveHttpOptions({ host: '0.0.0.0', port: 8081, token: TOKEN }, {}).token).toBe(TOKEN);
    expect(resolveHttpOptions({ host: '0.0.0.0', port: 8081 }, { WEIR_HTTP_TOKEN: TOKEN }).token).toBe(TOKEN);
    const weak = 'short-secret';
    expect(() => resolveHttpOptions({ port: 1, token: weak }, {})).toThrow(/at least 16 characters/);
    try {
      resolveHttpOptions({ port: 1, token: weak }, {});
    } catch (e) {
      expect((e as Error).message).not.toContain(weak);
    }
  });

  it('checks port and host, and run() options validate http with the rest', () => {
    expect(() => resolveHttpOptions({ port: 70000 }, {})).toThrow(/http.port is 70000/);
    expect(() => resolveHttpOptions({ port: 80, host: 'example.org' }, {})).toThrow(/is not an IP address/);
    expect(() => resolveOptions({ http: { host: '0.0.0.0', port: 8081 } })).toThrow(ConfigError);
    expect(resolveOptions({}).http).toBeUndefined();
  });
});
