/**
 * TypeScript job files are compiled once by the coordinator with esbuild
 * (bundle the job's own relative imports, keep packages external; ~50 ms),
 * and the main thread and every worker import the same compiled file. The
 * output is written next to the job, as a hidden `.<name>.weir.mjs`, so bare
 * imports (`weir`, `kafkajs`) and `import.meta.url` resolve as they would
 * from the source file. It is removed when the job ends. An unchanged job
 * is not compiled again (compile-cache.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { JobLoadError } from '../../actors/errors.js';
import { cachedCompile, storeCompile } from './compile-cache.js';

const TS = /\.(ts|mts|cts|tsx)$/;
let seq = 0;
let active = 0;

export interface CompiledJob {
  /** URL every thread imports. */
  url: string;
  /** Remove the compiled file (no-op for plain JS jobs). */
  cleanup(): void;
}

export async function compileJob(file: string): Promise<CompiledJob> {
  const abs = path.resolve(file);
  if (!existsSync(abs)) {
    throw new JobLoadError(`job file '${file}' does not exist. Fix: pass the path of a module that default-exports a topology`, { file: abs });
  }
  if (!TS.test(abs)) return { url: pathToFileURL(abs).href, cleanup: () => {} };
  const code = cachedCompile(abs) ?? (await compile(abs, file));
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 10);
  // Unique per run: concurrent jobs from the same source never share (or delete) one file.
  const out = path.join(path.dirname(abs), `.${path.basename(abs).replace(TS, '')}.${hash}-${process.pid}-${++seq}.weir.mjs`);
  writeFileSync(out, code);
  removeOrphans(path.dirname(abs));
  return { url: pathToFileURL(out).href, cleanup: () => rmSync(out, { force: true }) };
}

/** Compiled files left by runs that were killed (kill -9 skips cleanup): their process is gone. */
function removeOrphans(dir: string): void {
  try {
    for (const f of readdirSync(dir)) {
      const m = /^\..+\.[0-9a-f]{10}-(\d+)-\d+\.weir\.mjs$/.exec(f);
      if (!m || alive(Number(m[1]))) continue;
      rmSync(path.join(dir, f), { force: true });
    }
  } catch {
    // Tidying is best effort.
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function compile(abs: string, file: string): Promise<string> {
  const { build, stop } = await import('esbuild');
  let code: string;
  active++;
  try {
    const result = await build({
      entryPoints: [abs],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      write: false,
      sourcemap: 'inline',
      logLevel: 'silent',
      metafile: true,
    });
    code = result.outputFiles[0].text;
    const cwd = process.cwd();
    storeCompile(abs, Object.keys(result.metafile.inputs).map((f) => path.resolve(cwd, f)), code);
  } catch (e) {
    const detail = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors
      ?.map((x) => (x.location ? `${x.location.file}:${x.location.line}:${x.location.column}: ${x.text}` : x.text))
      .join('\n  ');
    throw new JobLoadError(`job file '${file}' does not compile:\n  ${detail ?? String(e)}`, { file: abs }, e);
  } finally {
    // esbuild keeps a service process (~12 MB) alive otherwise; stop it when no other compile runs.
    if (--active === 0) await stop();
  }
  return code;
}
