/**
 * `--cluster kafka://host:port[,host:port...][/prefix]`: the brokers the
 * cluster's members meet on, and a prefix for everything weir names there
 * (group, internal topics, transactional ids), so several clusters of the
 * same job can share brokers.
 */
import { ConfigError } from '../../actors/errors.js';

export interface ClusterAddress {
  brokers: string[];
  /** '' or '<prefix>.' */
  prefix: string;
}

export function parseClusterUrl(url: unknown): ClusterAddress {
  const bad = (why: string) =>
    new ConfigError(`--cluster ${JSON.stringify(url)} ${why}. Fix: --cluster kafka://127.0.0.1:9092 or kafka://host1:9092,host2:9092/myprefix`, { field: 'cluster' });
  if (typeof url !== 'string') throw bad('is not a string');
  const m = /^kafka:\/\/([^/]+)(?:\/([^/]*))?$/.exec(url);
  if (!m) throw bad('is not a kafka:// URL');
  const brokers = m[1].split(',').map((b) => b.trim());
  if (!brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b))) throw bad('has a broker that is not host:port');
  const prefix = m[2] ?? '';
  if (prefix !== '' && !/^[A-Za-z0-9_-]{1,100}$/.test(prefix)) throw bad(`has the prefix '${prefix}', which is not 1-100 of A-Z a-z 0-9 _ -`);
  return { brokers, prefix: prefix === '' ? '' : `${prefix}.` };
}
