package weir.bench.nexmark;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.sink.RichSinkFunction;
import org.apache.flink.streaming.api.functions.source.RichParallelSourceFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

import weir.bench.nexmark.NexmarkGenerator.Auction;
import weir.bench.nexmark.NexmarkGenerator.Bid;
import weir.bench.nexmark.NexmarkGenerator.Event;
import weir.bench.nexmark.NexmarkGenerator.Person;
import weir.bench.nexmark.NexmarkOutputs.Hashed;
import weir.bench.nexmark.NexmarkOutputs.Q1Out;
import weir.bench.nexmark.NexmarkOutputs.Q2Out;
import weir.bench.nexmark.NexmarkOutputs.Q3Out;
import weir.bench.nexmark.NexmarkOutputs.Q4Out;
import weir.bench.nexmark.NexmarkOutputs.Q5Out;
import weir.bench.nexmark.NexmarkOutputs.Q7Out;
import weir.bench.nexmark.NexmarkOutputs.Q8Out;
import weir.bench.nexmark.NexmarkOutputs.WinningBid;
import weir.bench.nexmark.NexmarkOutputs.Ranked;

/**
 * The Flink side of weir's Nexmark benchmark (bench/nexmark.ts), the same topologies as
 * bench/jobs/nexmark.ts in the DataStream API: the generator in-process (parallelism 2, subtask k generates
 * events k, k + 2, ..., checkpointed position), checkpoints every --checkpoint-ms (default 1000, memory
 * storage), a sink that counts the results and sums their hashes. Bounded: the job ends with the input.
 *
 * The queries and their semantics are described in bench/nexmark/queries.ts (weir's side, the same topologies).
 *
 * Args: --query q0|q1|q2|q3|q4|q5|q7|q8 --events N [--parallelism 2] [--checkpoint-ms 1000]
 * Prints one JSON line on stdout when the job finished: {"query","count","checksum","executeMs","netRuntimeMs"}.
 */
