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
import { existsSync, rmSync, writeFileSync } from 'node:fs';
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
  return { url: pathToFileURL(out).href, cleanup: () => rmSync(out, { force: true }) };
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
