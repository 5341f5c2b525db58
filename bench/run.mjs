// Side-by-side benchmarks in one run: native, tssc, proot and runsc (--platform=ptrace) on
// the same static binaries (../shared/bench/sysbench.c, bench/mmapfile.c), a busybox shell
// workload, `python3 -c pass` and sandbox startup, next to the C floor of one intercepted
// syscall (../shared/bench/traceloop.c). Medians of N rounds, sandboxes interleaved inside
// each round so that load on the (shared) machine hits them alike.
//
// usage: node bench/run.mjs [--rounds N] [--quick] [--only tssc,native] [--workloads getppid,open]
//                           [--baseline DIR]... [--shared-bench DIR] [--write docs/benchmarks.md]
//   --baseline DIR: another built checkout (an older commit), run as `tssc@DIR's name` beside this one
// needs: `npm run build`, gcc, busybox-static; proot and runsc where installed; root for runsc.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pythonBundle, staticBundle } from './bundles.mjs';
import { errorNotes, markdownTable, median, textTable, writeResults } from './report.mjs';
import { sandboxes } from './sandboxes.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(benchDir, '..');

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    workloads: { type: 'string' },
    write: { type: 'string' },
    baseline: { type: 'string', multiple: true, default: [] },
    // ../shared/bench beside the checkout (sysbench.c, traceloop.c); a worktree elsewhere names it.
    'shared-bench': { type: 'string', default: path.resolve(repo, '..', 'shared', 'bench') },
  },
});
const rounds = Number(options.rounds);
const sharedBench = path.resolve(options['shared-bench']);
// Iterations per run: sandboxed runs trap every call, so they get fewer than native.
const scale = options.quick ? 0.1 : 1;
const iterations = (native, sandboxed) => (name) => Math.max(1, Math.round((name === 'native' ? native : sandboxed) * scale));

// Forks (command substitution, pipes), execs of applets and file writes: a build script's shape.
const SHELL_WORKLOAD = [
  'dir=$1; i=0',
  'while [ $i -lt 100 ]; do',
  '  echo "line $i" > $dir/f$i',
  '  n=$(cat $dir/f$i | wc -c)',
  '  i=$((i + 1))',
  'done',
  'rm $dir/f*',
].join('\n');

/**
 * needs: what a sandbox must support beyond static programs; a failure there reads "unsupported yet".
 * @typedef {{name: string, unit: 'us/op'|'ms/run', bundle: 'static'|'python', needs?: string, argv(sandbox: string): string[]}} Workload
 */
/** @type {Workload[]} */
const ALL_WORKLOADS = [
  ...[
    ['getppid', 2_000_000, 20_000, []],
    ['open', 200_000, 5_000, ['/bin/busybox']],
    ['stat', 200_000, 5_000, ['/bin/busybox']],
    ['read', 200_000, 5_000, ['/bin/busybox']],
    ['write', 200_000, 5_000, []],
    ['pipe', 50_000, 2_000, []],
    ['forkexec', 500, 50, ['/bin/sh']],
  ].map(([op, nativeN, sandboxN, extra]) => ({
    name: op,
    unit: 'us/op',
    bundle: 'static',
    argv: (sandbox) => ['/sysbench', op, String(iterations(nativeN, sandboxN)(sandbox)), ...extra],
  })),
  { name: 'mmapfile', unit: 'us/op', bundle: 'static', needs: 'file-backed mmap', argv: (s) => ['/mmapfile', String(iterations(200_000, 2_000)(s)), '/bin/busybox'] },
  { name: 'mmapfile shared', unit: 'us/op', bundle: 'static', needs: 'MAP_SHARED file mmap', argv: (s) => ['/mmapfile', String(iterations(200_000, 2_000)(s)), '/tmp/mmapshared.dat', 'shared'] },
  { name: 'shell workload', unit: 'ms/run', bundle: 'static', argv: () => ['/bin/sh', '-c', SHELL_WORKLOAD, 'sh', '/tmp'] },
  { name: 'python3 -c pass', unit: 'ms/run', bundle: 'python', needs: 'dynamic ELF loading', argv: () => ['/usr/bin/python3', '-c', 'pass'] },
  { name: 'startup (/bin/true)', unit: 'ms/run', bundle: 'static', argv: () => ['/bin/true'] },
];
const chosenWorkloads = options.workloads?.split(',');
const WORKLOADS = ALL_WORKLOADS.filter((w) => !chosenWorkloads || chosenWorkloads.includes(w.name));

/** ns per op from sysbench's "MODE N NS" line, or the wall time of the whole run in ms. */
function metric(workload, outcome) {
  if (workload.unit === 'ms/run') return outcome.ms;
  const match = /^\S+ \d+ ([\d.]+)/m.exec(outcome.stdout);
  return match ? Number(match[1]) : NaN;
}

