/**
 * `redis.streamSource(...)`: entries of a Redis stream into a job,
 * exactly-once into its state (ioredis).
 *
 * - Position: the id of the last entry emitted, in weir's checkpoint (as
 *   Kafka offsets are): after a restore reading goes on after it, so exactly
 *   what the restored state has not seen is read again.
 * - Without a group: XREAD from the position (a fresh start: `start`,
 *   'earliest' by default). One instance reads; others stay idle.
 * - With a group: XREADGROUP as consumer `weir-<job>-<operator>-<instance>`,
 *   so instances share the stream. Entries are XACKed once the checkpoint
 *   covering them completed, so XPENDING / XINFO GROUPS show the job's real
 *   lag. After a restore it acknowledges its pending entries up to the
 *   position (the restored state holds them), then (as after a lost reply)
 *   re-reads its own pending entries after the position (XREADGROUP from
 *   that id), then new ones ('>'). A fresh group is created at `start` ('$' or 'earliest' or an id).
 * - Entries decode as 'json' (default: JSON in field `field`, default 'data')
 *   or 'fields' (an object of the entry's fields). One that does not decode
 *   follows the source's onError ('skip' dead-letters it with the stream and
 *   entry id).
 * - Redis down: reads wait and resume (the error is logged once).
 * - Metrics: with a group, instance 0 reports the group's lag (XINFO GROUPS,
 *   entries not yet delivered to the group; one figure for the group, so
 *   instances do not count it twice) and every instance its read entries
 *   not yet XACKed. Without a group the lag is not known (a stream id says
 *   nothing about how many entries follow it).
 */
import type { Redis } from 'ioredis';
import type { PullResult, SourceConnector, SourceContext, SourceReader } from '../../actors/contract.js';
import { ConfigError, UserFunctionError } from '../../actors/errors.js';
import { connectRedis, parseStreamUrl, requireStream, type RedisConnection } from './client.js';
import { GroupLag } from './group-lag.js';

export type StreamFormat = 'json' | 'fields';

export interface StreamSourceOptions extends RedisConnection {
  stream: string;
  /** Consumer group: entries are XACKed after the covering checkpoint; instances share the stream. */
  group?: string;
  /** Where a job with no checkpoint starts: 'earliest' (default), 'latest', or an entry id. With a group: where a new group starts. */
  start?: 'earliest' | 'latest' | string;
  /** How entries decode (default 'json'). */
  format?: StreamFormat;
  /** The field holding the JSON value (format 'json'; default 'data'). */
  field?: string;
  /** Emit `{ id, value }` instead of the value alone. */
  envelope?: boolean;
  /** Milliseconds a read blocks waiting for entries (default 100). */
  blockMs?: number;
}

export interface StreamEntry<V = unknown> {
  id: string;
  value: V;
}

interface StreamPosition {
  i: number;
  /** Id of the last entry emitted ('0-0': none). */
  last: string;
}

type RawEntry = [id: string, fields: string[]];

const ID = /^\d+(-\d+)?$/;

/** a < b for stream ids. */
export function idBefore(a: string, b: string): boolean {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  return BigInt(am) < BigInt(bm) || (am === bm && BigInt(as) < BigInt(bs));
}

