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
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
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

import weir.bench.nexmark.NexmarkGenerator.Bid;
import weir.bench.nexmark.NexmarkGenerator.Event;
import weir.bench.nexmark.NexmarkOutputs.Hashed;
import weir.bench.nexmark.NexmarkOutputs.Q1Out;
import weir.bench.nexmark.NexmarkOutputs.Q2Out;
import weir.bench.nexmark.NexmarkOutputs.Q5Out;
import weir.bench.nexmark.NexmarkOutputs.Q7Out;
import weir.bench.nexmark.NexmarkOutputs.Ranked;

/**
 * The Flink side of weir's Nexmark benchmark (bench/nexmark.ts), the same topologies as
 * bench/jobs/nexmark.ts in the DataStream API: the generator in-process (parallelism 2, subtask k generates
 * events k, k + 2, ..., checkpointed position), checkpoints every --checkpoint-ms (default 1000, memory
 * storage), a sink that counts the results and sums their hashes. Bounded: the job ends with the input.
 *
 * Args: --query q1|q2|q5|q7 --events N [--parallelism 2] [--checkpoint-ms 1000]
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
    DataStream<Bid> bids = env.addSource(new GeneratorSource(events), "events")
        .filter(e -> e.type == NexmarkGenerator.BID).name("bids")
        .map(e -> e.bid).returns(Bid.class);
    WatermarkStrategy<Bid> time = WatermarkStrategy.<Bid>forBoundedOutOfOrderness(Duration.ZERO).withTimestampAssigner((b, ts) -> b.dateTime);

    DataStream<? extends Hashed> out;
    switch (query) {
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
        throw new IllegalArgumentException("--query " + query + ": unknown (q1, q2, q5, q7)");
    }
    out.addSink(new ChecksumSink<>()).name("out");

    long t0 = System.nanoTime();
    JobExecutionResult r = env.execute("nexmark-" + query);
    long executeMs = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("{\"query\":\"" + query + "\",\"count\":" + ChecksumSink.COUNT + ",\"checksum\":" + ChecksumSink.CHECKSUM
        + ",\"executeMs\":" + executeMs + ",\"netRuntimeMs\":" + r.getNetRuntime() + "}");
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

  /** Counts results and sums their hashes; the totals of all subtasks (one JVM: a MiniCluster) are printed by main. */
  static final class ChecksumSink<T extends Hashed> extends RichSinkFunction<T> {
    static long COUNT = 0;
    static long CHECKSUM = 0;
    private long count = 0;
    private long checksum = 0;

    @Override
    public void invoke(T r, Context ctx) {
      count++;
      checksum = (checksum + r.hash()) % NexmarkOutputs.MODULUS;
    }

    @Override
    public void close() {
      synchronized (ChecksumSink.class) {
        COUNT += count;
        CHECKSUM = (CHECKSUM + checksum) % NexmarkOutputs.MODULUS;
      }
    }
  }
}
