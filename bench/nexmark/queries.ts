/**
 * The Nexmark queries as weir topologies over a stream of generated events
 * (the same as NexmarkJob.java in the DataStream API; both follow the
 * Nexmark reference, Beam's and Flink's Nexmark SQL):
 *
 * - q0 (pass-through): every bid.
 * - q1 (currency conversion): every bid with its price in euros (0.908 x).
 * - q2 (selection): auction and price of the bids on every 123rd auction.
 * - q3 (local item suggestion): an incremental join of persons in OR, ID or
 *   CA with the auctions of category 10 they sell, keyed by person id =
 *   seller; state holds both sides (the person, the auctions that came
 *   before their seller).
 * - q4 (average closing price per category): per auction the winning bid
 *   (the highest among the bids between its start and expiry), emitted when
 *   event time reaches the expiry; then per category the running average of
 *   the winning prices, emitted every 10 s of event time (per period, so the
 *   result does not depend on how the two upstream instances interleave).
 * - q5 (hot items): bids per auction in sliding windows of 10 s every 2 s,
 *   then per window the auction(s) with the most bids.
 * - q7 (highest bid): per tumbling 10 s window, the bid(s) at the highest
 *   price (per auction first, then over all auctions of the window).
 * - q8 (new users): persons who opened an auction in the same tumbling 10 s
 *   window as they registered (persons and auctions keyed by person id =
 *   seller, one window for both).
 *
 * Event time is each event's dateTime; each generator instance is in time
 * order, so no out-of-orderness.
 */
import { sliding, tumbling, type Stream } from 'weir';
import type { Q0Out, Q1Out, Q2Out, Q3Out, Q4Out, Q5Out, Q7Out, Q8Out, QueryId } from './checksum.js';
import { AUCTION, BID, PERSON, type Auction, type Bid, type NexmarkEvent, type Person } from './generator.js';

export const Q3_STATES: readonly string[] = ['or', 'id', 'ca'];
export const Q3_CATEGORY = 10;
/** q4's running averages are emitted per this much event time. */
export const Q4_PERIOD = 10_000;
export const Q8_WINDOW = 10_000;

export function eventTime(e: NexmarkEvent): number {
  return e.type === PERSON ? e.person!.dateTime : e.type === AUCTION ? e.auction!.dateTime : e.bid!.dateTime;
}

/** q4: a bid counts for its auction between the auction's start and expiry (Nexmark's BETWEEN). */
export const inAuction = (a: Auction, b: Bid): boolean => b.dateTime >= a.dateTime && b.dateTime <= a.expires;

/** q4: the end of the period holding `ts`. */
export const q4PeriodEnd = (ts: number): number => Math.floor(ts / Q4_PERIOD) * Q4_PERIOD + Q4_PERIOD;

function bids(events: Stream<NexmarkEvent>): Stream<Bid> {
  return events.filter((e) => e.type === BID).map((e) => e.bid!);
}

/** Per window end: the records of the highest `score`, emitted when event time passes the end (as Flink's top-N over window results). */
function topPerWindow<T extends { end: number }>(s: Stream<T>, score: (r: T) => number, p: number): Stream<T> {
  return s.keyBy((r) => r.end).process<T>({
    onRecord: (r, ctx) => {
      const best = ctx.state.value<T[]>('best');
      const cur = best.get();
      if (cur === undefined || score(r) > score(cur[0])) {
        best.set([r]);
        ctx.timers.eventTime(r.end - 1);
      } else if (score(r) === score(cur[0])) best.set([...cur, r]);
    },
    onTimer: (_ts, ctx) => {
      const best = ctx.state.value<T[]>('best');
      for (const r of best.get() ?? []) ctx.emit(r);
      best.clear();
    },
  }, { parallelism: p });
}

function q3(events: Stream<NexmarkEvent>, p: number): Stream<Q3Out> {
  const result = (x: Person, id: number): Q3Out => ({ name: x.name, city: x.city, state: x.state, id });
  return events
    .filter((e) => (e.type === PERSON ? Q3_STATES.includes(e.person!.state) : e.type === AUCTION && e.auction!.category === Q3_CATEGORY))
    .keyBy((e) => (e.type === PERSON ? e.person!.id : e.auction!.seller))
    .process<Q3Out>((e, ctx) => {
      const person = ctx.state.value<Person>('person');
      if (e.type === PERSON) {
        person.set(e.person!);
        const pending = ctx.state.list<number>('auctions');
        for (const id of pending.get()) ctx.emit(result(e.person!, id));
        pending.clear();
        return;
      }
      const x = person.get();
      if (x !== undefined) ctx.emit(result(x, e.auction!.id));
      else ctx.state.list<number>('auctions').add(e.auction!.id);
    }, { parallelism: p });
}

interface WinningBid {
  auction: number;
  category: number;
  price: number;
  expires: number;
}

