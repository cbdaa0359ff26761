/**
 * A seeded pseudo-random generator (mulberry32): small, fast, the same
 * sequence for the same seed on every machine. Good enough to pick
 * interleavings in the simulation and to draw sample data; not for anything
 * that must be unpredictable. In actors/ so that both the runtime
 * (runtime/testing) and the connectors may import it (DESIGN.md's layers).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