public final class NexmarkJob {
  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    String query = a.getOrDefault("query", "q1");
    int events = Integer.parseInt(a.getOrDefault("events", "1000000"));
    int parallelism = Integer.parseInt(a.getOrDefault("parallelism", "2"));
    long checkpointMs = Long.parseLong(a.getOrDefault("checkpoint-ms", "1000"));

    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, new Configuration());
    env.enableCheckpointing(checkpointMs);
    DataStream<Event> all = env.addSource(new GeneratorSource(events), "events");
    DataStream<Bid> bids = all
        .filter(e -> e.type == NexmarkGenerator.BID).name("bids")
        .map(e -> e.bid).returns(Bid.class);
    WatermarkStrategy<Bid> time = WatermarkStrategy.<Bid>forBoundedOutOfOrderness(Duration.ZERO).withTimestampAssigner((b, ts) -> b.dateTime);
    WatermarkStrategy<Event> eventTime = WatermarkStrategy.<Event>forBoundedOutOfOrderness(Duration.ZERO).withTimestampAssigner((e, ts) -> eventTime(e));

    DataStream<? extends Hashed> out;
    switch (query) {
      case "q0":
        out = bids;
        break;
      case "q1":
        out = bids.map(b -> {
          Q1Out o = new Q1Out();
          o.auction = b.auction;
          o.bidder = b.bidder;
          o.price = 0.908 * b.price;
          o.dateTime = b.dateTime;
          return o;
        }).returns(Q1Out.class);
        break;
      case "q2":
        out = bids.filter(b -> b.auction % 123 == 0).map(b -> {
          Q2Out o = new Q2Out();
          o.auction = b.auction;
          o.price = b.price;
          return o;
        }).returns(Q2Out.class);
        break;
      case "q3":
        out = all
            .filter(e -> e.type == NexmarkGenerator.PERSON ? isQ3State(e.person.state) : e.type == NexmarkGenerator.AUCTION && e.auction.category == Q3_CATEGORY)
            .keyBy(e -> e.type == NexmarkGenerator.PERSON ? e.person.id : e.auction.seller, Types.LONG)
            .process(new LocalItemSuggestion()).returns(Q3Out.class);
        break;
      case "q4":
        out = all
            .filter(e -> e.type != NexmarkGenerator.PERSON)
            .assignTimestampsAndWatermarks(eventTime)
            .keyBy(e -> e.type == NexmarkGenerator.AUCTION ? e.auction.id : e.bid.auction, Types.LONG)
            .process(new WinningBids()).returns(WinningBid.class)
            .keyBy(w -> w.category, Types.LONG)
            .process(new CategoryAverage()).returns(Q4Out.class);
        break;
      case "q8":
        out = all
            .filter(e -> e.type != NexmarkGenerator.BID)
            .assignTimestampsAndWatermarks(eventTime)
            .keyBy(e -> e.type == NexmarkGenerator.PERSON ? e.person.id : e.auction.seller, Types.LONG)
            .window(TumblingEventTimeWindows.of(Duration.ofMillis(Q8_WINDOW)))
            .aggregate(new NewUsers(), new NewUsersResult()).returns(Q8Out.class);
        break;
      case "q5":
        out = bids.assignTimestampsAndWatermarks(time)
            .keyBy(b -> b.auction, Types.LONG)
            .window(SlidingEventTimeWindows.of(Duration.ofSeconds(10), Duration.ofSeconds(2)))
            .aggregate(new Count(), new CountResult())
            .keyBy(r -> r.end, Types.LONG)
            .process(new TopPerWindow<>(Q5Out.class)).returns(Q5Out.class);
        break;
      case "q7":
        out = bids.assignTimestampsAndWatermarks(time)
            .keyBy(b -> b.auction, Types.LONG)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
            .aggregate(new HighestBids(), new HighestResult())
            .keyBy(r -> r.end, Types.LONG)
            .process(new TopPerWindow<>(Q7Out.class)).returns(Q7Out.class);
        break;
      default:
        throw new IllegalArgumentException("--query " + query + ": unknown (q0, q1, q2, q3, q4, q5, q7, q8)");
    }
    out.addSink(new ChecksumSink<>()).name("out");

    long t0 = System.nanoTime();
    JobExecutionResult r = env.execute("nexmark-" + query);
    long executeMs = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("{\"query\":\"" + query + "\",\"count\":" + ChecksumSink.COUNT + ",\"checksum\":" + ChecksumSink.CHECKSUM + ",\"restarts\":" + ChecksumSink.RESTARTS
        + ",\"executeMs\":" + executeMs + ",\"netRuntimeMs\":" + r.getNetRuntime() + "}");
  }

  static final long Q3_CATEGORY = 10;
  static final long Q4_PERIOD = 10_000;
  static final long Q8_WINDOW = 10_000;

  static boolean isQ3State(String s) {
    return s.equals("or") || s.equals("id") || s.equals("ca");
  }

  static long eventTime(Event e) {
    return e.type == NexmarkGenerator.PERSON ? e.person.dateTime : e.type == NexmarkGenerator.AUCTION ? e.auction.dateTime : e.bid.dateTime;
  }

  static boolean inAuction(Auction a, Bid b) {
    return b.dateTime >= a.dateTime && b.dateTime <= a.expires;
  }

  /** q3: persons x auctions by person id = seller; state holds the person, and the auctions seen before them. */
  static final class LocalItemSuggestion extends KeyedProcessFunction<Long, Event, Q3Out> {
    private transient ValueState<Person> person;
    private transient ListState<Long> auctions;

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext c) {
      person = getRuntimeContext().getState(new ValueStateDescriptor<>("person", Person.class));
      auctions = getRuntimeContext().getListState(new ListStateDescriptor<>("auctions", Types.LONG));
    }

    private static Q3Out result(Person p, long id) {
      Q3Out o = new Q3Out();
      o.name = p.name;
      o.city = p.city;
      o.state = p.state;
      o.id = id;
      return o;
    }

    @Override
    public void processElement(Event e, Context ctx, Collector<Q3Out> out) throws Exception {
      if (e.type == NexmarkGenerator.PERSON) {
        person.update(e.person);
        for (Long id : auctions.get()) out.collect(result(e.person, id));
        auctions.clear();
        return;
      }
      Person p = person.value();
      if (p != null) out.collect(result(p, e.auction.id));
      else auctions.add(e.auction.id);
    }
  }

  /** q4, per auction: the highest bid between its start and expiry, emitted when event time reaches the expiry. */
  static final class WinningBids extends KeyedProcessFunction<Long, Event, WinningBid> {
    private transient ValueState<Auction> auction;
    private transient ValueState<Long> best;
    private transient ListState<Bid> early;

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext c) {
      auction = getRuntimeContext().getState(new ValueStateDescriptor<>("auction", Auction.class));
      best = getRuntimeContext().getState(new ValueStateDescriptor<>("best", Types.LONG));
      early = getRuntimeContext().getListState(new ListStateDescriptor<>("early", Bid.class));
    }

    @Override
    public void processElement(Event e, Context ctx, Collector<WinningBid> out) throws Exception {
      if (e.type == NexmarkGenerator.AUCTION) {
        Auction a = e.auction;
        auction.update(a);
        long max = -1;
        for (Bid b : early.get()) if (inAuction(a, b) && b.price > max) max = b.price;
        early.clear();
        if (max >= 0) best.update(max);
        ctx.timerService().registerEventTimeTimer(a.expires);
        return;
      }
      Auction a = auction.value();
      Bid b = e.bid;
      if (a == null) early.add(b);
      else if (inAuction(a, b)) {
        Long cur = best.value();
        if (cur == null || b.price > cur) best.update(b.price);
      }
    }

    @Override
    public void onTimer(long ts, OnTimerContext ctx, Collector<WinningBid> out) throws Exception {
      Auction a = auction.value();
      Long price = best.value();
      if (price != null) {
        WinningBid w = new WinningBid();
        w.auction = a.id;
        w.category = a.category;
        w.price = price;
        w.expires = a.expires;
        out.collect(w);
      }
      auction.clear();
      best.clear();
    }
  }

  /** q4, per category: the running average of winning prices, emitted per period of event time (by expiry). */
  static final class CategoryAverage extends KeyedProcessFunction<Long, WinningBid, Q4Out> {
    private transient MapState<Long, long[]> periods;
    private transient ValueState<long[]> total;

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext c) {
      periods = getRuntimeContext().getMapState(new MapStateDescriptor<>("periods", Types.LONG, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
      total = getRuntimeContext().getState(new ValueStateDescriptor<>("total", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
    }

    @Override
    public void processElement(WinningBid w, Context ctx, Collector<Q4Out> out) throws Exception {
      long end = Math.floorDiv(w.expires, Q4_PERIOD) * Q4_PERIOD + Q4_PERIOD;
      long[] s = periods.get(end);
      if (s == null) {
        periods.put(end, new long[] {w.price, 1});
        ctx.timerService().registerEventTimeTimer(end - 1);
      } else periods.put(end, new long[] {s[0] + w.price, s[1] + 1});
    }

    @Override
    public void onTimer(long ts, OnTimerContext ctx, Collector<Q4Out> out) throws Exception {
      long[] s = periods.get(ts + 1);
      periods.remove(ts + 1);
      long[] t = total.value();
      long sum = (t == null ? 0 : t[0]) + s[0];
      long n = (t == null ? 0 : t[1]) + s[1];
      total.update(new long[] {sum, n});
      Q4Out o = new Q4Out();
      o.category = ctx.getCurrentKey();
      o.avg = (double) sum / n;
      o.end = ts + 1;
      out.collect(o);
    }
  }

  /** q8's window accumulator: the person's name once seen, and whether they opened an auction. */
  public static final class NewUser {
    public String name;
    public boolean sold;
    public NewUser() {}
  }

  static final class NewUsers implements AggregateFunction<Event, NewUser, NewUser> {
    public NewUser createAccumulator() { return new NewUser(); }
    public NewUser add(Event e, NewUser acc) {
      if (e.type == NexmarkGenerator.PERSON) acc.name = e.person.name;
      else acc.sold = true;
      return acc;
    }
    public NewUser getResult(NewUser acc) { return acc; }
    public NewUser merge(NewUser x, NewUser y) { throw new UnsupportedOperationException("tumbling windows do not merge"); }
  }

  static final class NewUsersResult extends ProcessWindowFunction<NewUser, Q8Out, Long, TimeWindow> {
    @Override
    public void process(Long id, Context ctx, Iterable<NewUser> accs, Collector<Q8Out> out) {
      NewUser acc = accs.iterator().next();
      if (acc.name == null || !acc.sold) return;
      Q8Out o = new Q8Out();
      o.id = id;
      o.name = acc.name;
      o.start = ctx.window().getStart();
      out.collect(o);
    }
  }

  /** Subtask k of p emits events k, k + p, ... below `events`; its position is checkpointed. */
  static final class GeneratorSource extends RichParallelSourceFunction<Event> implements CheckpointedFunction {
    private final int events;
    private volatile boolean running = true;
    private int next = -1;
    private transient ListState<Integer> position;

    GeneratorSource(int events) {
      this.events = events;
    }

    @Override
    public void run(SourceContext<Event> ctx) {
      int step = getRuntimeContext().getTaskInfo().getNumberOfParallelSubtasks();
      if (next < 0) next = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
      while (running && next < events) {
        synchronized (ctx.getCheckpointLock()) {
          // a few records per lock, as a source batching its reads would
          for (int i = 0; i < 256 && next < events; i++, next += step) ctx.collect(NexmarkGenerator.event(next));
        }
      }
    }

    @Override
    public void cancel() {
      running = false;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext c) throws Exception {
      position.update(List.of(next));
    }

    @Override
    public void initializeState(FunctionInitializationContext c) throws Exception {
      position = c.getOperatorStateStore().getListState(new ListStateDescriptor<>("position", Types.INT));
      for (Integer p : position.get()) next = p;
    }
  }

  static final class Count implements AggregateFunction<Bid, Long, Long> {
    public Long createAccumulator() { return 0L; }
    public Long add(Bid b, Long c) { return c + 1; }
    public Long getResult(Long c) { return c; }
    public Long merge(Long x, Long y) { return x + y; }
  }

  static final class CountResult extends ProcessWindowFunction<Long, Q5Out, Long, TimeWindow> {
    @Override
    public void process(Long auction, Context ctx, Iterable<Long> counts, Collector<Q5Out> out) {
      Q5Out o = new Q5Out();
      o.auction = auction;
      o.count = counts.iterator().next();
      o.end = ctx.window().getEnd();
      out.collect(o);
    }
  }

  /** The bids at the highest price (all of them on a tie). */
  static final class HighestBids implements AggregateFunction<Bid, ArrayList<Bid>, ArrayList<Bid>> {
    public ArrayList<Bid> createAccumulator() { return new ArrayList<>(); }
    public ArrayList<Bid> add(Bid b, ArrayList<Bid> best) {
      if (best.isEmpty() || b.price > best.get(0).price) {
        ArrayList<Bid> l = new ArrayList<>();
        l.add(b);
        return l;
      }
      if (b.price == best.get(0).price) best.add(b);
      return best;
    }
    public ArrayList<Bid> getResult(ArrayList<Bid> best) { return best; }
    public ArrayList<Bid> merge(ArrayList<Bid> x, ArrayList<Bid> y) { throw new UnsupportedOperationException("tumbling windows do not merge"); }
  }

  static final class HighestResult extends ProcessWindowFunction<ArrayList<Bid>, Q7Out, Long, TimeWindow> {
    @Override
    public void process(Long auction, Context ctx, Iterable<ArrayList<Bid>> best, Collector<Q7Out> out) {
      for (Bid b : best.iterator().next()) {
        Q7Out o = new Q7Out();
        o.auction = b.auction;
        o.bidder = b.bidder;
        o.price = b.price;
        o.dateTime = b.dateTime;
        o.end = ctx.window().getEnd();
        out.collect(o);
      }
    }
  }

  /** Per window end: the results of the highest score, emitted when event time passes the end (Flink's top-N pattern). */
  static final class TopPerWindow<T extends Ranked> extends KeyedProcessFunction<Long, T, T> {
    private final Class<T> type;
    private transient ValueState<Long> bestScore;
    private transient ListState<T> best;

    TopPerWindow(Class<T> type) {
      this.type = type;
    }

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext c) {
      bestScore = getRuntimeContext().getState(new ValueStateDescriptor<>("bestScore", Types.LONG));
      best = getRuntimeContext().getListState(new ListStateDescriptor<>("best", TypeInformation.of(type)));
    }

    @Override
    public void processElement(T r, Context ctx, Collector<T> out) throws Exception {
      Long s = bestScore.value();
      if (s == null || r.score() > s) {
        bestScore.update(r.score());
        best.update(List.of(r));
        ctx.timerService().registerEventTimeTimer(r.end() - 1);
      } else if (r.score() == s) best.add(r);
    }

    @Override
    public void onTimer(long ts, OnTimerContext ctx, Collector<T> out) throws Exception {
      for (T r : best.get()) out.collect(r);
      best.clear();
      bestScore.clear();
    }
  }

  /**
   * Counts results and sums their hashes; the totals of all subtasks (one JVM: a MiniCluster) are printed by main.
   * Exactly-once like the job's state: the totals are checkpointed and restored with it, so a failover (Flink
   * restarts a failed task from the last checkpoint and replays from there) counts nothing twice; a subtask adds its
   * totals in finish(), which only the attempt that reached the end of the input runs. RESTARTS notes failovers.
   */
  static final class ChecksumSink<T extends Hashed> extends RichSinkFunction<T> implements CheckpointedFunction {
    static long COUNT = 0;
    static long CHECKSUM = 0;
    static int RESTARTS = 0;
    private long count = 0;
    private long checksum = 0;
    private transient ListState<long[]> totals;

    @Override
    public void open(org.apache.flink.api.common.functions.OpenContext c) {
      int attempt = getRuntimeContext().getTaskInfo().getAttemptNumber();
      synchronized (ChecksumSink.class) {
        RESTARTS = Math.max(RESTARTS, attempt);
      }
    }

    @Override
    public void invoke(T r, Context ctx) {
      count++;
      checksum = (checksum + r.hash()) % NexmarkOutputs.MODULUS;
    }

    @Override
    public void snapshotState(FunctionSnapshotContext c) throws Exception {
      totals.update(List.of(new long[] {count, checksum}));
    }

    @Override
    public void initializeState(FunctionInitializationContext c) throws Exception {
      totals = c.getOperatorStateStore().getListState(new ListStateDescriptor<>("totals", PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO));
      // operator list state is redistributed by element: a restored subtask may get any subtask's pair(s), or none
      for (long[] t : totals.get()) {
        count += t[0];
        checksum = (checksum + t[1]) % NexmarkOutputs.MODULUS;
      }
    }

    @Override
    public void finish() {
      synchronized (ChecksumSink.class) {
        COUNT += count;
        CHECKSUM = (CHECKSUM + checksum) % NexmarkOutputs.MODULUS;
      }
    }
  }
}
