import { describe, expect, it } from 'vitest';
import { parseClusterUrl } from '../../../runtime/cluster/cluster-url.js';

describe('parseClusterUrl', () => {
  it('reads brokers and an optional prefix', () => {
    expect(parseClusterUrl('kafka://127.0.0.1:9092')).toEqual({ brokers: ['127.0.0.1:9092'], prefix: '' });
    expect(parseClusterUrl('kafka://a:1,b:2/team-x')).toEqual({ brokers: ['a:1', 'b:2'], prefix: 'team-x.' });
  });
  it('names what is wrong and the fix', () => {
    expect(() => parseClusterUrl('127.0.0.1:9092')).toThrow(/is not a kafka:\/\/ URL\. Fix: --cluster kafka:\/\/127\.0\.0\.1:9092/);
    expect(() => parseClusterUrl('kafka://localhost')).toThrow(/broker that is not host:port/);
    expect(() => parseClusterUrl('kafka://a:1/b.c')).toThrow(/prefix 'b.c'/);
  });
});
