// What bench/sockets.mjs and bench/bridge.mjs share: a bundle with bench/netbench.c built
// static, rounds of its workloads with the sandboxes interleaved in each round (so load on
// the shared machine hits them alike), and the table of medians.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, pipeTable } from './report.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));

/**
 * A workload: mode is netbench's first argument, unit 'us' (per round trip) or 'MB/s'.
 * @typedef {{name: string, mode: string, unit: 'us'|'MB/s', argv(sandbox: string): string}} NetWorkload
 */

/** A bundle below work whose rootfs holds /netbench. */
export function netbenchBundle(work) {
  const rootfs = path.join(work, 'bundle', 'rootfs');
  for (const sub of ['proc', 'dev', 'tmp']) mkdirSync(path.join(rootfs, sub), { recursive: true });
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  execFileSync('gcc', ['-O2', '-static', '-o', path.join(rootfs, 'netbench'), path.join(benchDir, 'netbench.c')]);
  return { dir: path.join(work, 'bundle'), rootfs };
}

/** netbench prints "MODE N NS": ns per round trip, or per 64 KiB write. */
function value(workload, stdout) {
  const ns = Number(/^\S+ \d+ ([\d.]+)/m.exec(stdout)?.[1]);
  return workload.unit === 'us' ? ns / 1000 : 65536e3 / ns;
}

/** rounds of every workload under every sandbox (extra: netbench's arguments after N); samples per workload and sandbox, and the failures. */
export function measure({ workloads, runnable, bundle, rounds, extra = [] }) {
  const samples = workloads.map(() => Object.fromEntries(runnable.map((s) => [s.name, []])));
  const errors = [];
  for (let round = 0; round < rounds; round++) {
    workloads.forEach((w, i) => {
      for (const s of runnable) {
        const outcome = s.run(bundle, ['/netbench', w.mode, w.argv(s.name), ...extra]);
        const v = value(w, outcome.stdout);
        if (outcome.error || Number.isNaN(v)) errors.push(`${w.name} under ${s.name}, round ${round + 1}: ${outcome.error ?? outcome.stdout.trim()}`);
        else samples[i][s.name].push(v);
      }
    });
    console.error(`round ${round + 1}/${rounds} done (load ${os.loadavg()[0].toFixed(2)})`);
  }
  return { samples, errors };
}

/** The medians of each sandbox, then tssc against each of others ("tssc/NAME"). */
export function netTable(workloads, names, samples, others) {
  const cell = (xs, unit) => (xs.length ? median(xs).toFixed(unit === 'us' ? 1 : 0) : 'fails');
  const header = ['workload', 'unit', ...names, ...others.map((n) => `tssc/${n}`)];
  const rows = workloads.map((w, i) => {
    const ratio = (other) => {
      const a = samples[i].tssc ?? [];
      const b = samples[i][other];
      if (!a.length || !b.length) return '—';
      // "Ahead" reads the same way for both units: below 1 is better for latency, above 1 for throughput.
      return `${(median(a) / median(b)).toFixed(2)}x`;
    };
    return [w.name, w.unit === 'us' ? 'us/round trip' : 'MB/s', ...names.map((n) => cell(samples[i][n], w.unit)), ...others.map(ratio)];
  });
  return pipeTable(header, rows);
}
