package weir.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.serialization.SimpleStringSchema;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.connector.base.DeliveryGuarantee;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.sink.KafkaSink;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * The Flink peer of weir's `kafka` benchmark: the same job as bench/jobs/kafka-map.ts,
 *
 *   KafkaSource(in, earliest, read_committed) -> map(v -> "Processed: " + v) -> KafkaSink(out)
 *
 * at parallelism 2 on a local MiniCluster, checkpoints every --checkpoint-ms (default 1000) to the
 * JobManager's memory (weir: state 'memory'), sink EXACTLY_ONCE (Kafka transactions committed when
 * the checkpoint completes) or AT_LEAST_ONCE. Unbounded: the bench ends the process once the output
 * topic holds every record.
 *
 * Args: --brokers B --in T --out T --group G [--parallelism 2] [--checkpoint-ms 1000]
 *       [--guarantee exactly-once|at-least-once] [--tx-prefix P]
 * Prints one JSON line on stdout when the job is submitted and running: {"event":"submitted","at":ms,"mainAt":ms}.
 */
public final class KafkaMapJob {
  public static void main(String[] args) throws Exception {
    long mainAt = System.currentTimeMillis();
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      a.put(args[i].substring(2), args[i + 1]);
    }
    String brokers = req(a, "brokers");
    String in = req(a, "in");
    String out = req(a, "out");
    String group = req(a, "group");
    int parallelism = Integer.parseInt(a.getOrDefault("parallelism", "2"));
    long checkpointMs = Long.parseLong(a.getOrDefault("checkpoint-ms", "1000"));
    boolean exactlyOnce = !"at-least-once".equals(a.getOrDefault("guarantee", "exactly-once"));
    String txPrefix = a.getOrDefault("tx-prefix", "weir-bench-flink-" + mainAt);

    Configuration conf = new Configuration();
    StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(parallelism, conf);
    env.enableCheckpointing(checkpointMs); // exactly-once checkpointing mode (aligned barriers), memory checkpoint storage

    KafkaSource<String> source = KafkaSource.<String>builder()
        .setBootstrapServers(brokers)
        .setTopics(in)
        .setGroupId(group)
        .setStartingOffsets(OffsetsInitializer.earliest())
        .setValueOnlyDeserializer(new SimpleStringSchema())
        .setProperty("isolation.level", "read_committed") // as weir's source
        .build();

    Properties producer = new Properties();
    // Below the broker's transaction.max.timeout.ms (15 min by default).
    producer.setProperty("transaction.timeout.ms", "600000");
    KafkaSink<String> sink = KafkaSink.<String>builder()
        .setBootstrapServers(brokers)
        .setKafkaProducerConfig(producer)
        .setRecordSerializer(KafkaRecordSerializationSchema.builder()
            .setTopic(out)
            .setValueSerializationSchema(new SimpleStringSchema())
            .build())
        .setDeliveryGuarantee(exactlyOnce ? DeliveryGuarantee.EXACTLY_ONCE : DeliveryGuarantee.AT_LEAST_ONCE)
        .setTransactionalIdPrefix(txPrefix)
        .build();

    env.fromSource(source, WatermarkStrategy.noWatermarks(), "in")
        .map((MapFunction<String, String>) v -> "Processed: " + v)
        .returns(Types.STRING)
        .name("map")
        .sinkTo(sink)
        .name("out");

    JobClient job = env.executeAsync("weir-bench-kafka-map");
    System.out.println("{\"event\":\"submitted\",\"at\":" + System.currentTimeMillis() + ",\"mainAt\":" + mainAt
        + ",\"jobId\":\"" + job.getJobID() + "\"}");
    System.out.flush();
    job.getJobExecutionResult().get(); // unbounded: runs until the bench ends the process
  }

  private static String req(Map<String, String> a, String k) {
    String v = a.get(k);
    if (v == null) throw new IllegalArgumentException("missing --" + k);
    return v;
  }
}
