// Regression test: this reproduced a bug (see the description below), now fixed.
/**
 * BUG REPRO (fails while the bug is present; run with
 *   npx vitest run --config test/integration/kafka/vitest.bugs.config.ts):
 *
 * A drained Kafka job (SIGTERM / handle.stop()) never commits its final
 * source positions to the consumer group. The group's offsets are what a job
 * without a checkpoint starts from (startFrom 'committed', the default, as in
 * examples/real-time-processing.ts), so with `--state memory` a second run
 * replays everything read since the last *periodic* checkpoint: a user who
 * runs the reference job, stops it, produces 100 more messages and runs it
 * again sees the first 100 printed a second time.
 *
 * Cause (connectors/kafka/source.ts + runtime/host/tasks/source-task.ts):
 * - SourceTask.finish() (drain) calls reader.close() at once, which
 *   disconnects the consumer before the final checkpoint completes;
 * - source.ts position() does not remember the offsets of the final snapshot
 *   (`if (checkpointId !== Number.MAX_SAFE_INTEGER) byCheckpoint.set(...)`),
 *   so checkpointComplete(finalId) finds nothing to commit anyway.
 * Fix: keep the reader open until the final checkpoint's commit (close it in
 * dispose(), as the sink task does), record the MAX_SAFE_INTEGER position as
 * `finalOffsets`, and in checkpointComplete(id) commit
 * `byCheckpoint.get(id) ?? finalOffsets`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BROKERS, cleanupKafka, createTopic, fixture, produce, track, unique, waitFor, weir } from './helpers.js';
import { startKafka } from '../../services/kafka.mjs';

const JOB = fixture('kafka-stdout.ts');

/** Runs the job until stdout shows `last`, then drains it (SIGTERM); returns its stdout lines. */
async function runUntil(topic: string, group: string, last: string): Promise<string[]> {
  const job = weir(['run', JOB, '--state', 'memory', '--no-status', '--workers', '1'], { WEIR_KAFKA_JOB: JSON.stringify({ brokers: BROKERS, topic, groupId: group }) });
  const got = () => job.stdout().split('\n').filter(Boolean);
  await waitFor(() => job.stdout().includes(`${last}\n`), () => `the line "${last}" (have ${got().length} lines); stderr ${job.stderr()}`, 30_000, 20);
  job.child.kill('SIGTERM');
  const { code } = await job.exit;
  expect(code, job.stderr()).toBe(0);
  return got();
}

describe('BUG: a drained Kafka job does not commit its final offsets', () => {
  beforeAll(startKafka, 90_000);
  afterAll(cleanupKafka);

  it('a second run with --state memory continues where the first (drained) run stopped', async () => {
    const topic = await createTopic(unique('rerun'), 1);
    const group = unique('rerun-group');
    track({ group });
    await produce(topic, Array.from({ length: 100 }, (_, i) => ({ value: `Message ${i}` })));
    // Stop as soon as the last line arrived: before a periodic (1 s) checkpoint covers it.
    const first = await runUntil(topic, group, 'Processed: Message 99');
    expect(first).toEqual(Array.from({ length: 100 }, (_, i) => `Processed: Message ${i}`));

    await produce(topic, Array.from({ length: 100 }, (_, i) => ({ value: `Message ${100 + i}` })));
    // One partition, in order: a replay of 0..99 (the bug) would be printed before Message 199, so
    // stopping once Message 199 is out sees all of it (no settle time needed).
    const second = await runUntil(topic, group, 'Processed: Message 199');
    // Actual (bug): "Processed: Message 0" .. "Processed: Message 199" (200 lines).
    expect(second).toEqual(Array.from({ length: 100 }, (_, i) => `Processed: Message ${100 + i}`));
  }, 90_000);
});
