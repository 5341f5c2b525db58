// The long run of the syscall fuzzer (test/e2e/fuzz.test.ts runs a fixed budget in CI):
// seed after seed for --minutes, each judged by test/fixtures/fuzz-harness.mjs (the sentry
// ends with the workload's status, reports no internal error, leaves no process behind,
// changes no host file). A failing seed is printed with what went wrong and how to replay
// it; the exit status is 1 if any failed.
//
// usage: node bench/fuzz.mjs [--minutes 10] [--seed FIRST] [--runs N] [--calls 3000]
//                            [--processes 3] [--threads 3] [--as-user UID]
// needs: `npm run build`, gcc, busybox-static; --as-user needs root and setpriv.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prepareFuzzBundle, runFuzz } from '../test/fixtures/fuzz-harness.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    seed: { type: 'string', default: String(Date.now() % 1_000_000) },
    runs: { type: 'string' },
    calls: { type: 'string', default: '3000' },
    processes: { type: 'string', default: '3' },
    threads: { type: 'string', default: '3' },
    'as-user': { type: 'string' },
  },
});
const deadline = Date.now() + Number(values.minutes) * 60_000;
const runs = values.runs === undefined ? Infinity : Number(values.runs);
const asUser = values['as-user'] === undefined ? undefined : Number(values['as-user']);

const dir = mkdtempSync(path.join(os.tmpdir(), 'tssc-fuzz-'));
execFileSync('chmod', ['755', dir]);
prepareFuzzBundle(dir);
let tssc = path.join(repo, 'bin', 'tssc.js');
if (asUser !== undefined) {
  // Another user runs a world-readable copy of the build.
  const copy = path.join(dir, 'tssc');
  for (const part of ['bin', 'dist', 'package.json', 'node_modules', 'native/ptrace/build/Release']) {
    if (existsSync(path.join(repo, part))) cpSync(path.join(repo, part), path.join(copy, part), { recursive: true, dereference: true });
  }
  execFileSync('chmod', ['-R', 'a+rX', copy]);
  tssc = path.join(copy, 'bin', 'tssc.js');
  mkdirSync(path.join(dir, 'states'), { mode: 0o1777 });
  execFileSync('chmod', ['1777', path.join(dir, 'states')]);
}

const options = { calls: Number(values.calls), processes: Number(values.processes), threads: Number(values.threads) };
let done = 0;
const failed = [];
for (let seed = Number(values.seed); done < runs && Date.now() < deadline; seed++, done++) {
  const stateDir = asUser === undefined ? undefined : path.join(dir, 'states', String(seed));
  const result = runFuzz(dir, { tssc, seed, asUser, stateDir, ...options });
  if (result.problems.length === 0) {
    process.stdout.write(`seed ${seed}: held (${result.summary})\n`);
    continue;
  }
  failed.push(seed);
  process.stdout.write(`seed ${seed}: FAILED\n  ${result.problems.join('\n  ')}\n  stderr (end): ${result.stderr.slice(-1500).replace(/\n/g, '\n    ')}\n`);
  process.stdout.write(`  replay: node bench/fuzz.mjs --seed ${seed} --runs 1 --calls ${options.calls} --processes ${options.processes} --threads ${options.threads}${asUser === undefined ? '' : ` --as-user ${asUser}`}\n`);
}
process.stdout.write(`${done} runs, ${failed.length} failed${failed.length ? `: seeds ${failed.join(' ')}` : ''}\n`);
rmSync(dir, { recursive: true, force: true });
process.exit(failed.length ? 1 : 0);