function machine() {
  const first = (cmd, args) => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0].trim();
    } catch (error) {
      return `unavailable (${error.message.split('\n')[0]})`;
    }
  };
  return {
    cpus: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown cpu'}`,
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    proot: first('sh', ['-c', 'proot --version 2>&1 | grep -om1 "[0-9][0-9.]*$"']),
    runsc: first('runsc', ['--version']),
    tssc: first('git', ['-C', repo, 'log', '-1', '--format=%h %s']),
  };
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');

const work = mkdtempSync(path.join(os.tmpdir(), 'tssc-bench-'));
try {
  const startedAt = new Date();
  const loadBefore = load();
  const staticB = staticBundle(work, sharedBench, benchDir);
  const bundles = { static: staticB, python: WORKLOADS.some((w) => w.bundle === 'python') ? await pythonBundle(work, repo) : undefined };
  const traceloop = path.join(work, 'traceloop');
  execFileSync('gcc', ['-O2', '-o', traceloop, path.join(sharedBench, 'traceloop.c')]);

  const all = sandboxes({ repo, stateDir: path.join(work, 'state'), baselines: options.baseline.map((dir) => path.resolve(dir)) });
  const only = options.only?.split(',');
  const chosen = all.filter((s) => !only || only.includes(s.name));
  for (const s of chosen.filter((s) => s.unavailable)) console.error(`${s.name}: ${s.unavailable}`);
  const active = chosen.filter((s) => !s.unavailable);

  const results = WORKLOADS.map((w) => ({ name: w.name, unit: w.unit, cells: {} }));
  // A checked first run of every pair: a failure is recorded with its error and not retried.
  WORKLOADS.forEach((w, i) => {
    for (const s of active) {
      const outcome = s.run(bundles[w.bundle], w.argv(s.name));
      const value = metric(w, outcome);
      const error = outcome.error ?? (Number.isNaN(value) ? `no result in output: ${outcome.stdout.trim().slice(0, 120)}` : undefined);
      results[i].cells[s.name] = error === undefined ? { samples: [] } : { error: w.needs ? `unsupported yet (${w.needs}): ${error}` : error };
      console.error(`check ${w.name} ${s.name}: ${error ?? 'ok'}`);
    }
  });

  const floor = { ptrace: [], notif: [] };
  for (let round = 0; round < rounds; round++) {
    for (const mode of ['ptrace', 'notif']) {
      const out = execFileSync(traceloop, [mode, String(Math.round(100_000 * scale))], { encoding: 'utf8' });
      floor[mode].push(Number(/ ([\d.]+) ns\/op/.exec(out)?.[1]));
    }
    WORKLOADS.forEach((w, i) => {
      for (const s of active) {
        const cell = results[i].cells[s.name];
        if (cell.error !== undefined) continue;
        const outcome = s.run(bundles[w.bundle], w.argv(s.name));
        // A run that fails after a good check is kept as a failure next to the good samples.
        if (outcome.error) cell.failures = [...(cell.failures ?? []), `round ${round + 1}: ${outcome.error}`];
        else cell.samples.push(metric(w, outcome));
      }
    });
    console.error(`round ${round + 1}/${rounds} done (load ${load()})`);
  }

  const floorNs = median(floor.ptrace);
  const names = active.map((s) => s.name);
  const info = machine();
  const loadAfter = load();
  console.log(textTable(results, names, floorNs));
  console.log(`\nC floor (traceloop.c): ptrace ${(floorNs / 1000).toFixed(2)} us/trap, seccomp user_notif ${(median(floor.notif) / 1000).toFixed(2)} us/trap`);
  for (const note of errorNotes(results)) console.log(`note: ${note}`);
  console.log(`load average before ${loadBefore}, after ${loadAfter}; ${info.cpus}; ${info.kernel}`);

  if (options.write) {
    const command = `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim();
    const markdown = [
      `Measured ${startedAt.toISOString()} with \`${command}\` (median of ${rounds} round${rounds === 1 ? "" : "s"}).`,
      '',
      `- machine: ${info.cpus}, ${info.kernel}, node ${info.node}`,
      `- tssc at commit ${info.tssc}`,
      `- load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}`,
      `- proot: ${info.proot}; runsc: ${info.runsc} (\`--platform=ptrace --network=none\`)`,
      `- C floor (../shared/bench/traceloop.c): ptrace ${(floorNs / 1000).toFixed(2)} us per trapped getppid, seccomp user_notif ${(median(floor.notif) / 1000).toFixed(2)} us`,
      '',
      markdownTable(results, names, floorNs),
      '',
      ...errorNotes(results).map((note) => `- ${note.replace(/\|/g, '\\|')}`),
    ].join('\n');
    writeResults(path.resolve(repo, options.write), markdown);
    console.error(`results written to ${options.write}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
