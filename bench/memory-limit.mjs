// linux.resources.memory.limit without cgroups, measured: how far a filler gets past the
// limit before the sentry's monitor stops it (a shared anonymous filler, which no rlimit
// bounds: the worst case), how a private one ends, how long a fork bomb of small fillers
// takes to be cut down to the limit, the sentry's own peak with tmpfs full, and what the
// monitor costs while many processes idle far from the limit.
//
// usage: node bench/memory-limit.mjs [--rounds N]
// needs: `npm run build`, gcc, busybox-static.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './report.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = path.join(repo, 'test', 'e2e', 'fixtures');
const { values: options } = parseArgs({ options: { rounds: { type: 'string', default: '5' } } });
const rounds = Number(options.rounds);
const MiB = 1 << 20;

const work = mkdtempSync(path.join(os.tmpdir(), 'tssc-bench-memlimit-'));
const rootfs = path.join(work, 'rootfs');
for (const sub of ['bin', 'tmp', 'proc', 'dev']) mkdirSync(path.join(rootfs, sub), { recursive: true });
chmodSync(path.join(rootfs, 'tmp'), 0o1777);
copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
for (const applet of ['sh', 'dd', 'tail', 'time', 'sleep', 'seq', 'rm', 'echo', 'wc']) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
execFileSync('gcc', ['-O2', '-static', '-o', path.join(rootfs, 'bin', 'memfill'), path.join(fixtures, 'memfill.c')]);
const maxrss = path.join(work, 'maxrss');
execFileSync('gcc', ['-O2', '-o', maxrss, path.join(fixtures, 'maxrss.c')]);

let runs = 0;
/** The script under limitMiB (none: no limit): its stdout and stderr, and the sentry's peak (KiB) and CPU (ms). */
function run(script, limitMiB) {
  const config = {
    ociVersion: '1.0.2',
    process: { user: { uid: 0, gid: 0 }, args: ['sh', '-c', script], env: ['PATH=/bin'], cwd: '/' },
    root: { path: 'rootfs' },
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs' },
    ],
    linux: { namespaces: [{ type: 'pid' }], resources: { pids: { limit: 256 }, ...(limitMiB ? { memory: { limit: limitMiB * MiB } } : {}) } },
  };
  writeFileSync(path.join(work, 'config.json'), JSON.stringify(config));
  const out = path.join(work, `usage-${runs}`);
  const result = spawnSync(maxrss, [out, process.execPath, path.join(repo, 'bin', 'tssc.js'), '--root', path.join(work, 'state'), 'run', '--bundle', work, `bench-${runs++}`], { encoding: 'utf8', timeout: 300_000 });
  const [peakKb, cpuMs] = readFileSync(out, 'utf8').trim().split(' ').map(Number);
  return { stdout: result.stdout, stderr: result.stderr, peakKb, cpuMs };
}

const rows = [];
const stat = (label, samples, unit) => rows.push([label, median(samples).toFixed(1), Math.max(...samples).toFixed(1), unit]);

for (const limit of [64, 512]) {
  const past = [];
  const peaks = [];
  for (let i = 0; i < rounds; i++) {
    const r = run(`memfill shared ${limit * 8} | tail -1`, limit);
    past.push(Number(r.stdout.trim()) - limit);
    peaks.push(r.peakKb / 1024);
  }
  stat(`shared anonymous filler under ${limit} MiB: MiB it held past the limit`, past, 'MiB');
  stat(`  the sentry's peak meanwhile`, peaks, 'MiB');
}
const endings = [];
for (let i = 0; i < rounds; i++) endings.push(run('memfill private 1024 | tail -1', 64).stdout.trim().replace(/^(\d+)$/, 'killed at $1 MiB'));
rows.push(['private anonymous filler under 64 MiB: how it ended', endings.join('; '), '', '']);

const settle = [];
for (let i = 0; i < rounds; i++) {
  const r = run('time memfill bomb 24 8 64', 64);
  const real = /real\s+(\d+)m ([\d.]+)s/.exec(r.stderr);
  settle.push(real ? (Number(real[1]) * 60 + Number(real[2])) * 1000 : NaN);
}
stat('fork bomb of 24 8-MiB fillers under 64 MiB: ms until the rest fit', settle, 'ms');

for (const limit of [64, 512]) {
  const peaks = [];
  const held = [];
  for (let i = 0; i < rounds; i++) {
    const r = run('dd if=/dev/zero of=/tmp/fill bs=1M count=4096 2>/dev/null; wc -c < /tmp/fill', limit);
    peaks.push(r.peakKb / 1024);
    held.push(Number(r.stdout) / MiB);
  }
  stat(`overlay (tmpfs-like) filler under ${limit} MiB: MiB written before ENOSPC`, held, 'MiB');
  stat(`  the sentry's peak`, peaks, 'MiB');
}

// 40 idle processes for 3 s: the sentry's CPU with the monitor (far from a 1 GiB limit) and without.
const idle = 'for i in $(seq 40); do sleep 3 & done; wait';
const withMonitor = [];
const without = [];
for (let i = 0; i < rounds; i++) {
  withMonitor.push(run(idle, 1024).cpuMs);
  without.push(run(idle, undefined).cpuMs);
}
stat('40 processes idle 3 s, 1 GiB limit: the sentry\'s CPU', withMonitor, 'ms');
stat('  the same without a limit (no monitor)', without, 'ms');

rmSync(work, { recursive: true, force: true });
console.log(`memory.limit, ${rounds} rounds (median, max), ${os.cpus().length} CPUs, load ${os.loadavg()[0].toFixed(1)}`);
for (const [label, med, max, unit] of rows) console.log(`${label.padEnd(78)} ${String(med).padStart(8)} ${String(max).padStart(8)} ${unit}`);
