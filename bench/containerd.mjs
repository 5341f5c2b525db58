// tssc as containerd's runtime, next to runc and runsc (--platform=ptrace): the wall time
// of `ctr run --rm` of /bin/true through a private containerd and its runc shim, and the
// create-to-running latency of each runtime's own CLI (`create` then `start` of a bundle,
// the two calls a shim makes before a container runs). Medians of N rounds, the runtimes
// interleaved inside each round.
//
// usage: node bench/containerd.mjs [--rounds N] [--only tssc,runc] [--write docs/benchmarks.md]
// needs: root, `npm run build`, containerd, runc and runsc (Debian's packages), busybox-static.
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Containerd } from '../test/fixtures/containerd.mjs';
import { imageArchive } from '../test/fixtures/oci-image.mjs';
import { median, writeResults } from './report.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: options } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, only: { type: 'string' }, write: { type: 'string' } },
});
const rounds = Number(options.rounds);
const IMAGE = 'docker.io/library/tssc-bench:busybox';
const NAMESPACE = `tssc-bench-${process.pid}`;

const work = mkdtempSync(path.join(os.tmpdir(), 'tssc-bench-containerd-'));
chmodSync(work, 0o755);
const rootfs = path.join(work, 'rootfs');
for (const sub of ['bin', 'proc', 'dev', 'sys', 'tmp', 'etc']) mkdirSync(path.join(rootfs, sub), { recursive: true });
copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
for (const applet of ['sh', 'true', 'sleep']) symlinkSync('busybox', path.join(rootfs, 'bin', applet));

// runsc takes its platform as a global flag: the shim runs it through a wrapper. No network
// (its own CLI would set up the host's), as the containers here need none.
const runscPtrace = path.join(work, 'runsc-ptrace');
writeFileSync(runscPtrace, '#!/bin/sh\nexec runsc --platform=ptrace --network=none "$@"\n', { mode: 0o755 });
const RUNTIMES = [
  { name: 'tssc', binary: path.join(repo, 'bin', 'tssc.js') },
  { name: 'runsc', binary: runscPtrace },
  { name: 'runc', binary: spawnSync('which', ['runc'], { encoding: 'utf8' }).stdout.trim() || 'runc' },
].filter((runtime) => options.only === undefined || options.only.split(',').includes(runtime.name));

/**
 * Wall time of a command in ms, or why it failed. Its output goes to a file: a runtime's
 * `create` leaves its stdio to the container, and a pipe would be read until that ends.
 */
function timed(argv) {
  const out = path.join(work, 'out');
  const fd = openSync(out, 'w');
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { stdio: ['ignore', fd, fd], timeout: 120_000 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  closeSync(fd);
  return result.status === 0 ? { ms } : { error: (readFileSync(out, 'utf8') || result.error?.message || `status ${result.status}`).trim().split('\n').pop() };
}

/** A bundle for the runtimes' own CLIs: busybox sleeping, read-only root, runsc's spec defaults. */
function bundle() {
  const dir = path.join(work, 'bundle');
  mkdirSync(dir, { recursive: true });
  const config = {
    ociVersion: '1.0.2',
    process: { user: { uid: 0, gid: 0 }, args: ['sleep', '1000'], env: ['PATH=/bin'], cwd: '/', capabilities: { bounding: [], effective: [], permitted: [], inheritable: [] } },
    root: { path: rootfs, readonly: true },
    hostname: 'bench',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }] },
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  return dir;
}

const containerd = await Containerd.start(path.join(work, 'containerd'));
const results = new Map(RUNTIMES.map((runtime) => [runtime.name, { ctr: [], create: [], errors: new Set() }]));
try {
  const imported = containerd.ctr(['--namespace', NAMESPACE, 'images', 'import', imageArchive(work, rootfs, IMAGE, { Env: ['PATH=/bin'], Cmd: ['sh'] })]);
  if (imported.status !== 0) throw new Error(`ctr images import: ${imported.stderr}`);
  const bundleDir = bundle();
  let counter = 0;
  for (let round = 0; round < rounds; round++) {
    for (const runtime of RUNTIMES) {
      const cells = results.get(runtime.name);
      const run = timed(['ctr', '--address', containerd.address, '--namespace', NAMESPACE, 'run', '--rm', '--runc-binary', runtime.binary, IMAGE, `b${counter++}`, '/bin/true']);
      if (run.ms !== undefined) cells.ctr.push(run.ms);
      else cells.errors.add(`ctr run: ${run.error}`);

      const root = path.join(work, `root-${runtime.name}`);
      const id = `c${counter++}`;
      const cli = (...args) => [runtime.binary, '--root', root, ...args];
      const created = timed(cli('create', '--bundle', bundleDir, id));
      const started = created.ms === undefined ? created : timed(cli('start', id));
      if (created.ms !== undefined && started.ms !== undefined) cells.create.push(created.ms + started.ms);
      else cells.errors.add(`create/start: ${(created.ms === undefined ? created : started).error}`);
      timed(cli('delete', '--force', id));
    }
  }
} finally {
  // A run that failed half-way leaves its task (and its rootfs mount) behind.
  for (const id of containerd.ctr(['--namespace', NAMESPACE, 'containers', 'list', '--quiet']).stdout.split('\n').filter(Boolean)) {
    containerd.ctr(['--namespace', NAMESPACE, 'tasks', 'kill', '--signal', 'SIGKILL', id]);
    containerd.ctr(['--namespace', NAMESPACE, 'tasks', 'delete', '--force', id]);
    containerd.ctr(['--namespace', NAMESPACE, 'containers', 'delete', id]);
  }
  containerd.stop();
  rmSync(`/run/containerd/runc/${NAMESPACE}`, { recursive: true, force: true });
  try {
    rmSync(work, { recursive: true, force: true });
  } catch (error) {
    process.stderr.write(`bench: could not remove ${work}: ${error.message}\n`);
  }
}

const cell = (xs) => (xs.length === 0 ? 'failed' : `${median(xs).toFixed(0)} ms`);
const lines = [
  `ctr run --rm of /bin/true through containerd ${containerd.ctr(['version']).stdout.match(/Version:\s+(\S+)/)?.[1] ?? ''}, and create + start of a bundle by each runtime's CLI; median of ${rounds} rounds (\`node bench/containerd.mjs --rounds ${rounds}\`, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at the end).`,
  '',
  `| | ${RUNTIMES.map((r) => r.name).join(' | ')} |`,
  `|---|${RUNTIMES.map(() => '---:').join('|')}|`,
  `| \`ctr run --rm\` /bin/true | ${RUNTIMES.map((r) => cell(results.get(r.name).ctr)).join(' | ')} |`,
  `| create-to-running (create + start) | ${RUNTIMES.map((r) => cell(results.get(r.name).create)).join(' | ')} |`,
];
const notes = RUNTIMES.flatMap((r) => [...results.get(r.name).errors].map((e) => `- ${r.name}: ${e}`));
const markdown = [...lines, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
process.stdout.write(markdown + '\n');
if (options.write) writeResults(options.write, markdown, 'containerd.mjs');
