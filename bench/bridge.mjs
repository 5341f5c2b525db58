// The bridge of --network=sandbox against the host's own TCP: bench/netbench.c's outbound
// modes, request/response latency (one byte each way) and throughput (64 KiB writes, timed
// until the far end has read all and closed), from the host natively and from inside tssc,
// to servers (test/e2e/fixtures/far-end.py: echo on 7, a reader on 9) in a network namespace
// this script makes behind a veth pair, so nothing leaves the machine. Medians of N rounds,
// native and tssc interleaved in each round so load on the shared machine hits them alike.
//
// usage: node bench/bridge.mjs [--rounds N] [--quick] [--write docs/benchmarks.md]
// needs: root (ip netns, veth), `npm run build`, gcc with static glibc, python3.
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
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
    rounds: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    write: { type: 'string' },
  },
});
const rounds = Number(options.rounds);
const scale = options.quick ? 0.1 : 1;
const count = (native, sandboxed) => (name) => String(Math.max(1, Math.round((name === 'native' ? native : sandboxed) * scale)));

const WORKLOADS = [
  { name: 'TCP out request/response', mode: 'out-rr', unit: 'us', argv: count(20_000, 2_000) },
  { name: 'TCP out 64 KiB writes', mode: 'out-stream', unit: 'MB/s', argv: count(1024, 128) },
];

/** A namespace with the far end's servers behind a veth pair (10.204.K.0/24); close() removes it. */
async function farEnd() {
  const tag = randomBytes(3).toString('hex');
  const k = 1 + (randomBytes(1)[0] % 250);
  const ns = `tssc-bench-far-${tag}`;
  const [hostLink, farLink] = [`tb${tag}h`, `tb${tag}f`];
  const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let server;
  const close = () => {
    server?.kill('SIGKILL');
    for (const args of [['link', 'del', hostLink], ['netns', 'del', ns]]) {
      try {
        ip(...args);
      } catch {
        // Already gone.
      }
    }
  };
  try {
    ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    ip('link', 'add', hostLink, 'type', 'veth', 'peer', 'name', farLink, 'netns', ns);
    ip('addr', 'add', `10.204.${k}.1/24`, 'dev', hostLink);
    ip('link', 'set', hostLink, 'up');
    ip('-n', ns, 'addr', 'add', `10.204.${k}.2/24`, 'dev', farLink);
    ip('-n', ns, 'link', 'set', farLink, 'up');
    server = spawn('ip', ['netns', 'exec', ns, 'python3', path.join(repo, 'test', 'e2e', 'fixtures', 'far-end.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((resolve, reject) => {
      server.stdout.once('data', resolve);
      server.once('exit', (code) => reject(new Error(`the far end's servers ended (${code})`)));
    });
  } catch (e) {
    close();
    throw e;
  }
  return { address: `10.204.${k}.2`, close };
}

if (process.getuid() !== 0) {
  console.error('bench/bridge.mjs needs root: it makes a network namespace and a veth pair');
  process.exit(1);
}
const work = mkdtempSync(path.join(os.tmpdir(), 'tssc-bench-bridge-'));
const far = await farEnd();
try {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const bundle = netbenchBundle(work);
  // The bundle's network namespace has no path: tssc's default, --network=sandbox.
  const runnable = sandboxes({ repo, stateDir: path.join(work, 'state') }).filter((s) => s.name === 'native' || s.name === 'tssc');
  for (const s of runnable.filter((s) => s.unavailable)) throw new Error(`${s.name}: ${s.unavailable}`);
  const { samples, errors } = measure({ workloads: WORKLOADS, runnable, bundle, rounds, extra: [far.address] });
  const table = netTable(WORKLOADS, ['native', 'tssc'], samples, ['native']);
  console.log(table);
  for (const e of errors) console.log(`note: ${e}`);
  if (options.write) {
    writeMeasured({ repo, file: options.write, script: 'bridge.mjs', startedAt, rounds, loadBefore, table, notes: errors });
    console.error(`results written to ${options.write}`);
  }
} finally {
  far.close();
  rmSync(work, { recursive: true, force: true });
}
