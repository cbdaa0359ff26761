/**
 * Is a machine context plain data that msgpack round-trips? Functions, class
 * instances, Maps, Sets and symbols would be lost or changed by a checkpoint,
 * so they are refused where they appear, naming the path.
 */
export function nonSerializablePath(value: unknown, path = 'context', seen = new Set<object>()): string | undefined {
  if (value === null || value === undefined) return undefined;
  const t = typeof value;
  if (t === 'string' || t === 'number' || t === 'boolean' || t === 'bigint') return undefined;
  if (t === 'function') return `${path} is a function`;
  if (t === 'symbol') return `${path} is a symbol`;
  const o = value as object;
  if (o instanceof Date || o instanceof Uint8Array) return undefined;
  if (seen.has(o)) return `${path} is a cycle`;
  seen.add(o);
  if (Array.isArray(o)) {
    for (let i = 0; i < o.length; i++) {
      const bad = nonSerializablePath(o[i], `${path}[${i}]`, seen);
      if (bad) return bad;
    }
  } else {
    const proto = Object.getPrototypeOf(o);
    if (proto !== Object.prototype && proto !== null) return `${path} is an instance of ${(proto?.constructor as { name?: string } | undefined)?.name ?? 'a class'}`;
    for (const k of Object.keys(o)) {
      const bad = nonSerializablePath((o as Record<string, unknown>)[k], `${path}.${k}`, seen);
      if (bad) return bad;
    }
  }
  seen.delete(o);
  return undefined;
}
