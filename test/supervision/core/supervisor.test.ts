/**
 * The supervisor core on its own: events in, effects out, no threads and no
 * timers. Time and randomness are arguments, so every decision here is exact.
 */
import { describe, expect, it } from 'vitest';
import { UserFunctionError, WeirError } from '../../../actors/errors.js';
import { restartStrategy, type RestartStrategy } from '../../../supervision/restart-strategy.js';
import { initialState, recordSignature, step, type SupervisorEffect, type SupervisorEvent, type SupervisorState } from '../../../supervision/supervisor.js';
import { supervisionTree } from '../../../supervision/tree.js';

const noJitter = () => 0.5;

/** Two regions: region 0 = actors 0,1 (workers 0,1), region 1 = actors 2,3 (worker 1). */
function tree(s: Partial<RestartStrategy> = {}) {
  const strategy = restartStrategy({ maxRestarts: 3, withinMs: 1000, backoff: { initialMs: 10, maxMs: 100, multiplier: 2, jitter: 0.1 }, ...s });
  return supervisionTree(
    [
      { id: 0, operator: 'in', instance: 0, worker: 0, region: 0 },
      { id: 1, operator: 'parse', instance: 0, worker: 1, region: 0 },
      { id: 2, operator: 'in2', instance: 0, worker: 1, region: 1 },
      { id: 3, operator: 'out2', instance: 0, worker: 1, region: 1 },
    ],
    2,
    strategy,
  );
}

/** Feed events in order; return the final state and every effect. */
function drive(s: SupervisorState, events: [number, SupervisorEvent][]): { s: SupervisorState; effects: SupervisorEffect[] } {
  const effects: SupervisorEffect[] = [];
  for (const [now, e] of events) {
    const [next, out] = step(s, e, now, noJitter);
    s = next;
    effects.push(...out);
  }
  return { s, effects };
}

const boom = (record: unknown, operator = 'parse') => new UserFunctionError({ operator, instance: 0, record, onError: 'restart' }, new Error('bad'));
const crash = (w: number) => new WeirError('WORKER_EXITED', `worker ${w} exited`, { context: { worker: w } });

/** One full recovery after a failure: backoff, settle at `from`, restore done. */
const recovery = (now: number, from: number | undefined): [number, SupervisorEvent][] => [
  [now, { t: 'backoff-elapsed' }],
  [now, { t: 'checkpoint-settled', checkpoint: from }],
  [now, { t: 'recovery-finished' }],
];

