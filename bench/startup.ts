/**
 * Benchmark 3: startup and idle memory of the CLI, each against a floor peer
 * run alternately in the same session.
 *
 * - Startup: spawn `node dist/bundle/cli.js run examples/real-time-processing.ts --workers 2`
 *   and time spawn -> first complete stdout line (the first record out).
 *   Floor peer: `node -e 0`, spawn -> exit (a Node process that does nothing).
 * - Idle RSS: spawn the CLI on bench/jobs/idle.ts (unbounded generator at
 *   10 records/s, `--workers 2 --parallelism 2`), wait for its first line,
 *   then IDLE_MS more, and read VmRSS (and VmHWM, the peak) of the process
 *   from /proc/<pid>/status; the process holds the coordinator and both
 *   worker threads. Then SIGTERM must drain it to a clean exit.
 *   Peers, measured the same way: an idle `node` process (floor), and a node
 *   process with two idle worker_threads (the cost of the threads alone).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { endChild, median, memoryOf, round, ROOT, sleep, timeChild } from './lib/util.js';

// The `weir` executable users run (package.json bin): the bundled CLI, which starts the worker
// threads before it loads the rest of weir. dist/runtime/cli/main.js (tsc's output, ~100 modules,
// no early worker start) measured a path no user takes, ~20% slower to start.
const CLI = path.join(ROOT, 'dist', 'bundle', 'cli.js');
const NODE = process.execPath;
export const IDLE_MS = 2000;

/**
 * A CLI with checkpointing keeps job state (default `file:.weir/state`) and
 * resumes a rerun of the same job from it. To keep repetitions independent
 * and the repository clean, every CLI run gets its own fresh state
 * directory (still the file backend, the CLI's default kind); a CLI without
 * `--state` gets no extra argument.
 */
class StateDirs {
  private root: string | undefined;
  private n = 0;
  private readonly supported: boolean;
  constructor() {
    const help = spawnSync(NODE, [CLI, 'run', '--help'], { cwd: ROOT, encoding: 'utf8' });
    this.supported = `${help.stdout}`.includes('--state');
  }
  args(): string[] {
    if (!this.supported) return [];
    this.root ??= mkdtempSync(path.join(os.tmpdir(), 'weir-bench-state-'));
    return ['--state', `file:${path.join(this.root, String(this.n++))}`];
  }
  get note(): string {
    return this.supported ? 'each CLI run used a fresh file: state directory (--state)' : 'CLI has no --state option';
  }
  cleanup(): void {
    if (this.root) rmSync(this.root, { recursive: true, force: true });
  }
}

export interface StartupResult {
  repetitions: number;
  weirFirstRecordMs: number[];
  weirMedianMs: number;
  nodeFloorMs: number[];
  nodeFloorMedianMs: number;
  /** weir startup minus the floor: what weir itself costs. */
  overFloorMs: number;
  stateNote: string;
}

export async function benchStartup(reps: number, log: (s: string) => void): Promise<StartupResult> {
  const state = new StateDirs();
  const cliArgs = (): string[] => [CLI, 'run', 'examples/real-time-processing.ts', '--workers', '2', ...state.args()];
  try {
    // Warm the OS file cache once for both (discarded).
    await timeChild(NODE, ['-e', '0'], { cwd: ROOT });
    await checkedCli(cliArgs());
    const weir: number[] = [];
    const floor: number[] = [];
    for (let r = 0; r < reps; r++) {
      const one = async () => weir.push((await checkedCli(cliArgs())).firstLineMs);
      const two = async () => floor.push((await timeChild(NODE, ['-e', '0'], { cwd: ROOT })).exitMs);
      if (r % 2 === 0) {
        await one();
        await two();
      } else {
        await two();
        await one();
      }
      log(`  rep ${r + 1}/${reps}: weir first record ${weir[r].toFixed(0)} ms, node -e 0 ${floor[r].toFixed(0)} ms`);
    }
    const weirMedianMs = round(median(weir), 1);
    const nodeFloorMedianMs = round(median(floor), 1);
    return {
      repetitions: reps,
      weirFirstRecordMs: weir.map((x) => round(x, 1)),
      weirMedianMs,
      nodeFloorMs: floor.map((x) => round(x, 1)),
      nodeFloorMedianMs,
      overFloorMs: round(weirMedianMs - nodeFloorMedianMs, 1),
      stateNote: state.note,
    };
  } finally {
    state.cleanup();
  }
}

async function checkedCli(args: string[]) {
  const r = await timeChild(NODE, args, { cwd: ROOT });
  if (r.code !== 0 || Number.isNaN(r.firstLineMs)) throw new Error(`weir CLI exited with ${r.code ?? r.signal} (first line: ${r.firstLineMs} ms)\n${r.stderr}`);
  return r;
}

