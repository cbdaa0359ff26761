/**
 * A cache of compiled jobs, so a rerun of an unchanged job skips esbuild
 * (~50-100 ms of start-up). An entry records every file the bundle was made
 * from with its size and mtime; it is used only if all of them are unchanged.
 * Entries live in the OS temp dir; a damaged or stale entry is just a miss.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface Entry {
  inputs: Record<string, [number, number]>; // path -> [size, mtimeMs]
  code: string;
}

const DIR = path.join(tmpdir(), 'weir-compile-cache');

function entryPath(abs: string): string {
  return path.join(DIR, `${createHash('sha256').update(`${process.version}\0${abs}`).digest('hex').slice(0, 24)}.json`);
}

function stamp(file: string): [number, number] | undefined {
  try {
    const s = statSync(file);
    return [s.size, s.mtimeMs];
  } catch {
    return undefined;
  }
}

export function cachedCompile(abs: string): string | undefined {
  try {
    const e = JSON.parse(readFileSync(entryPath(abs), 'utf8')) as Entry;
    for (const [file, [size, mtime]] of Object.entries(e.inputs)) {
      const s = stamp(file);
      if (!s || s[0] !== size || s[1] !== mtime) return undefined;
    }
    return e.code;
  } catch {
    return undefined;
  }
}

export function storeCompile(abs: string, inputs: string[], code: string): void {
  try {
    const stamps: Entry['inputs'] = {};
    for (const f of inputs) {
      const s = stamp(f);
      if (!s) return;
      stamps[f] = s;
    }
    mkdirSync(DIR, { recursive: true });
    const target = entryPath(abs);
    const tmp = `${target}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ inputs: stamps, code } satisfies Entry));
    renameSync(tmp, target);
  } catch {
    // A cache that cannot be written is only a slower next start.
  }
}
