import { streamSink } from './sink.js';
import { streamSource } from './source.js';

export type { StreamSourceOptions, StreamEntry, StreamFormat } from './source.js';
export type { StreamSinkOptions } from './sink.js';

/**
 * Redis Streams connectors (ioredis): `redis.streamSource({ url, stream, group?, start? })` (positions in
 * weir's checkpoints; XACK after the covering checkpoint) and `redis.streamSink({ url, stream, maxLen? })`
 * (exactly-once: one atomic append with an epoch marker per checkpoint).
 */
export const redis = { streamSource, streamSink };
