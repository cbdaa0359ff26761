/**
 * Build-time checks of a machine given to `machine()`: it is an xstate v5
 * machine, and no state invokes an actor (fromPromise, fromCallback, child
 * machines...). A per-key actor may only compute; I/O belongs to sinks, and a
 * live child actor could not be checkpointed with the key's state.
 */
import type { AnyStateMachine } from 'xstate';
import { TopologyError } from '../../errors.js';

interface NodeLike {
  id: string;
  invoke: { src: unknown; id?: string }[];
  states: Record<string, NodeLike>;
}

export function validateMachine(def: unknown, operator: string): asserts def is AnyStateMachine {
  const m = def as { root?: NodeLike; getPersistedSnapshot?: unknown; resolveState?: unknown } | undefined;
  if (typeof m !== 'object' || m === null || typeof m.resolveState !== 'function' || typeof m.getPersistedSnapshot !== 'function' || m.root === undefined) {
    throw new TopologyError(`machine() needs an xstate v5 machine, got ${def === null ? 'null' : typeof def}. Fix: pass setup({...}).createMachine({...}) or createMachine({...}) from 'xstate'`, { operator });
  }
  const walk = (node: NodeLike): void => {
    if (node.invoke.length > 0) {
      const src = node.invoke[0].src;
      throw new TopologyError(
        `machine '${operator}': state '${node.id}' invokes an actor (${typeof src === 'string' ? `'${src}'` : 'inline logic'}). A per-key state machine may only compute: invoked or spawned actors (fromPromise, fromCallback, child machines) would do I/O and cannot be checkpointed. Fix: remove the invoke; emit(...) an event and do the I/O in a sink or a downstream operator`,
        { operator },
      );
    }
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(m.root);
}
