/**
 * The weir side of the Nexmark benchmark (bench/nexmark.ts): one query per
 * run, chosen by WEIR_NEXMARK_QUERY (q1, q2, q5, q7), over WEIR_BENCH_N
 * events of bench/nexmark/generator.ts generated in-process (parallelism 2,
 * instance k generates events k, k + 2, ...). The sink counts the results
 * and sums their hashes (bench/nexmark/checksum.ts) to compare with Flink.
 *
 * - q1 (currency conversion): every bid with its price in euros (0.908 x).
 * - q2 (selection): auction and price of the bids on every 123rd auction.
 * - q5 (hot items): bids per auction in sliding windows of 10 s every 2 s,
 *   then per window the auction(s) with the most bids.
 * - q7 (highest bid): per tumbling 10 s window, the bid(s) at the highest
 *   price (per auction first, then over all auctions of the window).
 * Windows run on the bids' event time (dateTime); each generator instance is
 * in time order, so no out-of-orderness.
 */
import { generator, sliding, topology, tumbling, type SinkConnector, type Stream } from 'weir';
import { nexmarkEvent, type Bid, type NexmarkEvent } from '../nexmark/generator.js';
import type { Q1Out, Q2Out, Q5Out, Q7Out, QueryId } from '../nexmark/checksum.js';
import { checksumSink } from './checksum-sink.js';

const n = Number(process.env.WEIR_BENCH_N ?? 1_000_000);
const query = (process.env.WEIR_NEXMARK_QUERY ?? 'q1') as QueryId;
const P = 2;

function bids(events: Stream<NexmarkEvent>): Stream<Bid> {
  return events.filter((e) => e.type === 2).map((e) => e.bid!);
}

/** Per window end: the records of the highest `score`, emitted when event time passes the end (as Flink's top-N over window results). */
function topPerWindow<T extends { end: number }>(s: Stream<T>, score: (r: T) => number): Stream<T> {
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
  }, { parallelism: P });
}

export default topology(`bench-nexmark-${query}`, (t) => {
  const events = t.source('events', generator({ count: n, value: nexmarkEvent }), { parallelism: P });
  const out = <T>(s: Stream<T>) => s.sink('out', checksumSink(query) as SinkConnector<T>, { parallelism: P });
  switch (query) {
    case 'q1':
      return out(bids(events).map((b): Q1Out => ({ auction: b.auction, bidder: b.bidder, price: 0.908 * b.price, dateTime: b.dateTime })));
    case 'q2':
      return out(bids(events).filter((b) => b.auction % 123 === 0).map((b): Q2Out => ({ auction: b.auction, price: b.price })));
    case 'q5': {
      const counts = bids(events)
        .assignTimestamps((b) => b.dateTime, { outOfOrderness: 0 })
        .keyBy((b) => b.auction)
        .window(sliding(10_000, 2_000))
        .aggregate({ create: () => 0, add: (c: number) => c + 1, result: (c: number, auction, w): Q5Out => ({ auction: auction as number, count: c, end: w.end }) }, { parallelism: P });
      return out(topPerWindow(counts, (r) => r.count));
    }
    case 'q7': {
      const perAuction = bids(events)
        .assignTimestamps((b) => b.dateTime, { outOfOrderness: 0 })
        .keyBy((b) => b.auction)
        .window(tumbling(10_000))
        .aggregate({
          create: (): Bid[] => [],
          add: (best: Bid[], b: Bid) => (best.length === 0 || b.price > best[0].price ? [b] : b.price === best[0].price ? [...best, b] : best),
          result: (best: Bid[], _auction, w) => best.map((b): Q7Out => ({ auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime, end: w.end })),
        }, { parallelism: P })
        .flatMap((rs: Q7Out[]) => rs);
      return out(topPerWindow(perAuction, (r) => r.price));
    }
    default:
      throw new Error(`WEIR_NEXMARK_QUERY=${String(query)}: unknown query (q1, q2, q5, q7)`);
  }
});
