/**
 * The interpreter of the supervisor core (supervision/supervisor.ts) for a
 * running job: it feeds the core events (failures, checkpoint commits, the
 * end of a wait, a settled checkpoint write, a recovery's outcome) and
 * carries its effects out on a checkpointer and an engine. It decides
 * nothing itself. The threaded job and the simulation both use it, with
 * their own engine and timers, so a simulated recovery is production's.
 */
import type { Logger } from '../../actors/contract.js';
import { WeirError } from '../../actors/errors.js';
import { initialState, step, type SupervisorEffect, type SupervisorEvent, type SupervisorState } from '../../supervision/supervisor.js';
import { supervisionTree } from '../../supervision/tree.js';
import type { RestartStrategy } from '../../supervision/restart-strategy.js';
import { restoreSet } from '../checkpoint/restore-plan.js';
import type { Timers } from '../host/env.js';
import type { ExecutionPlan } from '../plan/plan.js';
import type { Checkpointer } from './checkpointer.js';
import type { Engine } from './engines.js';

/** One supervision step as observed: the event and the effects it produced. */
export interface SupervisionStep {
  at: number;
  event: SupervisorEvent;
  effects: SupervisorEffect[];
}

export interface FailoverOptions {
  plan: ExecutionPlan;
  strategy: RestartStrategy;
  restoredFrom: number | undefined;
  checkpointer: Checkpointer;
  engine: Engine;
  log: Logger;
  now(): number;
  random(): number;
  timers: Timers;
  /** The supervisor gave up: the job stops with this error. */
  escalate(error: WeirError): void;
  /** Every step, in order (tests compare the simulation's decisions with the threads'). */
  observe?(s: SupervisionStep): void;
  /** Regions restarted from the last checkpoint after `error` (the telemetry's failure history). */
  restarted?(regions: number[], error: WeirError | undefined, crashedWorkers: number[]): void;
}

export class Failover {
  private s: SupervisorState;
  /** Workers to replace with the next restore. */
  private replace: number[] = [];
  private stopped = false;

  constructor(private readonly o: FailoverOptions) {
    const tree = supervisionTree(o.plan.actors, o.plan.regions, o.strategy);
    this.s = initialState(tree, o.restoredFrom);
  }

  get epochs(): readonly number[] {
    return this.s.epochs;
  }

  get restarts(): number {
    return this.s.restarts;
  }

  epochOf(actor: number): number {
    return this.s.epochs[this.o.plan.actors[actor].region];
  }

  /** The job ended (or failed): carry out nothing more. */
  stop(): void {
    this.stopped = true;
  }

  dispatch(event: SupervisorEvent): void {
    if (this.stopped) return;
    const [s, effects] = step(this.s, event, this.o.now(), this.o.random);
    this.s = s;
    this.o.observe?.({ at: this.o.now(), event, effects });
    for (const e of effects) this.perform(e);
  }

  private perform(e: SupervisorEffect): void {
    const { checkpointer, engine, log } = this.o;
    switch (e.t) {
      case 'pause-checkpoints':
        // No checkpoint can complete across a failover: abort it and trigger none until the regions run again.
        checkpointer.pause(e.actors);
        return;
      case 'bump-epochs': {
        const error = this.s.recovering?.error;
        log.warn({ regions: e.regions, err: error }, `restarting region(s) ${e.regions.join(', ')} after: ${error?.message}`);
        return;
      }
      case 'wait':
        this.o.timers.set(e.ms, () => this.dispatch({ t: 'backoff-elapsed' }));
        return;
      case 'settle-checkpoint':
        // A checkpoint being written when the failure came may still commit: the regions restart from it if it did.
        checkpointer.settled().then(
          () => this.dispatch({ t: 'checkpoint-settled', checkpoint: checkpointer.lastCompleted?.id }),
          (err) => this.dispatch({ t: 'recovery-failed', error: asWeirError(err) }),
        );
        return;
      case 'replace-worker':
        this.replace.push(e.worker);
        return;
      case 'restore': {
        const crashed = this.replace.splice(0);
        const from = checkpointer.lastCompleted;
        if (from?.id !== e.from) throw new Error(`bug: restore from checkpoint ${e.from}, but the last completed is ${from?.id}`);
        const actors = this.o.plan.actors.filter((a) => e.actors.includes(a.id));
        const error = this.s.recovering?.error;
        engine.recover(e.regions, e.epochs, restoreSet(from, actors), crashed, from?.id, e.poisoned).then(
          () => {
            this.o.restarted?.(e.regions, error, crashed);
            this.dispatch({ t: 'recovery-finished' });
          },
          (err) => {
            const error = asWeirError(err);
            const actor = error.context.actor;
            this.dispatch({ t: 'recovery-failed', error, actor: typeof actor === 'number' && !error.code.startsWith('WORKER_') ? actor : undefined });
          },
        );
        return;
      }
      case 'resume-checkpoints':
        checkpointer.resume();
        return;
      case 'escalate':
        this.stopped = true;
        this.o.escalate(e.error);
        return;
    }
  }
}

function asWeirError(e: unknown): WeirError {
  return e instanceof WeirError ? e : new WeirError('INTERNAL', e instanceof Error ? e.message : String(e), { cause: e });
}
