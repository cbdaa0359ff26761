import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../actors/errors.js';
import { DEFAULT_RESTART_STRATEGY, decide, restartStrategy, type RestartStrategy } from '../../supervision/restart-strategy.js';

const noJitter = () => 0.5; // 2 * 0.5 - 1 = 0: the delay is the base delay
const low = () => 0;
const high = () => 0.999;

function strategy(s: Partial<Omit<RestartStrategy, 'backoff'>> & { backoff?: Partial<RestartStrategy['backoff']> } = {}): RestartStrategy {
  return restartStrategy(s);
}

describe('restart strategy defaults', () => {
  it('restartStrategy() is the documented default and validates', () => {
    expect(restartStrategy()).toEqual(DEFAULT_RESTART_STRATEGY);
    expect(restartStrategy({})).toEqual(DEFAULT_RESTART_STRATEGY);
    expect(DEFAULT_RESTART_STRATEGY).toEqual({
      maxRestarts: 10,
      withinMs: 60_000,
      backoff: { initialMs: 50, maxMs: 10_000, multiplier: 2, jitter: 0.1 },
      repeatedFailure: 'escalate',
    });
  });

  it('fills fields missing from a partial backoff from the defaults, without touching the defaults', () => {
    const s = restartStrategy({ maxRestarts: 3, backoff: { initialMs: 5 } });
    expect(s).toEqual({ maxRestarts: 3, withinMs: 60_000, backoff: { initialMs: 5, maxMs: 10_000, multiplier: 2, jitter: 0.1 }, repeatedFailure: 'escalate' });
    expect(s.backoff).not.toBe(DEFAULT_RESTART_STRATEGY.backoff);
    s.backoff.maxMs = 1;
    expect(DEFAULT_RESTART_STRATEGY.backoff.maxMs).toBe(10_000);
    expect(DEFAULT_RESTART_STRATEGY.backoff.initialMs).toBe(50);
  });
});

