/**
 * Chooses a state backend from a one-string spec, as given on the command line
 * or in a job's options:
 *
 *   memory                       in-process (tests)
 *   file:<dir>                   file backend in <dir> (relative to the cwd); also file:///abs/dir
 *   redis://host:port[/db]       Redis (rediss:// for TLS)
 */
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../../actors/errors.js';
import type { StateBackend } from './backend.js';
import { fileBackend } from './file-backend.js';
import { memoryBackend } from './memory-backend.js';
import { redactUrl, redisBackend, tryParseRedisUrl, type RedisBackendOptions } from './redis-backend.js';

export const BACKEND_SPEC_FORMS = "'memory', 'file:<dir>', 'redis://host:port[/db]' or 'rediss://host:port[/db]'";

export interface CreateBackendOptions {
  /** Options for a redis backend. */
  redis?: RedisBackendOptions;
}

/** Throws ConfigError ('CONFIG_INVALID') naming the bad spec and the accepted forms. */
export function createBackend(spec: string, opts: CreateBackendOptions = {}): StateBackend {
  const bad = (why: string): never => {
    const shown = typeof spec === 'string' ? redactUrl(spec) : String(spec);
    throw new ConfigError(`invalid state backend ${JSON.stringify(shown)}: ${why}; expected ${BACKEND_SPEC_FORMS}`, { spec: shown });
  };
  if (typeof spec !== 'string' || spec.trim() === '') return bad('empty');
  if (spec === 'memory') return memoryBackend();
  if (spec.startsWith('file:')) {
    let dir: string;
    if (spec.startsWith('file://')) {
      try {
        dir = fileURLToPath(spec);
      } catch (err) {
        return bad(`not a valid file:// URL (${(err as Error).message})`);
      }
    } else {
      dir = spec.slice('file:'.length);
    }
    if (dir === '') return bad('file: needs a directory, e.g. file:./state or file:/var/lib/weir');
    return fileBackend(dir);
  }
  if (spec.startsWith('redis://') || spec.startsWith('rediss://')) {
    const location = tryParseRedisUrl(spec);
    if (typeof location === 'string') return bad(location);
    return redisBackend(spec, opts.redis);
  }
  return bad('unknown kind');
}

