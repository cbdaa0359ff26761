package weir.bench.nexmark;

/**
 * Java port of weir's Nexmark generator (bench/nexmark/generator.ts): event n is a pure function of n,
 * integer-only, so both sides generate the identical sequence. See the TypeScript file for the model.
 */
public final class NexmarkGenerator {
  public static final int PERSON = 0;
  public static final int AUCTION = 1;
  public static final int BID = 2;
  public static final long BASE_TIME = 1_767_225_600_000L;
  public static final long EVENTS_PER_MS = 10;
  public static final long FIRST_ID = 1000;
  private static final long HOT_EVERY = 100;
  private static final String[] NAMES = {"peter", "paul", "luke", "john", "saul", "vicky", "kate", "julie", "sarah", "deiter", "walter"};
  private static final String[] CITIES = {"phoenix", "los angeles", "san francisco", "boise", "portland", "bend", "redmond", "seattle", "kent", "cheyenne"};
  private static final String[] STATES = {"az", "ca", "id", "or", "wa", "wy"};
  private static final String[] CHANNELS = {"apple", "google", "facebook", "baidu"};
  private static final long[] POW10 = {1, 10, 100, 1000};

  private NexmarkGenerator() {}

  /** 32-bit mixing hash of (index, salt), unsigned (murmur3's finalizer); as rnd() in generator.ts. */
  public static long rnd(int n, int salt) {
    int x = (n ^ (salt * 0x85ebca6b)) * 0x9e3779b1;
    x ^= x >>> 16;
    x *= 0x7feb352d;
    x ^= x >>> 15;
    x *= 0x846ca68b;
    x ^= x >>> 16;
    return Integer.toUnsignedLong(x);
  }

  public static Event event(int n) {
    long block = n / 50;
    int m = n % 50;
    long dateTime = BASE_TIME + n / EVENTS_PER_MS;
    Event e = new Event();
    if (m == 0) {
      e.type = PERSON;
      Person p = new Person();
      p.id = FIRST_ID + block;
      p.name = NAMES[(int) (rnd(n, 1) % NAMES.length)];
      p.city = CITIES[(int) (rnd(n, 2) % CITIES.length)];
      p.state = STATES[(int) (rnd(n, 3) % STATES.length)];
      p.dateTime = dateTime;
      e.person = p;
    } else if (m <= 3) {
      e.type = AUCTION;
      Auction a = new Auction();
      a.id = FIRST_ID + block * 3 + m - 1;
      a.itemName = "item-" + (rnd(n, 5) % 100_000);
      a.initialBid = 100 + (rnd(n, 4) % 10_000);
      a.reserve = a.initialBid + (rnd(n, 6) % 10_000);
      a.expires = dateTime + 10_000 + (rnd(n, 7) % 100_000);
      a.seller = recent(FIRST_ID + block, block + 1, rnd(n, 8), 4, 1000);
      a.category = 10 + (rnd(n, 9) % 5);
      a.dateTime = dateTime;
      e.auction = a;
    } else {
      e.type = BID;
      Bid b = new Bid();
      b.auction = recent(FIRST_ID + block * 3 + 2, block * 3 + 3, rnd(n, 10), 2, 100);
      b.bidder = recent(FIRST_ID + block, block + 1, rnd(n, 11), 4, 1000);
      b.price = (1 + (rnd(n, 12) % 1000)) * POW10[(int) (rnd(n, 13) % 4)];
      b.channel = CHANNELS[(int) (rnd(n, 14) % CHANNELS.length)];
      b.dateTime = dateTime;
      e.bid = b;
    }
    return e;
  }

  private static long recent(long last, long count, long r, long hotRatio, long window) {
    if (r % hotRatio == 0) return Math.max(FIRST_ID, (last / HOT_EVERY) * HOT_EVERY);
    return last - ((r / hotRatio) % Math.min(window, count));
  }

  /** Nexmark's Event: exactly one of person, auction, bid is set. A Flink POJO. */
  public static class Event {
    public int type;
    public Person person;
    public Auction auction;
    public Bid bid;
    public Event() {}
  }

  public static class Person {
    public long id;
    public String name;
    public String city;
    public String state;
    public long dateTime;
    public Person() {}
  }

  public static class Auction {
    public long id;
    public String itemName;
    public long initialBid;
    public long reserve;
    public long expires;
    public long seller;
    public long category;
    public long dateTime;
    public Auction() {}
  }

  /** Also q0's result (pass-through): hashed as bench/nexmark/checksum.ts hashes it (the channel is not). */
  public static class Bid implements NexmarkOutputs.Hashed {
    public long auction;
    public long bidder;
    /** Cents. */
    public long price;
    public String channel;
    public long dateTime;
    public Bid() {}
    public long hash() { return NexmarkOutputs.hash(auction, bidder, price, NexmarkOutputs.t(dateTime)); }
  }
}
