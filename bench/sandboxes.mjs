// The four ways the benchmarks run a command: natively on the host, and inside tssc, proot
// and runsc (gVisor, ptrace platform). Each takes a bundle (config.json + rootfs) and an
// argv as seen inside the sandbox; native runs the same binaries with paths under the rootfs.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ENV = ['PATH=/bin:/usr/bin:/sbin:/usr/sbin', 'HOME=/root', 'LC_ALL=C', 'PYTHONDONTWRITEBYTECODE=1'];
let runCounter = 0;

/** An OCI config.json for tssc and runsc alike: read-only root, tmpfs /tmp, no network. */
export function writeConfig(bundle, rootfs, args) {
  const config = {
    ociVersion: '1.0.2',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args, env: ENV, cwd: '/' },
    root: { path: rootfs, readonly: true },
    hostname: 'bench',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=1777'] },
    ],
    linux: { namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }] },
  };
  writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(config, null, 2));
}

/** What an error output says: a JS error's own line (not its stack), else its last lines. */
function lastLines(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !/^Node\.js v\d/.test(l));
  const thrown = lines.find((l) => /^[A-Z]\w*Error\b/.test(l));
  return thrown ?? lines.slice(-4).join(' | ');
}

function timed(argv, options = {}) {
  const start = process.hrtime.bigint();
  const result = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 300_000, maxBuffer: 1 << 24, ...options });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const error = result.error?.message ?? (result.status === 0 ? undefined : `exit ${result.status ?? result.signal}: ${lastLines(result.stderr || result.stdout)}`);
  return { ms, stdout: result.stdout ?? '', error };
}

/**
 * baselines: other built checkouts of tssc (`--baseline DIR`), run side by side with this
 * one as `tssc@NAME` to compare two commits in one run.
 * @returns {{name: string, unavailable?: string, run(bundle: {dir: string, rootfs: string}, argv: string[]): {ms: number, stdout: string, error?: string}}[]}
 */
export function sandboxes({ repo, stateDir, baselines = [] }) {
  const tsscOf = (checkout, name) => ({
    name,
    unavailable: existsSync(path.join(checkout, 'dist', 'cli', 'main.js')) ? undefined : `${checkout} is not built (npm run build)`,
    run: (bundle, argv) => {
      writeConfig(bundle.dir, bundle.rootfs, argv);
      return timed([process.execPath, path.join(checkout, 'bin', 'tssc.js'), '--root', path.join(stateDir, name), 'run', '--bundle', bundle.dir, `bench-${process.pid}-${runCounter++}`]);
    },
  });
  const which = (program) => ['/usr/bin', '/usr/sbin', '/bin'].map((d) => path.join(d, program)).find((p) => existsSync(p));
  const inRootfs = (rootfs, argv) => argv.map((a) => (a.startsWith('/') ? path.join(rootfs, a) : a));
  return [
    {
      name: 'native',
      // Same binaries, host kernel; sandbox paths are rewritten to the rootfs copy.
      run: (bundle, argv) => timed(inRootfs(bundle.rootfs, argv), { env: Object.fromEntries(ENV.map((e) => e.split('='))) }),
    },
    tsscOf(repo, 'tssc'),
    ...baselines.map((checkout) => tsscOf(checkout, `tssc@${path.basename(checkout)}`)),
    {
      name: 'proot',
      unavailable: which('proot') ? undefined : 'proot is not installed (apt-get install proot)',
      run: (bundle, argv) => timed(['proot', '-r', bundle.rootfs, '-w', '/', ...argv], { env: Object.fromEntries(ENV.map((e) => e.split('='))) }),
    },
    {
      name: 'runsc',
      unavailable: which('runsc') ? undefined : 'runsc is not installed (apt-get install runsc)',
      run: (bundle, argv) => {
        writeConfig(bundle.dir, bundle.rootfs, argv);
        return timed(['runsc', '--root', path.join(stateDir, 'runsc'), '--platform=ptrace', '--network=none', 'run', '--bundle', bundle.dir, `bench-${process.pid}-${runCounter++}`]);
      },
    },
  ];
}
