/**
 * How the Nexmark bench compares weir's and Flink's results: per query, an
 * integer hash of each output record, summed modulo a prime, so the result
 * does not depend on the order or the partitioning of the output. The Java
 * side (NexmarkChecksum.java) computes the same.
 */
import { BASE_TIME } from './generator.js';

export const MODULUS = 1_000_000_007;

/** Fold non-negative integers below 2^31 into a hash below MODULUS. */
export function hashFields(...fields: number[]): number {
  let h = 0;
  for (const f of fields) h = (h * 1_000_003 + f) % MODULUS;
  return h;
}

export interface Q1Out { auction: number; bidder: number; price: number; dateTime: number }
export interface Q2Out { auction: number; price: number }
export interface Q5Out { auction: number; count: number; end: number }
export interface Q7Out { auction: number; bidder: number; price: number; dateTime: number; end: number }

const t = (ms: number): number => ms - BASE_TIME;

export const recordHash = {
  // q1's price is 0.908 * cents, a double computed the same way on both sides: compared in thousandths.
  q1: (r: Q1Out) => hashFields(r.auction, r.bidder, Math.round(r.price * 1000), t(r.dateTime)),
  q2: (r: Q2Out) => hashFields(r.auction, r.price),
  q5: (r: Q5Out) => hashFields(r.auction, r.count, t(r.end)),
  q7: (r: Q7Out) => hashFields(r.auction, r.bidder, r.price, t(r.dateTime), t(r.end)),
} as const;

export type QueryId = keyof typeof recordHash;
export const QUERIES = Object.keys(recordHash) as QueryId[];
