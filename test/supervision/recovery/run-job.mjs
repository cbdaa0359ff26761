// Runs one job in a child process, so a test can read the coordinator's logs
// (pino writes them synchronously to fd 2, out of reach of an in-process spy):
//   node run-job.mjs <job module> '<RunOptions as JSON>'
// Prints one JSON line on stdout: the result summary, or { ok: false, code, message }.
import { run } from 'weir';

const [job, json] = process.argv.slice(2);
try {
  const r = await run(job, JSON.parse(json ?? '{}')).done;
  const { restarts, resumedFrom, checkpoint, checkpoints, stopped } = r;
  process.stdout.write(`${JSON.stringify({ ok: true, restarts, resumedFrom, checkpoint, checkpoints, stopped })}\n`);
} catch (e) {
  process.stdout.write(`${JSON.stringify({ ok: false, code: e?.code, message: e?.message })}\n`);
  process.exitCode = 1;
}
