// Socket benchmarks side by side: native, tssc, proot (the host's own sockets, traced) and
// runsc (--platform=ptrace --network=none: gVisor's own loopback stack) run
// bench/netbench.c: request/response latency (one byte each way) and throughput (64 KiB
// writes; 16 KiB datagrams acknowledged every 8 for UDP) over an AF_UNIX socketpair, TCP
// and UDP on 127.0.0.1, inside the sandbox. Medians of N rounds, the sandboxes interleaved
// in each round so load on the shared machine hits them alike.
//
// usage: node bench/sockets.mjs [--rounds N] [--quick] [--only tssc,native] [--baseline DIR]... [--write docs/benchmarks.md]
//   --baseline DIR: another built checkout (an older commit), run as `tssc@DIR's name` beside this one
// needs: `npm run build`, gcc with static glibc; proot and runsc where installed (root for runsc).
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { measure, netTable, netbenchBundle } from './netbench-rounds.mjs';
import { loadAverage, writeMeasured } from './report.mjs';
import { sandboxes } from './sandboxes.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(benchDir, '..');
const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    baseline: { type: 'string', multiple: true, default: [] },
    write: { type: 'string' },
  },
});
const rounds = Number(options.rounds);
const scale = options.quick ? 0.1 : 1;
const count = (native, sandboxed) => (name) => String(Math.max(1, Math.round((name === 'native' ? native : sandboxed) * scale)));

/** Round trips for latency, MiB for throughput; sandboxes trap every call, so they do fewer. */
const WORKLOADS = [
  { name: 'AF_UNIX request/response', mode: 'unix-rr', unit: 'us', argv: count(100_000, 10_000) },
  { name: 'TCP 127.0.0.1 request/response', mode: 'tcp-rr', unit: 'us', argv: count(100_000, 10_000) },
  { name: 'UDP 127.0.0.1 request/response', mode: 'udp-rr', unit: 'us', argv: count(100_000, 10_000) },
  { name: 'AF_UNIX 64 KiB writes', mode: 'unix-stream', unit: 'MB/s', argv: count(2048, 256) },
  { name: 'TCP 127.0.0.1 64 KiB writes', mode: 'tcp-stream', unit: 'MB/s', argv: count(2048, 256) },
  { name: 'UDP 127.0.0.1 16 KiB datagrams', mode: 'udp-stream', unit: 'MB/s', argv: count(1024, 128) },
];

const work = mkdtempSync(path.join(os.tmpdir(), 'tssc-bench-sockets-'));
try {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const bundle = netbenchBundle(work);
  const only = options.only?.split(',');
  const baselines = options.baseline.map((dir) => path.resolve(dir));
  const active = sandboxes({ repo, stateDir: path.join(work, 'state'), baselines }).filter((s) => !only || only.includes(s.name));
  for (const s of active.filter((s) => s.unavailable)) console.error(`${s.name}: ${s.unavailable}`);
  const runnable = active.filter((s) => !s.unavailable);
  const { samples, errors } = measure({ workloads: WORKLOADS, runnable, bundle, rounds });
  const names = runnable.map((s) => s.name);
  const table = netTable(WORKLOADS, names, samples, names.filter((n) => n !== 'native' && n !== 'tssc'));
  console.log(table);
  for (const e of errors) console.log(`note: ${e}`);
  if (options.write) {
    writeMeasured({ repo, file: options.write, script: 'sockets.mjs', startedAt, rounds, loadBefore, table, notes: errors });
    console.error(`results written to ${options.write}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
