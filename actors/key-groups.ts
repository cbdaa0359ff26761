/**
 * Key groups, as in Flink: a key hashes to one of `maxParallelism` key groups,
 * and key groups map to operator instances by contiguous range. State is
 * stored per key group, so a snapshot taken at one parallelism can be
 * restored at another by re-assigning ranges. Pure functions.
 */
import { WeirError } from './errors.js';

export type Key = string | number | boolean | bigint;

export const DEFAULT_MAX_PARALLELISM = 128;

/** Canonical text of a key, identical on every worker and process. */
export function canonical(key: unknown): string {
  switch (typeof key) {
    case 'string':
      return `s${key}`;
    case 'number':
      return Number.isInteger(key) ? `i${key}` : `n${key}`;
    case 'bigint':
      return Number.isSafeInteger(Number(key)) && BigInt(Number(key)) === key ? `i${key}` : `b${key}`;
    case 'boolean':
      return key ? 't' : 'f';
    default:
      throw new WeirError(
        'KEY_INVALID',
        `keyBy selector returned a ${key === null ? 'null' : typeof key}; keys must be string, number, boolean or bigint. Fix: return a primitive, e.g. JSON.stringify(...) of a composite key`,
        { context: { key } },
      );
  }
}

/**
 * murmur3 (x86, 32-bit) of a key. Integers that fit 32 bits (the common
 * keys: ids, buckets) hash as one 4-byte block, without building their text:
 * the keyBy exchange and keyed state hash every record. Other keys hash
 * their canonical text. Equal keys hash equally (1 and 1n, 0 and -0).
 */
export function hashKey(key: unknown): number {
  if (typeof key === 'number' && (key | 0) === key) return hashInt(key, 0x9747b28c);
  if (typeof key === 'string') return hashCanonical(key);
  if (typeof key === 'boolean') return hashInt(key ? 1 : 0, 0x5bd1e995);
  if (typeof key === 'bigint') {
    const n = stateKey(key);
    if (typeof n === 'number') return hashKey(n);
  }
  return hashCanonical(canonical(key));
}

/**
 * The key as keyed state stores it: one value per key, equal keys equal
 * under Map's SameValueZero (1n becomes 1, as canonical() makes them one key).
 */
export function stateKey(key: unknown): Key {
  switch (typeof key) {
    case 'number':
    case 'string':
    case 'boolean':
      return key;
    case 'bigint': {
      const n = Number(key);
      return Number.isSafeInteger(n) && BigInt(n) === key ? n : key;
    }
    default:
      return canonical(key); // throws KEY_INVALID naming the fix
  }
}

/** murmur3 of one 32-bit block. */
function hashInt(n: number, seed: number): number {
  return fmix(mix(seed, scramble(n)) ^ 4);
}

/** murmur3 (x86, 32-bit) of a string's UTF-16 code units; fast and well spread. */
export function hashCanonical(s: string): number {
  let h = 0x9747b28c;
  let i = 0;
  for (; i + 1 < s.length; i += 2) h = mix(h, scramble((s.charCodeAt(i) & 0xffff) | ((s.charCodeAt(i + 1) & 0xffff) << 16)));
  if (i < s.length) h ^= scramble(s.charCodeAt(i) & 0xffff);
  return fmix(h ^ s.length);
}

// murmur3's steps (small: V8 inlines them into the loops above).
function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}

function mix(h: number, k: number): number {
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export function keyGroupOf(key: unknown, maxParallelism: number): number {
  return hashKey(key) % maxParallelism;
}

/** Which instance owns a key group (Flink's computeOperatorIndexForKeyGroup). */
export function instanceForKeyGroup(keyGroup: number, maxParallelism: number, parallelism: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The key groups [start, end) an instance owns; the inverse of instanceForKeyGroup. */
export function keyGroupRange(instance: number, maxParallelism: number, parallelism: number): [number, number] {
  const start = Math.ceil((instance * maxParallelism) / parallelism);
  const end = Math.ceil(((instance + 1) * maxParallelism) / parallelism);
  return [start, end];
}

export function instanceForKey(key: unknown, maxParallelism: number, parallelism: number): number {
  return instanceForKeyGroup(keyGroupOf(key, maxParallelism), maxParallelism, parallelism);
}
