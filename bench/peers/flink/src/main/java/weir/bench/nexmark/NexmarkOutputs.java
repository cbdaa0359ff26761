package weir.bench.nexmark;

/**
 * The queries' result records (Flink POJOs) and their hashes, as bench/nexmark/checksum.ts: an integer
 * hash per record, summed modulo a prime, so the checksum does not depend on order or partitioning.
 */
public final class NexmarkOutputs {
  public static final long MODULUS = 1_000_000_007L;

  private NexmarkOutputs() {}

  static long hash(long... fields) {
    long h = 0;
    for (long f : fields) h = (h * 1_000_003L + f) % MODULUS;
    return h;
  }

  /** Fold a text's UTF-16 code units, as hashText in checksum.ts. */
  static long hashText(String s) {
    long h = 0;
    for (int i = 0; i < s.length(); i++) h = (h * 31 + s.charAt(i)) % MODULUS;
    return h;
  }

  static long t(long ms) {
    return ms - NexmarkGenerator.BASE_TIME;
  }

  /** A result record that knows its checksum hash. */
  public interface Hashed {
    long hash();
  }

  /** A result of a window ending at `end` (exclusive), ranked by score() within its window. */
  public interface Ranked extends Hashed {
    long end();
    long score();
  }

  public static class Q1Out implements Hashed {
    public long auction;
    public long bidder;
    public double price;
    public long dateTime;
    public Q1Out() {}
    public long hash() { return NexmarkOutputs.hash(auction, bidder, Math.round(price * 1000), t(dateTime)); }
  }

  public static class Q2Out implements Hashed {
    public long auction;
    public long price;
    public Q2Out() {}
    public long hash() { return NexmarkOutputs.hash(auction, price); }
  }

  public static class Q3Out implements Hashed {
    public String name;
    public String city;
    public String state;
    public long id;
    public Q3Out() {}
    public long hash() { return NexmarkOutputs.hash(hashText(name), hashText(city), hashText(state), id); }
  }

  /** q4's winning bid of one auction (not a result: the input of the per-category average). */
  public static class WinningBid {
    public long auction;
    public long category;
    public long price;
    public long expires;
    public WinningBid() {}
  }

  public static class Q4Out implements Hashed {
    public long category;
    public double avg;
    public long end;
    public Q4Out() {}
    public long hash() { return NexmarkOutputs.hash(category, Math.round(avg * 1000), t(end)); }
  }

  public static class Q5Out implements Ranked {
    public long auction;
    public long count;
    public long end;
    public Q5Out() {}
    public long hash() { return NexmarkOutputs.hash(auction, count, t(end)); }
    public long end() { return end; }
    public long score() { return count; }
  }

  public static class Q7Out implements Ranked {
    public long auction;
    public long bidder;
    public long price;
    public long dateTime;
    public long end;
    public Q7Out() {}
    public long hash() { return NexmarkOutputs.hash(auction, bidder, price, t(dateTime), t(end)); }
    public long end() { return end; }
    public long score() { return price; }
  }

  public static class Q8Out implements Hashed {
    public long id;
    public String name;
    public long start;
    public Q8Out() {}
    public long hash() { return NexmarkOutputs.hash(id, hashText(name), t(start)); }
  }
}