export function streamSource<V = unknown>(options: StreamSourceOptions & { envelope: true }): SourceConnector<StreamEntry<V>>;
export function streamSource<V = unknown>(options: StreamSourceOptions & { envelope?: false }): SourceConnector<V>;
export function streamSource<V = unknown>(options: StreamSourceOptions): SourceConnector<V | StreamEntry<V>>;
export function streamSource<V = unknown>(options: StreamSourceOptions): SourceConnector<V | StreamEntry<V>> {
  parseStreamUrl(options.url, 'redis.streamSource');
  const stream = requireStream(options.stream, 'redis.streamSource');
  const start = options.start ?? 'earliest';
  if (start !== 'earliest' && start !== 'latest' && !ID.test(start)) {
    throw new ConfigError(`redis.streamSource start ${JSON.stringify(start)} is invalid. Fix: 'earliest', 'latest' or an entry id such as '1700000000000-0'`, { field: 'start' });
  }
  const format = options.format ?? 'json';
  if (format !== 'json' && format !== 'fields') throw new ConfigError(`redis.streamSource format ${JSON.stringify(format)} is invalid. Fix: 'json' or 'fields'`, { field: 'format' });
  if (options.group !== undefined && (typeof options.group !== 'string' || options.group.length === 0)) {
    throw new ConfigError(`redis.streamSource group ${JSON.stringify(options.group)} is invalid. Fix: a consumer group name, or no group`, { field: 'group' });
  }
  const field = options.field ?? 'data';
  const blockMs = options.blockMs ?? 100;
  return {
    role: 'source',
    type: 'redis-stream',
    async open(ctx: SourceContext): Promise<SourceReader<V | StreamEntry<V>>> {
      const who = `redis.streamSource '${ctx.operator}' instance ${ctx.instance}`;
      const group = options.group;
      const restored = ((ctx.restored ?? []) as StreamPosition[]).find((s) => s.i === ctx.instance);
      if (!group && ctx.instance > 0) {
        ctx.log.warn(`${who}: a stream without a group is read by instance 0 only; this instance stays idle. Fix: give a group to share the stream`);
        return { pull: () => ({ records: [], waitMs: 1000 }), position: () => ({ i: ctx.instance, last: '0-0' }) };
      }
      const consumer = `weir-${ctx.job}-${ctx.operator}-${ctx.instance}`;
      // The reading connection does not resend a read whose reply was lost: XREADGROUP '>' would have moved
      // the group's cursor; the consumer re-reads its pending entries instead (history mode).
      const reader: Redis = await connectRedis(options, who, `${consumer}-read`, ctx.log, false);
      let acker: Redis | undefined;
      let last = restored?.last;
      if (group) {
        acker = await connectRedis(options, who, `${consumer}-ack`, ctx.log);
        const at = start === 'earliest' ? '0' : start === 'latest' ? '$' : start;
        try {
          await acker.xgroup('CREATE', stream, group, at, 'MKSTREAM');
        } catch (e) {
          if (!/BUSYGROUP/.test(String((e as Error).message))) throw e;
        }
        // Pending entries up to the restored position are in the restored state (their checkpoint
        // completed; the XACK was lost with the previous run): acknowledge them now.
        if (last !== undefined) {
          for (;;) {
            const pel = (await acker.xpending(stream, group, '-', last, 1000, consumer)) as [string, ...unknown[]][];
            if (pel.length === 0) break;
            await acker.xack(stream, group, ...pel.map((p) => p[0]));
            if (pel.length < 1000) break;
          }
        }
      } else if (last === undefined) {
        if (start === 'earliest') last = '0-0';
        else if (start === 'latest') {
          const top = (await reader.xrevrange(stream, '+', '-', 'COUNT', 1)) as RawEntry[];
          last = top[0]?.[0] ?? '0-0';
        } else last = start;
      }
      // Group: re-read own pending entries after `last` first ('0' on a fresh start: what an earlier run left unacked).
      let history: string | undefined = group ? (last ?? '0') : undefined;
      const unacked: { id: string; cp: number }[] = [];
      let finalCp = false;

      const decode = (id: string, fields: string[]): V | StreamEntry<V> | typeof SKIP => {
        let value: unknown;
        try {
          if (format === 'fields') {
            const o: Record<string, string> = {};
            for (let k = 0; k + 1 < fields.length; k += 2) o[fields[k]] = fields[k + 1];
            value = o;
          } else {
            const at = fields.findIndex((f, k) => k % 2 === 0 && f === field);
            if (at < 0) throw new Error(`it has no field '${field}' (fields: ${fields.filter((_, k) => k % 2 === 0).join(', ') || 'none'})`);
            value = JSON.parse(fields[at + 1]);
          }
        } catch (e) {
          const raw = Object.fromEntries(fields.flatMap((f, k) => (k % 2 === 0 ? [[f, fields[k + 1]]] : [])));
          const err = new UserFunctionError({ operator: ctx.operator, instance: ctx.instance, record: raw, onError: ctx.onError, stream, id }, new Error(`entry ${id} of stream '${stream}' does not decode as ${format}: ${(e as Error).message}`));
          if (ctx.onError === 'skip') {
            ctx.deadLetter({ stream, id, fields: raw }, err);
            return SKIP;
          }
          throw err;
        }
        return options.envelope ? { id, value: value as V } : (value as V);
      };

      const read = async (max: number): Promise<RawEntry[]> => {
        const count = Math.max(1, max);
        if (!group) {
          const res = (await reader.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', stream, last!)) as [string, RawEntry[]][] | null;
          return res?.[0]?.[1] ?? [];
        }
        const from = history ?? '>';
        let res: [string, RawEntry[]][] | null;
        try {
          res = (await reader.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count, ...(history ? [] : ['BLOCK', blockMs]), 'STREAMS', stream, from)) as [string, RawEntry[]][] | null;
        } catch (e) {
          // Reply lost: what it delivered is pending on this consumer; read it again from the position.
          if (!history) history = last ?? '0';
          throw e;
        }
        const entries = (res?.[0]?.[1] ?? []).filter((e) => e[1] !== null); // an entry deleted while pending has no fields
        if (history) {
          if ((res?.[0]?.[1] ?? []).length === 0) history = undefined;
          else history = res![0][1][res![0][1].length - 1][0];
        }
        return entries;
      };

      let outage = false;
      const groupLag = acker && ctx.instance === 0 ? new GroupLag(acker, stream, group!) : undefined;
      return {
        async pull(max): Promise<PullResult<V | StreamEntry<V>>> {
          let entries: RawEntry[];
          try {
            entries = await read(max);
            outage = false;
          } catch (e) {
            if (/NOGROUP/.test(String((e as Error).message))) throw new ConfigError(`${who}: the consumer group '${group}' of stream '${stream}' is gone (deleted while the job ran). Fix: recreate it (XGROUP CREATE ${stream} ${group} 0) or drop the group option`, { field: 'group' });
            if (!outage) ctx.log.warn({ err: e }, `${who}: reading stream '${stream}' failed (${(e as Error).message}); retrying`);
            outage = true;
            return { records: [], waitMs: 200 };
          }
          const records: (V | StreamEntry<V>)[] = [];
          for (const [id, fields] of entries) {
            if (last !== undefined && !idBefore(last, id)) continue; // history can repeat the position's own entry
            last = id;
            if (group) unacked.push({ id, cp: Number.POSITIVE_INFINITY });
            const r = decode(id, fields ?? []);
            if (r !== SKIP) records.push(r);
          }
          return { records };
        },
        position(cp): StreamPosition {
          if (cp === Number.MAX_SAFE_INTEGER) finalCp = true;
          for (let k = unacked.length - 1; k >= 0 && unacked[k].cp === Number.POSITIVE_INFINITY; k--) unacked[k].cp = cp;
          return { i: ctx.instance, last: last ?? '0-0' };
        },
        async checkpointComplete(cp) {
          if (!acker) return;
          const upTo = finalCp ? Number.MAX_SAFE_INTEGER : cp;
          let n = 0;
          while (n < unacked.length && unacked[n].cp <= upTo) n++;
          const ids = unacked.splice(0, n).map((u) => u.id);
          for (let k = 0; k < ids.length; k += 1000) {
            // Best effort: an unacked entry only shows as lag (the position, not the PEL, decides what is read).
            await acker.xack(stream, group!, ...ids.slice(k, k + 1000)).catch((e: Error) => ctx.log.warn({ err: e }, `${who}: XACK on '${stream}' failed; the entries stay pending`));
          }
        },
        lag() {
          const n = groupLag?.value();
          return n === undefined ? undefined : { [stream]: n };
        },
        unacked: () => (group ? unacked.length : undefined),
        async close() {
          reader.disconnect();
          acker?.disconnect();
        },
      };
    },
  };
}

const SKIP = Symbol('skip');
