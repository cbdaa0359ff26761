// Tests runtime/redact.ts: credentials never reach logs or API answers.
import { describe, expect, it } from 'vitest';
import { redactText, redactValue } from '../../runtime/redact.js';

describe('redact', () => {
  it('replaces passwords in URLs and secret query parameters, keeps the rest', () => {
    expect(redactText('state redis://default:s3cret@127.0.0.1:6379/0 is down')).toBe('state redis://default:***@127.0.0.1:6379/0 is down');
    expect(redactText('rediss://:pw@h:1 and kafka://user:p%40ss@b:9092')).toBe('rediss://:***@h:1 and kafka://user:***@b:9092');
    expect(redactText('redis://token-only@h:1')).toBe('redis://***@h:1');
    expect(redactText('http://h/x?token=abc&x=1&password=p')).toBe('http://h/x?token=***&x=1&password=***');
    expect(redactText('redis://127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379/0');
  });

  it('redacts secret-named fields and strings deep in objects and errors', () => {
    const err = new Error('cannot reach redis://u:pw1@h:1');
    const v = redactValue({ sasl: { mechanism: 'plain', username: 'u', password: 'pw2' }, token: 'tok', nested: [{ url: 'redis://a:pw3@h' }], err }) as Record<string, unknown>;
    const s = JSON.stringify(v);
    for (const secret of ['pw1', 'pw2', 'pw3', 'tok"']) expect(s).not.toContain(secret);
    expect(v.sasl).toBe('***');
    expect((v.err as { message: string }).message).toBe('cannot reach redis://u:***@h:1');
    expect(v.err).toBeInstanceOf(Error);
  });
});
