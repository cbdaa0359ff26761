/**
 * How the Nexmark bench compares weir's and Flink's results: per query, an
 * integer hash of each output record, summed modulo a prime, so the result
 * does not depend on the order or the partitioning of the output. The Java
 * side (NexmarkChecksum.java) computes the same.
 */
import { BASE_TIME, type Bid } from './generator.js';

export const MODULUS = 1_000_000_007;

/** Fold non-negative integers below 2^31 into a hash below MODULUS. */
export function hashFields(...fields: number[]): number {
  let h = 0;
  for (const f of fields) h = (h * 1_000_003 + f) % MODULUS;
  return h;
}

/** Fold a text's UTF-16 code units into a hash below MODULUS (Java: String.charAt). */
export function hashText(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (h * 31 + s.charCodeAt(i)) % MODULUS;
  return h;
}

/** q0 passes bids through (the channel is not hashed). */
export type Q0Out = Bid;
export interface Q1Out { auction: number; bidder: number; price: number; dateTime: number }
export interface Q2Out { auction: number; price: number }
export interface Q3Out { name: string; city: string; state: string; id: number }
export interface Q4Out { category: number; avg: number; end: number }
export interface Q5Out { auction: number; count: number; end: number }
export interface Q7Out { auction: number; bidder: number; price: number; dateTime: number; end: number }
export interface Q8Out { id: number; name: string; start: number }

const t = (ms: number): number => ms - BASE_TIME;

export const recordHash = {
  q0: (r: Q0Out) => hashFields(r.auction, r.bidder, r.price, t(r.dateTime)),
  // q1's price is 0.908 * cents, a double computed the same way on both sides: compared in thousandths.
  q1: (r: Q1Out) => hashFields(r.auction, r.bidder, Math.round(r.price * 1000), t(r.dateTime)),
  q2: (r: Q2Out) => hashFields(r.auction, r.price),
  q3: (r: Q3Out) => hashFields(hashText(r.name), hashText(r.city), hashText(r.state), r.id),
  // a running average of integers, the same double division on both sides: compared in thousandths.
  q4: (r: Q4Out) => hashFields(r.category, Math.round(r.avg * 1000), t(r.end)),
  q5: (r: Q5Out) => hashFields(r.auction, r.count, t(r.end)),
  q7: (r: Q7Out) => hashFields(r.auction, r.bidder, r.price, t(r.dateTime), t(r.end)),
  q8: (r: Q8Out) => hashFields(r.id, hashText(r.name), t(r.start)),
} as const;

export type QueryId = keyof typeof recordHash;
export const QUERIES = Object.keys(recordHash) as QueryId[];