function q4(events: Stream<NexmarkEvent>, p: number): Stream<Q4Out> {
  const winning = events
    .filter((e) => e.type !== PERSON)
    .assignTimestamps(eventTime, { outOfOrderness: 0 })
    .keyBy((e) => (e.type === AUCTION ? e.auction!.id : e.bid!.auction))
    .process<WinningBid>({
      onRecord: (e, ctx) => {
        const auction = ctx.state.value<Auction>('auction');
        const best = ctx.state.value<number>('best');
        if (e.type === AUCTION) {
          const a = e.auction!;
          auction.set(a);
          // bids that came before their auction (from the other generator instance)
          const early = ctx.state.list<Bid>('early');
          let max = -1;
          for (const b of early.get()) if (inAuction(a, b) && b.price > max) max = b.price;
          early.clear();
          if (max >= 0) best.set(max);
          ctx.timers.eventTime(a.expires);
          return;
        }
        const a = auction.get();
        const b = e.bid!;
        if (a === undefined) ctx.state.list<Bid>('early').add(b);
        else if (inAuction(a, b) && b.price > (best.get() ?? -1)) best.set(b.price);
      },
      onTimer: (_ts, ctx) => {
        const auction = ctx.state.value<Auction>('auction');
        const best = ctx.state.value<number>('best');
        const a = auction.get()!;
        const price = best.get();
        if (price !== undefined) ctx.emit({ auction: a.id, category: a.category, price, expires: a.expires });
        auction.clear();
        best.clear();
      },
    }, { parallelism: p });
  return winning.keyBy((w) => w.category).process<Q4Out>({
    onRecord: (w, ctx) => {
      const end = q4PeriodEnd(w.expires);
      const periods = ctx.state.map<number, [number, number]>('periods');
      const s = periods.get(end);
      if (s === undefined) {
        periods.set(end, [w.price, 1]);
        ctx.timers.eventTime(end - 1);
      } else periods.set(end, [s[0] + w.price, s[1] + 1]);
    },
    onTimer: (ts, ctx) => {
      const periods = ctx.state.map<number, [number, number]>('periods');
      const total = ctx.state.value<[number, number]>('total');
      const s = periods.get(ts + 1)!;
      periods.delete(ts + 1);
      const t = total.get() ?? [0, 0];
      const sum = t[0] + s[0];
      const n = t[1] + s[1];
      total.set([sum, n]);
      ctx.emit({ category: ctx.key as number, avg: sum / n, end: ts + 1 });
    },
  }, { parallelism: p });
}

function q5(events: Stream<NexmarkEvent>, p: number): Stream<Q5Out> {
  const counts = bids(events)
    .assignTimestamps((b) => b.dateTime, { outOfOrderness: 0 })
    .keyBy((b) => b.auction)
    .window(sliding(10_000, 2_000))
    .aggregate({ create: () => 0, add: (c: number) => c + 1, merge: (x: number, y: number) => x + y, result: (c: number, auction, w): Q5Out => ({ auction: auction as number, count: c, end: w.end }) }, { parallelism: p });
  return topPerWindow(counts, (r) => r.count, p);
}

function q7(events: Stream<NexmarkEvent>, p: number): Stream<Q7Out> {
  const perAuction = bids(events)
    .assignTimestamps((b) => b.dateTime, { outOfOrderness: 0 })
    .keyBy((b) => b.auction)
    .window(tumbling(10_000))
    .aggregate({
      create: (): Bid[] => [],
      add: (best: Bid[], b: Bid) => (best.length === 0 || b.price > best[0].price ? [b] : b.price === best[0].price ? [...best, b] : best),
      result: (best: Bid[], _auction, w) => best.map((b): Q7Out => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, end: w.end })),
    }, { parallelism: p })
    .flatMap((rs: Q7Out[]) => rs);
  return topPerWindow(perAuction, (r) => r.price, p);
}

/** q8's window accumulator: the person's name once seen, and whether they opened an auction. */
type NewUser = [name: string | undefined, sold: boolean];

function q8(events: Stream<NexmarkEvent>, p: number): Stream<Q8Out> {
  return events
    .filter((e) => e.type !== BID)
    .assignTimestamps(eventTime, { outOfOrderness: 0 })
    .keyBy((e) => (e.type === PERSON ? e.person!.id : e.auction!.seller))
    .window(tumbling(Q8_WINDOW))
    .aggregate({
      create: (): NewUser => [undefined, false],
      add: (acc: NewUser, e: NexmarkEvent) => {
        if (e.type === PERSON) acc[0] = e.person!.name;
        else acc[1] = true;
        return acc;
      },
      result: (acc: NewUser, id, w): Q8Out[] => (acc[0] !== undefined && acc[1] ? [{ id: id as number, name: acc[0], start: w.start }] : []),
    }, { parallelism: p })
    .flatMap((rs: Q8Out[]) => rs);
}

/** Query `query` over `events`, each operator at parallelism `p`; `out` ends its result stream (a sink). */
export function nexmarkQuery(query: QueryId, events: Stream<NexmarkEvent>, p: number, out: <T>(results: Stream<T>) => void): void {
  switch (query) {
    case 'q0':
      return out<Q0Out>(bids(events));
    case 'q1':
      return out(bids(events).map((b): Q1Out => ({ auction: b.auction, bidder: b.bidder, price: 0.908 * b.price, dateTime: b.dateTime })));
    case 'q2':
      return out(bids(events).filter((b) => b.auction % 123 === 0).map((b): Q2Out => ({ auction: b.auction, price: b.price })));
    case 'q3':
      return out(q3(events, p));
    case 'q4':
      return out(q4(events, p));
    case 'q5':
      return out(q5(events, p));
    case 'q7':
      return out(q7(events, p));
    case 'q8':
      return out(q8(events, p));
  }
}