describe('restart strategy validation names the bad field', () => {
  const bad: [string, Parameters<typeof restartStrategy>[0]][] = [
    ['maxRestarts', { maxRestarts: -1 }],
    ['maxRestarts', { maxRestarts: 1.5 }],
    ['maxRestarts', { maxRestarts: Number.NaN }],
    ['withinMs', { withinMs: 0 }],
    ['withinMs', { withinMs: -5 }],
    ['withinMs', { withinMs: Number.POSITIVE_INFINITY }],
    ['backoff.initialMs', { backoff: { initialMs: -1 } }],
    ['backoff.initialMs', { backoff: { initialMs: Number.NaN } }],
    ['backoff.maxMs', { backoff: { initialMs: 100, maxMs: 99 } }],
    ['backoff.maxMs', { backoff: { maxMs: Number.POSITIVE_INFINITY } }],
    ['backoff.multiplier', { backoff: { multiplier: 0.5 } }],
    ['backoff.multiplier', { backoff: { multiplier: Number.NaN } }],
    ['backoff.jitter', { backoff: { jitter: 1.5 } }],
    ['backoff.jitter', { backoff: { jitter: -0.1 } }],
  ];
  for (const [field, partial] of bad) {
    it(`${field}: ${JSON.stringify(partial, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`, () => {
      let err: unknown;
      try {
        restartStrategy(partial);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      const ce = err as ConfigError;
      expect(ce.code).toBe('CONFIG_INVALID');
      expect(ce.context.field).toBe(field);
      expect(ce.message).toContain(`restart strategy ${field} is `);
      expect(ce.message).toMatch(/Fix: /);
    });
  }

  it('accepts the edges of every range', () => {
    expect(() => restartStrategy({ maxRestarts: 0 })).not.toThrow();
    expect(() => restartStrategy({ withinMs: 1 })).not.toThrow();
    expect(() => restartStrategy({ backoff: { initialMs: 0, maxMs: 0, multiplier: 1, jitter: 0 } })).not.toThrow();
    expect(() => restartStrategy({ backoff: { initialMs: 7, maxMs: 7, jitter: 1 } })).not.toThrow();
  });

  it('names the first bad field when several are bad', () => {
    expect(() => restartStrategy({ withinMs: 0, backoff: { jitter: 2 } })).toThrow(/restart strategy withinMs is 0/);
  });
});

describe('decide: OTP intensity', () => {
  it('maxRestarts 0 escalates at once', () => {
    const d = decide([], 1000, strategy({ maxRestarts: 0 }), noJitter);
    expect(d).toEqual({ action: 'escalate', restarts: 0, history: [] });
  });

  it('restarts maxRestarts times within the window, then escalates', () => {
    const s = strategy({ maxRestarts: 3, withinMs: 1000, backoff: { jitter: 0 } });
    let history: number[] = [];
    for (let i = 0; i < 3; i++) {
      const d = decide(history, 100 + i * 10, s, noJitter);
      expect(d.action).toBe('restart');
      history = d.history;
    }
    expect(history).toEqual([100, 110, 120]);
    const d = decide(history, 130, s, noJitter);
    expect(d).toEqual({ action: 'escalate', restarts: 3, history: [100, 110, 120] });
  });

  it('restarts outside the window do not count, and are dropped from the history', () => {
    const s = strategy({ maxRestarts: 2, withinMs: 1000, backoff: { jitter: 0 } });
    // two old restarts, long ago: a new failure restarts
    const d = decide([0, 10], 5000, s, noJitter);
    expect(d.action).toBe('restart');
    expect(d.history).toEqual([5000]);
    // one old (outside), one recent (inside): still room for one more
    const d2 = decide([0, 4500], 5000, s, noJitter);
    expect(d2).toMatchObject({ action: 'restart', history: [4500, 5000] });
    // two recent: escalate
    const d3 = decide([0, 4100, 4500], 5000, s, noJitter);
    expect(d3).toEqual({ action: 'escalate', restarts: 2, history: [4100, 4500] });
  });

  it('the window slides: restarts become possible again as old ones age out', () => {
    const s = strategy({ maxRestarts: 1, withinMs: 100, backoff: { jitter: 0 } });
    const first = decide([], 0, s, noJitter);
    expect(first.action).toBe('restart');
    expect(decide(first.history, 50, s, noJitter).action).toBe('escalate');
    expect(decide(first.history, 99, s, noJitter).action).toBe('escalate');
    expect(decide(first.history, 101, s, noJitter).action).toBe('restart');
  });

  it('does not mutate the history it is given', () => {
    const h = [1, 2, 3];
    decide(h, 4, strategy({ backoff: { jitter: 0 } }), noJitter);
    expect(h).toEqual([1, 2, 3]);
  });
});

describe('decide: exponential backoff', () => {
  it('doubles from initialMs and is capped at maxMs', () => {
    const s = strategy({ maxRestarts: 100, withinMs: 1e9, backoff: { initialMs: 50, maxMs: 1000, multiplier: 2, jitter: 0 } });
    const delays: number[] = [];
    let history: number[] = [];
    for (let i = 0; i < 8; i++) {
      const d = decide(history, i, s, Math.random);
      if (d.action !== 'restart') throw new Error('expected a restart');
      delays.push(d.delayMs);
      history = d.history;
    }
    expect(delays).toEqual([50, 100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('counts only restarts in the window: after a quiet period the delay is initialMs again', () => {
    const s = strategy({ maxRestarts: 100, withinMs: 1000, backoff: { initialMs: 10, maxMs: 1000, multiplier: 3, jitter: 0 } });
    expect(decide([0, 1, 2], 3, s, noJitter)).toMatchObject({ delayMs: 270 });
    expect(decide([0, 1, 2], 5000, s, noJitter)).toMatchObject({ delayMs: 10 });
  });

  it('multiplier 1 keeps the delay constant', () => {
    const s = strategy({ maxRestarts: 100, backoff: { initialMs: 30, maxMs: 1000, multiplier: 1, jitter: 0 } });
    expect(decide([1, 2, 3, 4, 5], 6, s, noJitter)).toMatchObject({ action: 'restart', delayMs: 30 });
  });

  it('jitter bounds: random 0 gives base*(1-jitter), random near 1 gives nearly base*(1+jitter)', () => {
    const s = strategy({ maxRestarts: 10, backoff: { initialMs: 1000, maxMs: 100_000, multiplier: 2, jitter: 0.2 } });
    expect(decide([], 0, s, low)).toMatchObject({ delayMs: 800 });
    expect(decide([], 0, s, high)).toMatchObject({ delayMs: Math.round(1000 + 1000 * 0.2 * 0.998) }); // 1200
    expect(decide([], 0, s, noJitter)).toMatchObject({ delayMs: 1000 });
    expect(decide([0], 1, s, low)).toMatchObject({ delayMs: 1600 });
    expect(decide([0], 1, s, high)).toMatchObject({ delayMs: 2399 }); // 2000 + 2000 * 0.2 * 0.998, rounded
  });

  it('jitter applies to the capped delay', () => {
    const s = strategy({ maxRestarts: 10, withinMs: 1e9, backoff: { initialMs: 100, maxMs: 500, multiplier: 10, jitter: 0.5 } });
    expect(decide([0, 1, 2], 3, s, low)).toMatchObject({ delayMs: 250 });
    expect(decide([0, 1, 2], 3, s, high)).toMatchObject({ delayMs: 750 });
  });

  it('jitter 1 with random 0 gives no delay, never a negative one', () => {
    const s = strategy({ backoff: { initialMs: 40, maxMs: 40, jitter: 1 } });
    expect(decide([], 0, s, low)).toMatchObject({ action: 'restart', delayMs: 0 });
  });

  it('property: delays are within [base*(1-jitter), base*(1+jitter)] (up to rounding) and never exceed maxMs*(1+jitter)', () => {
    const arb = fc.record({
      initialMs: fc.integer({ min: 0, max: 10_000 }),
      extra: fc.integer({ min: 0, max: 100_000 }),
      multiplier: fc.double({ min: 1, max: 5, noNaN: true }),
      jitter: fc.double({ min: 0, max: 1, noNaN: true }),
      maxRestarts: fc.integer({ min: 1, max: 30 }),
      withinMs: fc.integer({ min: 1, max: 1_000_000 }),
      // ages of earlier restarts: some inside the window, some far outside
      recentAges: fc.array(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), { maxLength: 40 }),
      oldAges: fc.array(fc.integer({ min: 0, max: 1_000_000 }), { maxLength: 10 }),
      r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    });
    fc.assert(
      fc.property(arb, (a) => {
        const s = restartStrategy({
          maxRestarts: a.maxRestarts,
          withinMs: a.withinMs,
          backoff: { initialMs: a.initialMs, maxMs: a.initialMs + a.extra, multiplier: a.multiplier, jitter: a.jitter },
        });
        const now = 10_000_000;
        const recent = a.recentAges.map((f) => now - Math.floor(f * a.withinMs));
        const old = a.oldAges.map((x) => now - a.withinMs - x);
        const history = [...old, ...recent];
        const d = decide(history, now, s, () => a.r);
        if (recent.length >= a.maxRestarts) {
          expect(d).toEqual({ action: 'escalate', restarts: recent.length, history: recent });
          return;
        }
        if (d.action !== 'restart') throw new Error(`expected a restart, got ${JSON.stringify(d)}`);
        expect(d.history).toEqual([...recent, now]);
        const base = Math.min(s.backoff.maxMs, s.backoff.initialMs * s.backoff.multiplier ** recent.length);
        expect(Number.isInteger(d.delayMs)).toBe(true);
        expect(d.delayMs).toBeGreaterThanOrEqual(0);
        expect(d.delayMs).toBeGreaterThanOrEqual(base * (1 - s.backoff.jitter) - 0.5);
        expect(d.delayMs).toBeLessThanOrEqual(base * (1 + s.backoff.jitter) + 0.5);
        expect(d.delayMs).toBeLessThanOrEqual(s.backoff.maxMs * (1 + s.backoff.jitter) + 0.5);
      }),
      { numRuns: 500 },
    );
  });

  it('property: over a run of failures, each delay is initialMs * multiplier^(restarts still in the window), capped', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 30 }), (maxRestarts, gaps) => {
        const s = restartStrategy({ maxRestarts, withinMs: 100, backoff: { initialMs: 1, maxMs: 64, multiplier: 2, jitter: 0 } });
        let history: number[] = [];
        let now = 0;
        for (const g of gaps) {
          now += g;
          const d = decide(history, now, s, noJitter);
          const inWindow = history.filter((t) => now - t < 100).length;
          if (d.action === 'escalate') {
            expect(inWindow).toBe(maxRestarts);
            continue; // the supervisor above takes over; the history stays as it was
          }
          expect(d.delayMs).toBe(Math.min(64, 2 ** inWindow));
          history = d.history;
        }
      }),
    );
  });
});
