// Socket benchmarks side by side: native, tssc and runsc (--platform=ptrace
// --network=none: gVisor's own loopback stack) run bench/netbench.c: request/response
// latency (one byte each way) and throughput (64 KiB writes) over an AF_UNIX socketpair
// and over TCP on 127.0.0.1, inside the sandbox. Medians of N rounds, the sandboxes
// interleaved in each round so load on the shared machine hits them alike.
//
// usage: node bench/sockets.mjs [--rounds N] [--quick] [--only tssc,native] [--write docs/benchmarks.md]
// needs: `npm run build`, gcc with static glibc; runsc where installed (and root for it).
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median, writeResults } from './report.mjs';
import { sandboxes } from './sandboxes.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(benchDir, '..');
const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    write: { type: 'string' },
  },
});
const rounds = Number(options.rounds);
const scale = options.quick ? 0.1 : 1;
const count = (native, sandboxed) => (name) => String(Math.max(1, Math.round((name === 'native' ? native : sandboxed) * scale)));

/** Round trips for latency, MiB for throughput; sandboxes trap every call, so they do fewer. */
const WORKLOADS = [
  { name: 'AF_UNIX request/response', mode: 'unix-rr', unit: 'us', argv: count(100_000, 2_000) },
  { name: 'TCP 127.0.0.1 request/response', mode: 'tcp-rr', unit: 'us', argv: count(100_000, 2_000) },
  { name: 'AF_UNIX 64 KiB writes', mode: 'unix-stream', unit: 'MB/s', argv: count(2048, 64) },
  { name: 'TCP 127.0.0.1 64 KiB writes', mode: 'tcp-stream', unit: 'MB/s', argv: count(2048, 64) },
];

/** netbench prints "MODE N NS": ns per round trip, or per 64 KiB write. */
function value(workload, stdout) {
  const ns = Number(/^\S+ \d+ ([\d.]+)/m.exec(stdout)?.[1]);
  return workload.unit === 'us' ? ns / 1000 : 65536e3 / ns;
}

const work = mkdtempSync(path.join(os.tmpdir(), 'tssc-bench-sockets-'));
try {
  const startedAt = new Date();
  const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  const rootfs = path.join(work, 'bundle', 'rootfs');
  for (const sub of ['proc', 'dev', 'tmp']) mkdirSync(path.join(rootfs, sub), { recursive: true });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  execFileSync('gcc', ['-O2', '-static', '-o', path.join(rootfs, 'netbench'), path.join(benchDir, 'netbench.c')]);
  const bundle = { dir: path.join(work, 'bundle'), rootfs };
  const only = options.only?.split(',');
  const active = sandboxes({ repo, stateDir: path.join(work, 'state') }).filter((s) => s.name !== 'proot' && (!only || only.includes(s.name)));
  for (const s of active.filter((s) => s.unavailable)) console.error(`${s.name}: ${s.unavailable}`);
  const runnable = active.filter((s) => !s.unavailable);
  const samples = WORKLOADS.map(() => Object.fromEntries(runnable.map((s) => [s.name, []])));
  const errors = [];
  for (let round = 0; round < rounds; round++) {
    WORKLOADS.forEach((w, i) => {
      for (const s of runnable) {
        const outcome = s.run(bundle, ['/netbench', w.mode, w.argv(s.name)]);
        const v = value(w, outcome.stdout);
        if (outcome.error || Number.isNaN(v)) errors.push(`${w.name} under ${s.name}, round ${round + 1}: ${outcome.error ?? outcome.stdout.trim()}`);
        else samples[i][s.name].push(v);
      }
    });
    console.error(`round ${round + 1}/${rounds} done (load ${os.loadavg()[0].toFixed(2)})`);
  }
  const names = runnable.map((s) => s.name);
  const sandboxed = names.filter((n) => n !== 'native');
  const cell = (xs, unit) => (xs.length ? median(xs).toFixed(unit === 'us' ? 1 : 0) : 'fails');
  const header = ['workload', 'unit', ...names, ...sandboxed.filter((n) => n !== 'tssc').map((n) => `tssc/${n}`)];
  const rows = WORKLOADS.map((w, i) => {
    const ratio = (other) => {
      const a = samples[i].tssc ?? [];
      const b = samples[i][other];
      if (!a.length || !b.length) return '—';
      // "Ahead" reads the same way for both units: below 1 is better for latency, above 1 for throughput.
      return `${(median(a) / median(b)).toFixed(2)}x`;
    };
    return [w.name, w.unit === 'us' ? 'us/round trip' : 'MB/s', ...names.map((n) => cell(samples[i][n], w.unit)), ...sandboxed.filter((n) => n !== 'tssc').map(ratio)];
  });
  const table = [header, header.map((_, i) => (i < 2 ? '---' : '---:')), ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
  const loadAfter = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(table);
  for (const e of errors) console.log(`note: ${e}`);
  if (options.write) {
    const command = `node bench/sockets.mjs ${process.argv.slice(2).join(' ')}`.trim();
    const tssc = execFileSync('git', ['-C', repo, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
    const markdown = [
      `Measured ${startedAt.toISOString()} with \`${command}\` (median of ${rounds} round${rounds === 1 ? '' : 's'}).`,
      '',
      `- machine: ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown cpu'}, ${os.type()} ${os.release()}, node ${process.version}`,
      `- tssc at commit ${tssc}; load average before: ${loadBefore}; after: ${loadAfter}`,
      '',
      table,
      '',
      ...errors.map((e) => `- ${e}`),
    ].join('\n');
    writeResults(path.resolve(repo, options.write), markdown, 'sockets.mjs');
    console.error(`results written to ${options.write}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
