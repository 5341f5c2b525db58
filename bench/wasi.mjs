// WASI benchmarks: a compute-bound and a syscall-bound program, native vs node:wasi vs
// tssc (WasmSandbox over the VFS), timed by hyperfine; prints the ratios to native.
// Needs clang-14/wasi-libc, gcc, hyperfine, and `npm run build:ts`.
// Usage: node bench/wasi.mjs [runs]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const runs = process.argv[2] ?? '5';
// On tmpfs when there is one, so the native and node:wasi file operations measure system
// calls rather than the host disk (tssc's writes land in its in-memory overlay layer).
const scratch = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
const work = fs.mkdtempSync(path.join(scratch, 'tssc-wasi-bench-'));
const bundle = path.join(work, 'bundle');
const rootfs = path.join(bundle, 'rootfs');
fs.mkdirSync(path.join(rootfs, 'work'), { recursive: true });
fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });

const results = [];
for (const name of ['wasi-compute', 'wasi-syscalls']) {
  const source = path.join(here, `${name}.c`);
  const native = path.join(work, `${name}.native`);
  const wasm = path.join(rootfs, 'bin', `${name}.wasm`);
  execFileSync('gcc', ['-O2', '-o', native, source]);
  execFileSync('clang-14', ['--target=wasm32-wasi', '-O2', '-o', wasm, source]);
  const commands = {
    native: `cd ${rootfs} && ${native}`,
    'node:wasi': `node --no-warnings ${here}/wasi-run-nodewasi.mjs ${rootfs} ${wasm}`,
    tssc: `node ${here}/wasi-run-tssc.mjs ${bundle} /bin/${name}.wasm`,
  };
  // One plain run of each first: a failure shows its stderr instead of hyperfine's exit code.
  for (const [label, command] of Object.entries(commands)) {
    const output = execFileSync('sh', ['-c', command], { encoding: 'utf8' }).trim();
    console.error(`${name} ${label}: ${output}`);
  }
  const json = path.join(work, `${name}.json`);
  execFileSync('hyperfine', [
    '--warmup', '1', '--runs', runs, '--export-json', json, '--style', 'none',
    ...Object.entries(commands).flatMap(([label, command]) => ['-n', label, command]),
  ], { stdio: ['ignore', 'ignore', 'inherit'] });
  const timings = Object.fromEntries(JSON.parse(fs.readFileSync(json, 'utf8')).results.map((r) => [r.command, r.median]));
  results.push({ name, ...timings });
}

console.log('program         native(s)  node:wasi(s)  tssc(s)  node:wasi/native  tssc/native  tssc/node:wasi');
for (const r of results) {
  const f = (x) => x.toFixed(3).padStart(9);
  const q = (x) => `${x.toFixed(2)}x`.padStart(12);
  console.log(`${r.name.padEnd(14)} ${f(r.native)} ${f(r['node:wasi'])}    ${f(r.tssc)} ${q(r['node:wasi'] / r.native)}     ${q(r.tssc / r.native)}   ${q(r.tssc / r['node:wasi'])}`);
}
fs.rmSync(work, { recursive: true });
