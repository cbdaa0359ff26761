/**
 * Backpressure from a slow sink back to Kafka, on a real broker
 * (test/fixtures/kafka-slow-sink.ts):
 *
 * 200k records (~110 bytes each) wait in a 4-partition topic; a job with
 * source parallelism 2 on 2 workers reads them into a sink that writes at
 * most 12k records/s per instance and, once per instance, stalls for 33 s:
 * longer than the consumer's 30 s session timeout, so a consumer that stops
 * heartbeating while its partitions are paused (kafkajs#387) is thrown out
 * of the group and the group rebalances.
 *
 * While it runs:
 * - records between the source and the sink stay within the channels'
 *   credit (source recordsOut - sink recordsIn), and no operator queue grows;
 * - the source does not read ahead of its bounded buffer: during the stall
 *   each worker's heap floor (its live set) stays low, far below what
 *   holding the topic's decoded messages takes (BP_BUFFER_RECORDS=1000000
 *   makes the source read ahead and this assertion fail);
 * - the sources' consumer groups never rebalance: each instance consumes
 *   through a private group (connectors/kafka/source.ts); sampled through
 *   the broker (admin.describeGroups) they stay Stable with the same 2 member
 *   ids (a member thrown out rejoins with a new id), and no region restarts.
 * At the end every produced record reached the sink exactly once (no record
 * dropped or repeated by pause/resume, kafkajs#1376/#1645).
 *
 * BP_VERBOSE=1 prints a sample every 500 ms (records, group, heaps, RSS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, type JobMetrics } from 'weir';
import { admin, BROKERS, cleanupKafka, createTopic, fixture, groupMembers, produce, sleep, track, unique } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const COUNT = 200_000;
const PARTITIONS = 4;
const PARALLELISM = 2;
const RATE = 12_000; // records/s per sink instance
const STALL_AT = 30_000; // records taken by a sink instance before it stalls
const STALL_MS = 33_000; // > the source consumer's sessionTimeout (30 s)
const BATCH = 256;
const CREDITS = 4;
const MB = 1024 * 1024;
// The watch loop ends when the sink took every record or the job failed; this bound only turns a
// hang into a clear failure. Expected ~50 s on an idle 2-core machine (~5 s to join, 2.5 s to the
// stall, 33 s stalled, ~6 s for the rest); the bound gives 4x that, and the test's own timeout
// leaves room for stop() and the checks after it.
const WATCH_BOUND_MS = 200_000;

interface GroupSample {
  at: number;
  state: string;
  members: string[];
}

describe('Kafka backpressure: a slow, stalling sink', () => {
  beforeAll(startKafka, 90_000);
  afterAll(async () => {
    delete process.env.WEIR_KAFKA_BP;
    await cleanupKafka();
  });

  it('keeps in-flight records and memory bounded, never rebalances the group, and loses or repeats no record', { timeout: WATCH_BOUND_MS + 60_000 }, async () => {
    const topic = await createTopic(unique('bp'), PARTITIONS);
    const group = unique('bp-group');
    track({ group, groupPrefix: `${group}.weir-` });
    const pad = 'x'.repeat(100);
    const t0 = performance.now();
    await produce(topic, Array.from({ length: COUNT }, (_, i) => ({ key: `k${i}`, value: `m-${i}-${pad}`, partition: i % PARTITIONS })));
    const produceMs = performance.now() - t0;
    const offsets = await (await admin()).fetchTopicOffsets(topic);
    expect(offsets.reduce((s, o) => s + Number(o.high), 0)).toBe(COUNT);

    process.env.WEIR_KAFKA_BP = JSON.stringify({
      brokers: BROKERS,
      topic,
      group,
      recordsPerSec: RATE,
      stallAt: STALL_AT,
      stallMs: STALL_MS,
      bufferRecords: process.env.BP_BUFFER_RECORDS ? Number(process.env.BP_BUFFER_RECORDS) : undefined,
    });
    const rssBefore = process.memoryUsage().rss;
    const samples: JobMetrics[] = [];
    const rss: number[] = [];
    const groups: GroupSample[] = [];
    const handle = run(fixture('kafka-slow-sink.ts'), {
      workers: 2,
      parallelism: PARALLELISM,
      state: 'memory',
      checkpointInterval: 1000,
      batchSize: BATCH,
      credits: CREDITS,
      metricsIntervalMs: 250,
      logLevel: 'warn',
      onMetrics: (m) => samples.push(m),
    });
    let failed: unknown;
    handle.done.catch((e) => (failed = e));
    const op = (m: JobMetrics | undefined, name: string) => m?.operators.find((o) => o.operator === name);
    const a = await admin();
    const started = performance.now();
    // Watch until the sink took every record or the job failed (WATCH_BOUND_MS: a hang, not slowness).
    const sinkIn = () => op(handle.metrics(), 'out')?.recordsIn ?? 0;
    while (failed === undefined && sinkIn() < COUNT && performance.now() - started < WATCH_BOUND_MS) {
      rss.push(process.memoryUsage().rss);
      const g = await groupMembers({ prefix: `${group}.weir-` });
      groups.push({ at: performance.now() - started, state: g.stable ? 'Stable' : 'not stable', members: g.members.slice().sort() });
      if (process.env.BP_VERBOSE) {
        const m = handle.metrics();
        console.log(JSON.stringify({ at: Math.round(performance.now() - started), in: op(m, 'in')?.recordsOut, out: op(m, 'out')?.recordsIn, group: g.stable, members: g.members.map((x) => x.slice(-6)), heaps: m?.workers.map((w) => Math.round(w.heapUsed / MB)), rss: Math.round((process.memoryUsage().rss - rssBefore) / MB) }));
      }
      await sleep(500);
    }
    expect(failed).toBeUndefined();
    expect(sinkIn(), `the sink took ${sinkIn()} of ${COUNT} records in ${WATCH_BOUND_MS} ms: stuck, not slow`).toBe(COUNT);
    const result = await handle.stop();
    const runMs = performance.now() - started;

    // Nothing lost, nothing repeated.
    const ids = result.outputs.out as number[];
    const seen = new Uint8Array(COUNT);
    let dup = 0;
    let bad = 0;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= COUNT) bad++;
      else if (seen[id]++) dup++;
    }
    expect({ received: ids.length, duplicates: dup, outOfRange: bad }).toEqual({ received: COUNT, duplicates: 0, outOfRange: 0 });
    expect(result.restarts).toBe(0);

    // The group: once both sources joined, Stable with the same two members throughout (the stall included).
    const firstStable = groups.findIndex((g) => g.state === 'Stable' && g.members.length === PARALLELISM);
    expect(firstStable, JSON.stringify(groups.slice(0, 10))).toBeGreaterThanOrEqual(0);
    const members = groups[firstStable].members;
    const after = groups.slice(firstStable);
    const changes = after.filter((g) => g.state !== 'Stable' || JSON.stringify(g.members) !== JSON.stringify(members));
    expect(changes, JSON.stringify(changes.slice(0, 5))).toEqual([]);
    // The stall really outlasted the session timeout while the group was watched.
    expect(after[after.length - 1].at - after[0].at).toBeGreaterThan(STALL_MS);

    // In flight between source and sink: two forward channels per instance pair, each at most
    // `credits` buffers at the receiver plus an open and a sealed one at the sender; workers
    // report up to one interval apart (~2 x 12k/s x 0.25 s of skew).
    const running = samples.slice(1);
    expect(running.length).toBeGreaterThan(40);
    const bound = 2 * PARALLELISM * (CREDITS + 2) * BATCH + 6_000;
    let maxInFlight = 0;
    let maxQueued = 0;
    for (const m of running) {
      maxInFlight = Math.max(maxInFlight, op(m, 'in')!.recordsOut - op(m, 'out')!.recordsIn);
      for (const o of m.operators) maxQueued = Math.max(maxQueued, o.queued);
    }
    expect(maxInFlight).toBeLessThanOrEqual(bound);
    expect(maxQueued).toBeLessThanOrEqual(2 * CREDITS * BATCH);
    // The stall: samples after which the sink took nothing for 5 s. The source was held back
    // meanwhile (the in-flight bound above), and the group kept its members (checked above).
    const stall = running.filter((m) => {
      const later = running.find((x) => x.elapsedMs >= m.elapsedMs + 5000);
      return later !== undefined && op(later, 'out')!.recordsIn === op(m, 'out')!.recordsIn;
    });
    const stallMs = stall.length ? stall[stall.length - 1].elapsedMs - stall[0].elapsedMs + 5000 : 0;
    expect(stallMs).toBeGreaterThan(25_000);
    // Its steady part: from 5 s in (the source had long filled what it may hold).
    const steady = stall.filter((m) => m.elapsedMs >= stall[0].elapsedMs + 5000);

    // Memory while stalled: the source may hold its bounded buffer (4096 records per instance)
    // plus one fetch, not the topic. The heap floor (the live set after GCs) of each worker stays
    // low; a source that kept fetching (BP_BUFFER_RECORDS=1000000) holds its 100k decoded
    // messages: measured floors ~30 MB bounded vs ~52 MB read-ahead (Node 20, 2 cores).
    const floor = (ms: JobMetrics[], w: number) => Math.min(...ms.map((m) => m.workers.find((x) => x.worker === w)?.heapUsed ?? Infinity));
    const floors = [0, 1].map((w) => floor(steady, w));

    const stats = {
      produceMs: Math.round(produceMs),
      runMs: Math.round(runMs),
      maxInFlight,
      maxQueued,
      stallMs,
      stallHeapFloorMB: floors.map((f) => Math.round(f / MB)),
      maxHeapMB: Math.round(Math.max(...running.flatMap((m) => m.workers.map((w) => w.heapUsed))) / MB),
      rssGrowthMB: Math.round((Math.max(...rss) - rssBefore) / MB),
      groupSamples: after.length,
    };
    console.log(`kafka backpressure: ${JSON.stringify(stats)}`);
    if (process.env.BP_VERBOSE) for (const m of steady) console.log(Math.round(m.elapsedMs), m.workers.map((w) => Math.round(w.heapUsed / MB)).join(' '));
    for (const f of floors) expect(f, JSON.stringify(stats)).toBeLessThan(40 * MB);
  });
});
