/**
 * Barrier alignment (aligned checkpoints, as Flink): an actor with several
 * inputs takes its snapshot for checkpoint n only when barrier n is at the
 * head of every input; inputs that already ended count as aligned. Until
 * then, inputs whose barrier arrived are held (their head blocks them) and
 * the others are processed. Pure: reads the channels' heads.
 *
 * Invariant: barriers arrive in increasing order on every channel, so all
 * heads that are barriers carry the same id.
 */
import type { InputChannel } from './input-channel.js';

export function alignedBarrier(inputs: readonly InputChannel[]): number | undefined {
  let id: number | undefined;
  for (const ch of inputs) {
    const b = ch.headBarrier();
    if (b === undefined) {
      if (!ch.finished) return undefined;
      continue;
    }
    if (id !== undefined && id !== b) throw new Error(`bug: barriers ${id} and ${b} at the heads of one actor's inputs`);
    id = b;
  }
  return id;
}

/** Pop the aligned barrier from every input that holds it. */
export function releaseBarrier(inputs: readonly InputChannel[]): void {
  for (const ch of inputs) if (ch.headBarrier() !== undefined) ch.popBarrier();
}