describe('supervisor core', () => {
  it('an actor failure restarts its region: pause, new epoch, backoff, settle, restore from the last checkpoint, resume', () => {
    const { s, effects } = drive(initialState(tree()), [[100, { t: 'actor-failed', actor: 1, epoch: 0, error: boom('x') }], ...recovery(110, 4)]);
    expect(effects).toEqual([
      { t: 'pause-checkpoints', actors: [0, 1] },
      { t: 'bump-epochs', regions: [0], epochs: [1, 0] },
      { t: 'wait', ms: 10 },
      { t: 'settle-checkpoint' },
      { t: 'restore', regions: [0], actors: [0, 1], epochs: [1, 0], from: 4 },
      { t: 'resume-checkpoints' },
    ]);
    expect(s.restarts).toBe(1);
    expect(s.recovering).toBeUndefined();
    expect(s.history[0]).toEqual([100]);
    expect(s.history[1]).toEqual([]);
  });

  it('a crashed worker takes every region it hosts, and is replaced before the restore', () => {
    const { effects } = drive(initialState(tree()), [[0, { t: 'worker-failed', worker: 1, how: 'exited', error: crash(1) }], ...recovery(10, undefined)]);
    expect(effects.map((e) => e.t)).toEqual(['pause-checkpoints', 'bump-epochs', 'wait', 'settle-checkpoint', 'replace-worker', 'restore', 'resume-checkpoints']);
    expect(effects[1]).toEqual({ t: 'bump-epochs', regions: [0, 1], epochs: [1, 1] });
    expect(effects[4]).toEqual({ t: 'replace-worker', worker: 1 });
    expect(effects[5]).toMatchObject({ regions: [0, 1], actors: [0, 1, 2, 3], from: undefined });
  });

  it('a worker that hosts one region restarts only that region', () => {
    const { effects } = drive(initialState(tree()), [[0, { t: 'worker-failed', worker: 0, how: 'hung', error: crash(0) }]]);
    expect(effects[1]).toEqual({ t: 'bump-epochs', regions: [0], epochs: [1, 0] });
  });

  it('ignores a failure from an older epoch (reported by an actor of before the restart)', () => {
    const { s, effects } = drive(initialState(tree()), [
      [0, { t: 'actor-failed', actor: 1, epoch: 0, error: boom('a') }],
      ...recovery(10, 1),
      [20, { t: 'actor-failed', actor: 0, epoch: 0, error: boom('b', 'in') }],
    ]);
    expect(effects.filter((e) => e.t === 'bump-epochs')).toHaveLength(1);
    expect(s.epochs).toEqual([1, 0]);
  });

  it('queues failures during a recovery, merged, and handles them once it ends', () => {
    const { s, effects } = drive(initialState(tree()), [
      [0, { t: 'actor-failed', actor: 1, epoch: 0, error: boom('a') }],
      [1, { t: 'actor-failed', actor: 3, epoch: 0, error: boom('b', 'out2') }],
      [2, { t: 'worker-failed', worker: 0, how: 'crashed', error: crash(0) }],
      ...recovery(10, 2),
    ]);
    expect(effects.map((e) => e.t)).toEqual([
      'pause-checkpoints', 'bump-epochs', 'wait', 'settle-checkpoint', 'restore', 'resume-checkpoints',
      // the queued failures: regions 0 and 1, worker 0 replaced
      'pause-checkpoints', 'bump-epochs', 'wait',
    ]);
    expect(effects[7]).toEqual({ t: 'bump-epochs', regions: [0, 1], epochs: [2, 1] });
    expect(s.recovering).toMatchObject({ regions: [0, 1], crashed: [0], phase: 'backoff' });
    const [, more] = step(s, { t: 'backoff-elapsed' }, 20, noJitter);
    const [, last] = step(step(s, { t: 'backoff-elapsed' }, 20, noJitter)[0], { t: 'checkpoint-settled', checkpoint: 2 }, 20, noJitter);
    expect(more).toEqual([{ t: 'settle-checkpoint' }]);
    expect(last).toEqual([{ t: 'replace-worker', worker: 0 }, { t: 'restore', regions: [0, 1], actors: [0, 1, 2, 3], epochs: [2, 1], from: 2 }]);
  });

  it('backs off exponentially and escalates past maxRestarts within the window, naming the region and the last checkpoint', () => {
    let s = initialState(tree({ repeatedFailure: 'restart' }), 7);
    const waits: number[] = [];
    let escalated: WeirError | undefined;
    for (let i = 0; i < 4; i++) {
      const { s: next, effects } = drive(s, [[i * 10, { t: 'actor-failed', actor: 1, error: boom('x') }], ...recovery(i * 10, 7)]);
      s = next;
      for (const e of effects) {
        if (e.t === 'wait') waits.push(e.ms);
        if (e.t === 'escalate') escalated = e.error;
      }
    }
    expect(waits).toEqual([10, 20, 40]);
    expect(escalated?.code).toBe('RESTARTS_EXHAUSTED');
    expect(escalated?.message).toContain('failover region 0 failed 4 times within 1000 ms (allowed: 3)');
    expect(escalated?.message).toContain('its last checkpoint 7 kept');
    // Nothing is decided after escalating.
    expect(step(s, { t: 'worker-failed', worker: 0, how: 'exited', error: crash(0) }, 100, noJitter)[1]).toEqual([]);
  });

  it('restarts older than the window do not count', () => {
    let s = initialState(tree({ maxRestarts: 1, repeatedFailure: 'restart' }));
    s = drive(s, [[0, { t: 'actor-failed', actor: 1, error: boom('x') }], ...recovery(0, undefined)]).s;
    const { effects } = drive(s, [[1500, { t: 'actor-failed', actor: 1, error: boom('x') }]]);
    expect(effects.map((e) => e.t)).toEqual(['pause-checkpoints', 'bump-epochs', 'wait']);
  });

  it("onError: 'stop' escalates at once", () => {
    const err = new UserFunctionError({ operator: 'parse', instance: 0, record: 1, onError: 'stop' }, new Error('no'));
    const { effects } = drive(initialState(tree()), [[0, { t: 'actor-failed', actor: 1, error: err }]]);
    expect(effects).toEqual([{ t: 'escalate', error: err }]);
  });

  it('a failure while the job ends stops it', () => {
    const { effects } = drive(initialState(tree()), [[0, { t: 'job-ending' }], [1, { t: 'worker-failed', worker: 0, how: 'exited', error: crash(0) }]]);
    expect(effects.map((e) => e.t)).toEqual(['escalate']);
  });

  describe('an open() that fails during a region restart', () => {
    it('counts as a restart of that region (and escalates past maxRestarts)', () => {
      let s = initialState(tree({ maxRestarts: 2 }));
      const opening = new WeirError('SOURCE_OPEN_FAILED', 'cannot connect');
      const events: [number, SupervisorEvent][] = [
        [0, { t: 'actor-failed', actor: 1, error: boom('x') }],
        [0, { t: 'backoff-elapsed' }],
        [0, { t: 'checkpoint-settled', checkpoint: 1 }],
        [1, { t: 'recovery-failed', actor: 0, error: opening }],
        [11, { t: 'backoff-elapsed' }],
        [11, { t: 'checkpoint-settled', checkpoint: 1 }],
        [12, { t: 'recovery-failed', actor: 0, error: opening }],
      ];
      const { s: end, effects } = drive(s, events);
      s = end;
      expect(effects.map((e) => e.t)).toEqual([
        'pause-checkpoints', 'bump-epochs', 'wait', 'settle-checkpoint', 'restore',
        'resume-checkpoints', 'pause-checkpoints', 'bump-epochs', 'wait', 'settle-checkpoint', 'restore',
        'resume-checkpoints', 'escalate',
      ]);
      const last = effects.at(-1) as Extract<SupervisorEffect, { t: 'escalate' }>;
      expect(last.error.code).toBe('RESTARTS_EXHAUSTED');
      expect(last.error.message).toContain('cannot connect');
      expect(s.restarts).toBe(0);
    });

    it('a connector that gave up after its own retry budget (the Kafka connect budget) stops the job at once', () => {
      const gaveUp = new WeirError('KAFKA_UNREACHABLE', 'cannot reach the Kafka broker(s) within 2000 ms', { retriable: true, context: { budgetExhausted: true } });
      const { effects } = drive(initialState(tree({ maxRestarts: 10 })), [
        [0, { t: 'actor-failed', actor: 0, error: gaveUp }],
        [0, { t: 'backoff-elapsed' }],
        [0, { t: 'checkpoint-settled', checkpoint: 1 }],
        [1, { t: 'recovery-failed', actor: 0, error: gaveUp }],
      ]);
      expect(effects.at(-1)).toEqual({ t: 'escalate', error: gaveUp });
    });

    it('a worker lost during a restore rebuilds the regions again without counting a restart of theirs', () => {
      const { s, effects } = drive(initialState(tree({ maxRestarts: 1 })), [
        [0, { t: 'actor-failed', actor: 1, error: boom('x') }],
        [0, { t: 'backoff-elapsed' }],
        [0, { t: 'checkpoint-settled', checkpoint: 1 }],
        [1, { t: 'worker-failed', worker: 1, how: 'exited', error: crash(1) }],
        [1, { t: 'recovery-failed', error: crash(1) }],
      ]);
      // Region 0 has used its one restart; the worker loss counts for both regions it hosts...
      expect(effects.at(-1)).toMatchObject({ t: 'escalate' });
      expect(s.history[0]).toEqual([0]);
      // ...while with room it restarts both regions and replaces the worker.
      const roomy = drive(initialState(tree({ maxRestarts: 3 })), [
        [0, { t: 'actor-failed', actor: 1, error: boom('x') }],
        [0, { t: 'backoff-elapsed' }],
        [0, { t: 'checkpoint-settled', checkpoint: 1 }],
        [1, { t: 'worker-failed', worker: 1, how: 'exited', error: crash(1) }],
        [1, { t: 'recovery-failed', error: crash(1) }],
        ...recovery(20, 1),
      ]);
      expect(roomy.effects.filter((e) => e.t === 'replace-worker')).toEqual([{ t: 'replace-worker', worker: 1 }]);
      expect(roomy.s.restarts).toBe(2);
    });
  });

  describe('repeated failures of the same record (deterministic failures)', () => {
    it('escalate at once when the same record fails the same operator right after a restart from the same checkpoint', () => {
      const { effects } = drive(initialState(tree(), 3), [
        [0, { t: 'actor-failed', actor: 1, error: boom({ id: 42 }) }],
        ...recovery(10, 3),
        [20, { t: 'actor-failed', actor: 1, epoch: 1, error: boom({ id: 42 }) }],
      ]);
      const last = effects.at(-1) as Extract<SupervisorEffect, { t: 'escalate' }>;
      expect(last.t).toBe('escalate');
      expect(last.error.code).toBe('RECORD_FAILS_DETERMINISTICALLY');
      expect(last.error.message).toContain(`operator 'parse' failed on record {"id":42} again right after restarting from checkpoint 3`);
      expect(last.error.message).toContain("onError: 'skip'");
      expect(last.error.context.operator).toBe('parse');
    });

    it('restart when a checkpoint completed since (the replay started later), or the record or operator differs', () => {
      const base = (): [number, SupervisorEvent][] => [[0, { t: 'actor-failed', actor: 1, error: boom(1) }], ...recovery(10, 3)];
      const cases: [number, SupervisorEvent][][] = [
        [[15, { t: 'checkpoint-completed', id: 4 }], [20, { t: 'actor-failed', actor: 1, error: boom(1) }]],
        [[20, { t: 'actor-failed', actor: 1, error: boom(2) }]],
        [[20, { t: 'actor-failed', actor: 0, error: boom(1, 'in') }]],
        [[20, { t: 'worker-failed', worker: 0, how: 'exited', error: crash(0) }]],
      ];
      for (const c of cases) {
        const { effects } = drive(initialState(tree(), 3), [...base(), ...c]);
        expect(effects.at(-1), JSON.stringify(c)).toEqual({ t: 'wait', ms: 20 });
      }
    });

    it("with repeatedFailure: 'dead-letter' it restarts once more, naming the record to dead-letter in every later restore", () => {
      const { s: end, effects } = drive(initialState(tree({ repeatedFailure: 'dead-letter' }), 3), [
        [0, { t: 'actor-failed', actor: 1, error: boom({ id: 7 }) }],
        ...recovery(10, 3),
        [20, { t: 'actor-failed', actor: 1, error: boom({ id: 7 }) }],
        ...recovery(40, 3),
      ]);
      const restores = effects.filter((e): e is Extract<SupervisorEffect, { t: 'restore' }> => e.t === 'restore');
      expect(restores).toHaveLength(2);
      expect(restores[0].poisoned).toBeUndefined();
      expect(restores[1].poisoned).toEqual([recordSignature('parse', '{"id":7}')]);
      expect(end.restarts).toBe(2);
      expect(effects.some((e) => e.t === 'escalate')).toBe(false);
    });

    it("with repeatedFailure: 'restart' the strategy retries as usual", () => {
      const { effects } = drive(initialState(tree({ repeatedFailure: 'restart' }), 3), [
        [0, { t: 'actor-failed', actor: 1, error: boom(1) }],
        ...recovery(10, 3),
        [20, { t: 'actor-failed', actor: 1, error: boom(1) }],
      ]);
      expect(effects.at(-1)).toEqual({ t: 'wait', ms: 20 });
    });

    it('a record preview from a worker thread (a string) matches the record itself', () => {
      const threaded = new WeirError('USER_FUNCTION_FAILED', 'x', { context: { operator: 'parse', instance: 0, record: '{"id":42}' } });
      const { effects } = drive(initialState(tree()), [[0, { t: 'actor-failed', actor: 1, error: boom({ id: 42 }) }], ...recovery(10, undefined), [20, { t: 'actor-failed', actor: 1, error: threaded }]]);
      expect(effects.at(-1)).toMatchObject({ t: 'escalate', error: { code: 'RECORD_FAILS_DETERMINISTICALLY' } });
    });
  });

  it('is pure: the state passed in is never changed', () => {
    const s0 = initialState(tree());
    const frozen = JSON.stringify(s0);
    step(s0, { t: 'actor-failed', actor: 1, error: boom(1) }, 0, noJitter);
    expect(JSON.stringify(s0)).toBe(frozen);
  });
});
