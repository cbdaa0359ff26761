/**
 * Plain reference functions of the Nexmark queries added with q0, q3, q4
 * and q8 (bench/nexmark/queries.ts): each computes a query's results from
 * the array of events in index order, with no streaming at all, for the
 * correctness test (test/bench/nexmark-queries.test.ts).
 */
import type { Q0Out, Q3Out, Q4Out, Q8Out } from './checksum.js';
import { AUCTION, BID, PERSON, type Auction, type NexmarkEvent, type Person } from './generator.js';
import { inAuction, Q3_CATEGORY, Q3_STATES, q4PeriodEnd, Q8_WINDOW } from './queries.js';

const persons = (es: NexmarkEvent[]): Person[] => es.filter((e) => e.type === PERSON).map((e) => e.person!);
const auctions = (es: NexmarkEvent[]): Auction[] => es.filter((e) => e.type === AUCTION).map((e) => e.auction!);

export function q0Reference(es: NexmarkEvent[]): Q0Out[] {
  return es.filter((e) => e.type === BID).map((e) => e.bid!);
}

/** Every (person in OR/ID/CA, category-10 auction they sell). */
export function q3Reference(es: NexmarkEvent[]): Q3Out[] {
  const local = new Map(persons(es).filter((p) => Q3_STATES.includes(p.state)).map((p) => [p.id, p]));
  return auctions(es).flatMap((a) => {
    const p = local.get(a.seller);
    return p && a.category === Q3_CATEGORY ? [{ name: p.name, city: p.city, state: p.state, id: a.id }] : [];
  });
}

/** Winning price per auction, then per category and period (by expiry) the running average up to it. */
export function q4Reference(es: NexmarkEvent[]): Q4Out[] {
  const byId = new Map(auctions(es).map((a) => [a.id, a]));
  const best = new Map<number, number>();
  for (const e of es) {
    if (e.type !== BID) continue;
    const a = byId.get(e.bid!.auction);
    if (a && inAuction(a, e.bid!)) best.set(a.id, Math.max(best.get(a.id) ?? -1, e.bid!.price));
  }
  const periods = new Map<number, Map<number, [number, number]>>(); // category -> period end -> [sum, count]
  for (const [id, price] of best) {
    const a = byId.get(id)!;
    const ps = periods.get(a.category) ?? new Map<number, [number, number]>();
    periods.set(a.category, ps);
    const s = ps.get(q4PeriodEnd(a.expires)) ?? [0, 0];
    ps.set(q4PeriodEnd(a.expires), [s[0] + price, s[1] + 1]);
  }
  const out: Q4Out[] = [];
  for (const [category, ps] of periods) {
    let sum = 0;
    let n = 0;
    for (const [end, s] of [...ps].sort((x, y) => x[0] - y[0])) {
      sum += s[0];
      n += s[1];
      out.push({ category, avg: sum / n, end });
    }
  }
  return out;
}

/** Persons who opened an auction in the tumbling window they registered in. */
export function q8Reference(es: NexmarkEvent[]): Q8Out[] {
  const start = (ts: number): number => Math.floor(ts / Q8_WINDOW) * Q8_WINDOW;
  const sold = new Set(auctions(es).map((a) => `${a.seller}@${start(a.dateTime)}`));
  return persons(es)
    .filter((p) => sold.has(`${p.id}@${start(p.dateTime)}`))
    .map((p) => ({ id: p.id, name: p.name, start: start(p.dateTime) }));
}
