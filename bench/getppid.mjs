// Trapped getppid under tssc against the C floor of one intercepted syscall
// (../shared/bench/traceloop.c: a minimal C ptrace tracer) and native, measured in the
// same run, alternating so machine load hits all of them alike.
// usage: node bench/getppid.mjs [calls] [rounds]   (after `npm run build`; needs gcc)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sharedBench = path.resolve(repo, '..', 'shared', 'bench');
const calls = Number(process.argv[2] ?? 100_000);
const rounds = Number(process.argv[3] ?? 3);

const work = mkdtempSync(path.join(tmpdir(), 'tssc-bench-'));
try {
  const traceloop = path.join(work, 'traceloop');
  const sysbench = path.join(work, 'sysbench');
  execFileSync('gcc', ['-O2', '-o', traceloop, path.join(sharedBench, 'traceloop.c')]);
  execFileSync('gcc', ['-O2', '-static', '-o', sysbench, path.join(sharedBench, 'sysbench.c')]);
  const bundle = path.join(work, 'bundle');
  mkdirSync(path.join(bundle, 'rootfs'), { recursive: true });
  copyFileSync(sysbench, path.join(bundle, 'rootfs', 'sysbench'));
  writeFileSync(
    path.join(bundle, 'config.json'),
    JSON.stringify({
      ociVersion: '1.0.2',
      process: { user: { uid: 0, gid: 0 }, args: ['/sysbench', 'getppid', String(calls)], env: ['PATH=/'], cwd: '/' },
      root: { path: 'rootfs', readonly: true },
    }),
  );
  const tssc = path.join(repo, 'bin', 'tssc.js');
  if (!existsSync(path.join(repo, 'dist', 'cli', 'main.js'))) throw new Error('run `npm run build` first');
  const stateRoot = path.join(work, 'state');

  /** ns per call from a line ending in "<ns> ns/op ..." or "getppid N <ns>". */
  const nsPerCall = (output, pattern) => Number(pattern.exec(output)?.[1] ?? NaN);
  const results = { native: [], floor: [], tssc: [] };
  for (let round = 0; round < rounds; round++) {
    results.native.push(nsPerCall(execFileSync(sysbench, ['getppid', String(calls * 10)], { encoding: 'utf8' }), /getppid \d+ ([\d.]+)/));
    results.floor.push(nsPerCall(execFileSync(traceloop, ['ptrace', String(calls)], { encoding: 'utf8' }), /ptrace \d+ ([\d.]+) ns\/op/));
    const out = execFileSync('node', [tssc, '--root', stateRoot, 'run', '--bundle', bundle, `bench-${process.pid}-${round}`], { encoding: 'utf8' });
    results.tssc.push(nsPerCall(out, /getppid \d+ ([\d.]+)/));
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const us = (ns) => `${(ns / 1000).toFixed(2)} us`;
  const [native, floor, sentry] = [median(results.native), median(results.floor), median(results.tssc)];
  console.log(`getppid, ${calls} calls x ${rounds} rounds (median per call)`);
  console.log(`  native              ${us(native)}`);
  console.log(`  C ptrace floor      ${us(floor)}   (each round: ${results.floor.map(us).join(', ')})`);
  console.log(`  tssc (sentry)       ${us(sentry)}   (each round: ${results.tssc.map(us).join(', ')})`);
  console.log(`  tssc / C floor      ${(sentry / floor).toFixed(2)}x`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