export interface MemorySample {
  /** VmRSS of the process (coordinator + worker threads). */
  rssMB: number;
  /** VmHWM: its peak RSS so far. */
  hwmMB: number;
  /** VmRSS of its child processes (not part of rssMB), and what they are. */
  childrenRssMB: number;
  children: string[];
}

export interface MemoryResult {
  repetitions: number;
  idleMs: number;
  weir: MemorySample[];
  weirMedianRssMB: number;
  weirMedianHwmMB: number;
  /** RSS of weir's child processes (e.g. esbuild's service), not counted in the target. */
  weirMedianChildrenRssMB: number;
  /** Did SIGTERM drain the job to exit code 0 each time? */
  drainedCleanly: boolean;
  drainNotes: string[];
  stateNote: string;
  nodeFloor: MemorySample[];
  nodeFloorMedianRssMB: number;
  twoThreads: MemorySample[];
  twoThreadsMedianRssMB: number;
}

const FLOOR_SCRIPT = "setInterval(() => {}, 1000); console.log('ready');";
const TWO_THREADS_SCRIPT =
  "const { Worker } = require('node:worker_threads'); let n = 0;" +
  "for (let i = 0; i < 2; i++) new Worker('setInterval(() => {}, 1000)', { eval: true }).on('online', () => { if (++n === 2) console.log('ready'); });";

/** Spawn, wait for the first stdout line + IDLE_MS, read memory, end with SIGTERM. */
async function idleMemory(args: string[], env?: NodeJS.ProcessEnv): Promise<{ mem: MemorySample; code: number | null; signal: string | null; killed: boolean; stderr: string }> {
  let mem: MemorySample | undefined;
  let killed = false;
  const r = await timeChild(NODE, args, {
    cwd: ROOT,
    env: env ?? process.env,
    timeoutMs: IDLE_MS + 20000,
    whileRunning: async (pid) => {
      await sleep(IDLE_MS);
      const m = memoryOf(pid);
      mem = { rssMB: round(m.rssMB, 1), hwmMB: round(m.hwmMB, 1), childrenRssMB: round(m.childrenRssMB, 1), children: m.children };
      killed = await endChild(pid, 5000);
    },
  });
  if (!mem) throw new Error(`'node ${args.join(' ')}' ended before it printed a line (exit ${r.code ?? r.signal})\n${r.stderr}`);
  return { mem, code: r.code, signal: r.signal, killed, stderr: r.stderr };
}

export async function benchIdleMemory(reps: number, log: (s: string) => void): Promise<MemoryResult> {
  const env = { ...process.env, WEIR_BENCH_RATE: '10' };
  const state = new StateDirs();
  const weirArgs = (): string[] => [CLI, 'run', 'bench/jobs/idle.ts', '--workers', '2', '--parallelism', '2', ...state.args()];
  try {
    const weir: MemorySample[] = [];
    const floor: MemorySample[] = [];
    const two: MemorySample[] = [];
    const notes: string[] = [];
    let clean = true;
    for (let r = 0; r < reps; r++) {
      const w = await idleMemory(weirArgs(), env);
      weir.push(w.mem);
      if (w.killed || w.code !== 0) {
        clean = false;
        notes.push(`rep ${r + 1}: after SIGTERM exit ${w.code ?? w.signal}${w.killed ? ' (needed SIGKILL after 5 s)' : ''}${w.stderr ? `; stderr: ${w.stderr.trim().slice(0, 300)}` : ''}`);
      }
      floor.push((await idleMemory(['-e', FLOOR_SCRIPT])).mem);
      two.push((await idleMemory(['-e', TWO_THREADS_SCRIPT])).mem);
      log(`  rep ${r + 1}/${reps}: weir RSS ${w.mem.rssMB} MB (peak ${w.mem.hwmMB}, child processes ${w.mem.childrenRssMB}), node ${floor[r].rssMB} MB, node + 2 threads ${two[r].rssMB} MB`);
    }
    return {
      repetitions: reps,
      idleMs: IDLE_MS,
      weir,
      weirMedianRssMB: round(median(weir.map((m) => m.rssMB)), 1),
      weirMedianHwmMB: round(median(weir.map((m) => m.hwmMB)), 1),
      weirMedianChildrenRssMB: round(median(weir.map((m) => m.childrenRssMB)), 1),
      drainedCleanly: clean,
      drainNotes: notes,
      stateNote: state.note,
      nodeFloor: floor,
      nodeFloorMedianRssMB: round(median(floor.map((m) => m.rssMB)), 1),
      twoThreads: two,
      twoThreadsMedianRssMB: round(median(two.map((m) => m.rssMB)), 1),
    };
  } finally {
    state.cleanup();
  }
}
