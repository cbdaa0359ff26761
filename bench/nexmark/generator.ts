/**
 * The Nexmark event generator (auction site: Person, Auction, Bid), a pure
 * function of the event index, so any instance can generate any slice and
 * the Java port (bench/peers/flink/.../NexmarkGenerator.java) produces the
 * identical sequence.
 *
 * As the Nexmark generator: events come in blocks of 50, 1 person, 3
 * auctions, 46 bids (2 % / 6 % / 92 %); ids grow with the index; bids go to
 * recent auctions and recent bidders, a share of them to "hot" ones (every
 * 100th id: half of the auctions' bids, a quarter of the bidders'). Event
 * time advances 1 ms per 10 events (10,000 events per second of event time),
 * in index order. Deliberately integer-only (a 32-bit mixing hash, no
 * floating point, no Math.pow) so Java and JavaScript agree bit for bit.
 */

export interface Person {
  id: number;
  name: string;
  city: string;
  state: string;
  dateTime: number;
}

export interface Auction {
  id: number;
  itemName: string;
  initialBid: number;
  reserve: number;
  expires: number;
  seller: number;
  category: number;
  dateTime: number;
}

export interface Bid {
  auction: number;
  bidder: number;
  /** Cents. */
  price: number;
  channel: string;
  dateTime: number;
}

/** One event: exactly one of person, auction, bid is set (Nexmark's Event). */
export interface NexmarkEvent {
  type: 0 | 1 | 2;
  person?: Person;
  auction?: Auction;
  bid?: Bid;
}

export const PERSON = 0;
export const AUCTION = 1;
export const BID = 2;
/** Event time of event 0 (ms since the epoch): 2026-01-01T00:00:00Z. */
export const BASE_TIME = 1_767_225_600_000;
export const EVENTS_PER_MS = 10;
export const FIRST_ID = 1000;
const HOT_EVERY = 100;
const NAMES = ['peter', 'paul', 'luke', 'john', 'saul', 'vicky', 'kate', 'julie', 'sarah', 'deiter', 'walter'];
const CITIES = ['phoenix', 'los angeles', 'san francisco', 'boise', 'portland', 'bend', 'redmond', 'seattle', 'kent', 'cheyenne'];
const STATES = ['az', 'ca', 'id', 'or', 'wa', 'wy'];
const CHANNELS = ['apple', 'google', 'facebook', 'baidu'];
const POW10 = [1, 10, 100, 1000];

/** 32-bit mixing hash of (index, salt), unsigned (murmur3's finalizer). */
export function rnd(n: number, salt: number): number {
  let x = Math.imul(n ^ Math.imul(salt, 0x85ebca6b), 0x9e3779b1);
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Event `n` (0-based, n < 2^31). */
export function nexmarkEvent(n: number): NexmarkEvent {
  const block = Math.floor(n / 50);
  const m = n % 50;
  const dateTime = BASE_TIME + Math.floor(n / EVENTS_PER_MS);
  if (m === 0) {
    return { type: PERSON, person: { id: FIRST_ID + block, name: NAMES[rnd(n, 1) % NAMES.length], city: CITIES[rnd(n, 2) % CITIES.length], state: STATES[rnd(n, 3) % STATES.length], dateTime } };
  }
  if (m <= 3) {
    const initialBid = 100 + (rnd(n, 4) % 10_000);
    return {
      type: AUCTION,
      auction: {
        id: FIRST_ID + block * 3 + m - 1,
        itemName: `item-${rnd(n, 5) % 100_000}`,
        initialBid,
        reserve: initialBid + (rnd(n, 6) % 10_000),
        expires: dateTime + 10_000 + (rnd(n, 7) % 100_000),
        seller: recent(FIRST_ID + block, block + 1, rnd(n, 8), 4, 1000),
        category: 10 + (rnd(n, 9) % 5),
        dateTime,
      },
    };
  }
  return {
    type: BID,
    bid: {
      auction: recent(FIRST_ID + block * 3 + 2, block * 3 + 3, rnd(n, 10), 2, 100),
      bidder: recent(FIRST_ID + block, block + 1, rnd(n, 11), 4, 1000),
      price: (1 + (rnd(n, 12) % 1000)) * POW10[rnd(n, 13) % 4],
      channel: CHANNELS[rnd(n, 14) % CHANNELS.length],
      dateTime,
    },
  };
}

/**
 * An id among the `count` ids up to `last`: 1 in `hotRatio` a hot one (the
 * last multiple of 100), else one of the `window` most recent.
 */
function recent(last: number, count: number, r: number, hotRatio: number, window: number): number {
  if (r % hotRatio === 0) return Math.max(FIRST_ID, Math.floor(last / HOT_EVERY) * HOT_EVERY);
  return last - (Math.floor(r / hotRatio) % Math.min(window, count));
}
