/**
 * `redis.streamSink(...)`: appends records to a Redis stream, exactly-once
 * with weir's checkpoints (ioredis).
 *
 * Two-phase commit, as the Kafka sink does with epochs:
 * - the records of epoch n (between barriers n-1 and n) are held and kept IN
 *   checkpoint n as the sink's snapshot (phase 1);
 * - once checkpoint n completed (phase 2) one Lua script, atomic in Redis,
 *   appends them (XADD) together with a marker key holding the last written
 *   (lineage, epoch, chunk), and does nothing if the marker already covers
 *   it. A commit that is replayed (after kill -9, a restore, a retry after a
 *   lost reply) is therefore a no-op: what a checkpoint covers appears in the
 *   stream once. An epoch is written in chunks of `chunkEntries`, each atomic
 *   with its own marker, so one large epoch does not hold Redis for long;
 * - a lineage starts with every fresh (not restored) run: checkpoint ids
 *   start again at 1 then and must not meet an earlier run's marker.
 * The marker key `<stream-slot>:weir-sink:<job>:<operator>:<instance>` is in
 * the stream's hash slot (Redis Cluster). Entries get ids assigned by Redis
 * ('*'); with `maxLen` the stream is trimmed (MAXLEN ~). Readers see an epoch
 * once its checkpoint completed: output lags by one checkpoint interval.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { SinkConnector, SinkContext, SinkWriter } from '../../actors/contract.js';
import { ConfigError } from '../../actors/errors.js';
import { connectRedis, parseStreamUrl, requireStream, type RedisConnection } from './client.js';

export interface StreamSinkOptions<T> extends RedisConnection {
  stream: string;
  /** Trim the stream to about this many entries (XADD MAXLEN ~). */
  maxLen?: number;
  /** The field each entry's value goes in (default 'data'). */
  field?: string;
  /** Value of a record (default: strings as they are, anything else as JSON). */
  value?: (record: T) => string;
  /** Entries per atomic append (default 5000). */
  chunkEntries?: number;
}

interface Epoch {
  n: number;
  values: string[];
}

interface StreamSinkState {
  /** Marker key of the instance that wrote these epochs. */
  marker: string;
  lineage: string;
  epochs: Epoch[];
}

/**
 * KEYS: stream, marker. ARGV: lineage, epoch, chunk, maxLen ('' = none), field, values...
 * Returns the number of entries appended (0: the marker already covers this chunk).
 */
const APPEND = `
local m = redis.call('GET', KEYS[2])
local e, c = tonumber(ARGV[2]), tonumber(ARGV[3])
if m then
  local lin, me, mc = string.match(m, '^(.*):(%d+):(%d+)$')
  me, mc = tonumber(me), tonumber(mc)
  if lin == ARGV[1] and (me > e or (me == e and mc >= c)) then return 0 end
end
for i = 6, #ARGV do
  if ARGV[4] ~= '' then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[4], '*', ARGV[5], ARGV[i])
  else
    redis.call('XADD', KEYS[1], '*', ARGV[5], ARGV[i])
  end
end
redis.call('SET', KEYS[2], ARGV[1] .. ':' .. ARGV[2] .. ':' .. ARGV[3])
return #ARGV - 5
`;

/** A key in the same Redis Cluster hash slot as `stream`. */
export function markerKey(stream: string, job: string, operator: string, instance: number): string {
  const open = stream.indexOf('{');
  const close = open >= 0 ? stream.indexOf('}', open + 1) : -1;
  const tagged = open >= 0 && close > open + 1;
  return `${tagged ? stream : `{${stream}}`}:weir-sink:${job}:${operator}:${instance}`;
}

function encodeValue(v: unknown): string {
  if (typeof v === 'string') return v;
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)) ?? 'null';
}

export function streamSink<T = unknown>(options: StreamSinkOptions<T>): SinkConnector<T> {
  parseStreamUrl(options.url, 'redis.streamSink');
  const stream = requireStream(options.stream, 'redis.streamSink');
  if (options.maxLen !== undefined && (!Number.isInteger(options.maxLen) || options.maxLen < 1)) {
    throw new ConfigError(`redis.streamSink maxLen ${JSON.stringify(options.maxLen)} is invalid. Fix: a positive integer, or leave it out (no trimming)`, { field: 'maxLen' });
  }
  const field = options.field ?? 'data';
  const chunk = options.chunkEntries ?? 5000;
  const toValue = options.value ?? encodeValue;
  const maxLen = options.maxLen === undefined ? '' : String(options.maxLen);
  return {
    role: 'sink',
    type: 'redis-stream',
    guarantee: 'exactly-once',
    async open(ctx: SinkContext): Promise<SinkWriter<T>> {
      const who = `redis.streamSink '${ctx.operator}' instance ${ctx.instance}`;
      const client: Redis = await connectRedis(options, who, `weir-${ctx.job}-${ctx.operator}-${ctx.instance}`, ctx.log);
      const marker = markerKey(stream, ctx.job, ctx.operator, ctx.instance);
      const restored = (ctx.restored ?? []) as StreamSinkState[];
      const lineage = restored.find((s) => s.marker === marker)?.lineage ?? restored[0]?.lineage ?? randomUUID().slice(0, 8);

      /** Append epochs (ascending), each chunk atomic with its marker; already written chunks are skipped by the script. */
      const append = async (mk: string, lin: string, epochs: Epoch[]) => {
        for (const e of epochs) {
          for (let c = 0, k = 0; k < e.values.length; c++, k += chunk) {
            await client.eval(APPEND, 2, stream, mk, lin, e.n, c, maxLen, field, ...e.values.slice(k, k + chunk));
          }
        }
      };

      // Restore: finish the epochs of completed checkpoints (old instances' too after a rescale).
      for (const s of restored) {
        const old = Number(s.marker.slice(s.marker.lastIndexOf(':') + 1));
        if (restored.length > 1 && old % ctx.parallelism !== ctx.instance) continue;
        await append(s.marker, s.lineage, s.epochs);
      }

      let open: string[] = [];
      let pending: Epoch[] = [];
      return {
        // commit(n) appends only epochs <= n, which later writes and snapshots do not touch.
        commitsConcurrently: true,
        write(records) {
          for (const r of records) open.push(toValue(r));
        },
        snapshot(n): StreamSinkState {
          if (open.length > 0) pending.push({ n, values: open });
          open = [];
          return { marker, lineage, epochs: pending.slice() };
        },
        async commit(n) {
          const due = pending.filter((e) => e.n <= n);
          if (due.length) await append(marker, lineage, due);
          pending = pending.filter((e) => e.n > n);
        },
        async close() {
          client.disconnect();
        },
      };
    },
  };
}
