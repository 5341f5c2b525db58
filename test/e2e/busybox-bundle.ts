// End-to-end fixtures: a busybox root filesystem from the host's Debian busybox-static
// (/bin/busybox, every applet as a symlink), OCI bundles around it, and `tssc run` as a
// user would run it.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const BUSYBOX = '/bin/busybox';

export function hasBusybox(): boolean {
  return existsSync(BUSYBOX) && existsSync(path.join(REPO, 'native', 'ptrace', 'build', 'Release', 'tssc_ptrace.node'));
}

export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

/** DIR/rootfs: bin/busybox and its applets, /etc/passwd and /etc/group, some files to work on. */
export function makeRootfs(dir: string): string {
  const rootfs = path.join(dir, 'rootfs');
  for (const sub of ['bin', 'etc', 'tmp', 'root', 'home/app', 'data/sub', 'proc', 'dev', 'sys']) {
    mkdirSync(path.join(rootfs, sub), { recursive: true });
  }
  chmodSync(path.join(rootfs, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, path.join(rootfs, 'bin', 'busybox'));
  chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a && a !== 'busybox');
  for (const applet of applets) symlinkSync('busybox', path.join(rootfs, 'bin', applet));
  writeFileSync(path.join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n');
  writeFileSync(path.join(rootfs, 'etc', 'group'), 'root:x:0:\napp:x:1000:\nstaff:x:50:app\nnogroup:x:65534:\n');
  writeFileSync(path.join(rootfs, 'data', 'fruits.txt'), 'pear\napple\nfig\nbanana\napple\ncherry\n');
  writeFileSync(path.join(rootfs, 'data', 'sub', 'notes.md'), '# notes\nline two\nthe end\n');
  writeFileSync(path.join(rootfs, 'data', 'numbers.txt'), Array.from({ length: 200 }, (_, i) => `${i * 7 % 101}`).join('\n') + '\n');
  return rootfs;
}

export interface BundleOptions {
  args: string[];
  uid?: number;
  gid?: number;
  additionalGids?: number[];
  hostname?: string;
  env?: string[];
  cwd?: string;
  readonly?: boolean;
  /** Capabilities beyond Docker's default set. */
  extraCaps?: string[];
  /** linux.resources.pids.limit */
  pidsLimit?: number;
  /** linux.resources.memory.limit, in bytes */
  memoryLimit?: number;
  /** process.rlimits beyond RLIMIT_NOFILE. */
  rlimits?: { type: string; hard: number; soft: number }[];
  /** Mounts after /proc and /dev. */
  mounts?: { destination: string; type: string; source: string; options?: string[] }[];
  /** linux.seccomp */
  seccomp?: unknown;
  /** process.noNewPrivileges */
  noNewPrivileges?: boolean;
  /** Replaces the capability sets (bounding, effective, permitted; inheritable empty). */
  caps?: string[];
}

/** Writes DIR/config.json for the rootfs at DIR/rootfs. */
export function writeConfig(dir: string, options: BundleOptions): void {
  const caps = options.caps ?? [...(options.extraCaps ?? []), 'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_MKNOD', 'CAP_AUDIT_WRITE', 'CAP_SETFCAP'];
  const config = {
    ociVersion: '1.0.2',
    process: {
      terminal: false,
      user: { uid: options.uid ?? 0, gid: options.gid ?? 0, ...(options.additionalGids ? { additionalGids: options.additionalGids } : {}) },
      args: options.args,
      env: options.env ?? ['PATH=/bin', 'TERM=dumb'],
      cwd: options.cwd ?? '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }, ...(options.rlimits ?? [])],
      ...(options.noNewPrivileges === undefined ? {} : { noNewPrivileges: options.noNewPrivileges }),
    },
    root: { path: 'rootfs', readonly: options.readonly ?? false },
    hostname: options.hostname ?? 'tssc-e2e',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      ...(options.mounts ?? []),
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'network' }],
      resources: {
        ...(options.pidsLimit ? { pids: { limit: options.pidsLimit } } : {}),
        ...(options.memoryLimit ? { memory: { limit: options.memoryLimit } } : {}),
      },
      ...(options.seccomp ? { seccomp: options.seccomp } : {}),
    },
  };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

let runCounter = 0;

/** `node bin/tssc.js --root STATE run --bundle DIR ID` to its end. */
export interface RunOptions {
  input?: string;
  /** Where bin/tssc.js is (a world-readable copy for other users). */
  tsscDir?: string;
  asUser?: number;
  stateDir?: string;
  /** A command tssc runs under (e.g. a seccomp wrapper). */
  wrapper?: string[];
  /** Global options before the command (e.g. --log FILE). */
  globals?: string[];
  /** Added to tssc's environment. */
  env?: Record<string, string>;
  /** tssc's working directory. */
  cwd?: string;
  /** Options of `run` itself (e.g. --network=none). */
  runArgs?: string[];
}

/** argv run as the user uid (setpriv, without groups), or as it is. */
export function asUser(uid: number | undefined, argv: string[]): string[] {
  return uid === undefined ? argv : ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', ...argv];
}

/** The argv of `node bin/tssc.js --root STATE [globals] run [extra] --bundle DIR ID` as options say. */
function tsscArgv(dir: string, id: string, extra: string[], options: RunOptions): string[] {
  const tssc = path.join(options.tsscDir ?? REPO, 'bin', 'tssc.js');
  const state = options.stateDir ?? path.join(dir, 'state');
  const command = [tssc, '--root', state, ...(options.globals ?? []), 'run', ...extra, ...(options.runArgs ?? []), '--bundle', dir, id];
  return asUser(options.asUser, [...(options.wrapper ?? []), process.execPath, ...command]);
}

export const NOBODY = 65534;
/** Whether tests may run tssc as nobody: they run as root, and setpriv is there. */
export const canSetpriv = process.getuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;
/** Who tests that try both run tssc as: its own user, and nobody where they can. */
export const TSSC_USERS: readonly { name: string; uid: number | undefined }[] = [
  { name: "tssc's own user", uid: undefined },
  ...(canSetpriv ? [{ name: 'nobody', uid: NOBODY }] : []),
];

const copies = new Map<string, string>();
let stateDirs = 0;

/**
 * How to run tssc as uid: as it is for tssc's own user; for another, from a world-readable
 * copy of the build (made once, below dir) with a state dir of its own.
 */
export function runAs(dir: string, uid: number | undefined): RunOptions {
  if (uid === undefined) return {};
  let copy = copies.get(dir);
  if (!copy) {
    copy = worldReadableCopy(path.join(dir, 'tssc'));
    // A state root nobody may create its directory in.
    mkdirSync(path.join(dir, 'states'));
    chmodSync(path.join(dir, 'states'), 0o1777);
    copies.set(dir, copy);
  }
  return { tsscDir: copy, asUser: uid, stateDir: path.join(dir, 'states', `s${stateDirs++}`) };
}

function spawnOptions(options: RunOptions) {
  return { env: { ...process.env, ...options.env }, ...(options.cwd ? { cwd: options.cwd } : {}) };
}

export function tsscRun(dir: string, extra: string[] = [], options: RunOptions = {}): RunResult {
  const argv = tsscArgv(dir, `e2e-${process.pid}-${runCounter++}`, extra, options);
  const result = spawnSync(argv[0]!, argv.slice(1), { input: options.input ?? '', encoding: 'utf8', timeout: 60_000, ...spawnOptions(options) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `tssc run` in the background with piped stdio (setpriv execs node: the child's pid is the sentry's). */
export function tsscSpawn(dir: string, options: RunOptions = {}) {
  const argv = tsscArgv(dir, `e2e-${process.pid}-${runCounter++}`, [], options);
  return spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions(options) });
}

/** The same command started in the background, for signal tests. */
export function tsscStart(dir: string, id: string, options: RunOptions = {}) {
  const argv = tsscArgv(dir, id, [], options);
  return spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], ...spawnOptions(options) });
}

/** Resolves once the child's stdout contains text. */
export function waitForOutput(child: ReturnType<typeof tsscStart>, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for "${text}", got "${seen}"`)), 45_000);
    child.stdout.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** Resolves when the child has ended, with its exit and what it wrote. */
export function finished(child: ReturnType<typeof tsscStart>): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** Host children of the process ppid (every workload task is a child of its sentry). */
export function childrenOf(ppid: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const status = readFileSync(path.join('/proc', name, 'status'), 'latin1');
      if (new RegExp(`^PPid:\\s+${ppid}$`, 'm').test(status)) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** Those of pids that still run (not gone, not zombies). */
export function alive(pids: number[]): number[] {
  return pids.filter((pid) => {
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'latin1'));
    } catch {
      return false;
    }
  });
}

/** The reference: the same command under chroot on the host (needs root). */
export function chrootRun(rootfs: string, args: string[], cwd = '/'): RunResult {
  const result = spawnSync('/usr/sbin/chroot', [rootfs, '/bin/sh', '-c', `cd ${cwd} && exec "$@"`, 'sh', ...args], { encoding: 'utf8', env: { PATH: '/bin', TERM: 'dumb' } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A world-readable copy of the built tree, for runs as another user. */
export function worldReadableCopy(dest: string): string {
  const production = execFileSync('npm', ['ls', '--omit=dev', '--parseable', '--all'], { cwd: REPO, encoding: 'utf8' })
    .split('\n')
    .filter((p) => p.startsWith(path.join(REPO, 'node_modules')))
    .map((p) => path.relative(REPO, p));
  for (const part of ['bin', 'dist', 'package.json', ...production, 'native/ptrace/build/Release/tssc_ptrace.node', 'native/ptrace/build/Release/tssc_console.node', 'native/ptrace/build/Release/tssc_hostnet.node', 'native/ptrace/build/Release/tssc_hostfs.node', 'native/ptrace/build/Release/tssc-stub', 'native/ptrace/build/Release/tssc-tty-relay']) {
    const from = path.join(REPO, part);
    if (existsSync(from)) cpSync(from, path.join(dest, part), { recursive: true, dereference: true });
  }
  execFileSync('chmod', ['-R', 'a+rX', dest]);
  return dest;
}

export function hasCompiler(): boolean {
  return spawnSync('gcc', ['--version']).status === 0;
}

/** glibc dlopens it to unwind a thread in pthread_exit and pthread_cancel. */
const LIBGCC_S = '/lib/x86_64-linux-gnu/libgcc_s.so.1';

/**
 * Compiles a C program with gcc into ROOTFS/bin/NAME; a dynamic one brings the shared
 * libraries and loader ldd names (and libgcc_s), at the paths the host has them. Returns
 * the host path of the binary, which also runs natively as the reference.
 */
export function installCProgram(rootfs: string, source: string, name: string, linkage: 'static' | 'dynamic'): string {
  const binary = path.join(rootfs, 'bin', name);
  execFileSync('gcc', ['-O2', '-pthread', ...(linkage === 'static' ? ['-static'] : []), '-o', binary, source]);
  if (linkage === 'dynamic') {
    const ldd = execFileSync('ldd', [binary], { encoding: 'utf8' });
    const libraries = ldd.split('\n').map((line) => (/=>\s+(\/\S+)\s+\(/.exec(line) ?? /^\s+(\/\S+)\s+\(/.exec(line))?.[1]);
    for (const library of [...libraries, LIBGCC_S]) {
      if (library === undefined || !existsSync(library)) continue;
      mkdirSync(path.join(rootfs, path.dirname(library)), { recursive: true });
      copyFileSync(library, path.join(rootfs, library));
    }
  }
  return binary;
}

/** C fixtures of test/e2e/fixtures installed in rootfs as NAME-static and NAME-dynamic; their host paths by that name. */
export function installFixtures(rootfs: string, names: readonly string[]): Map<string, string> {
  const binaries = new Map<string, string>();
  for (const name of names) {
    for (const linkage of ['static', 'dynamic'] as const) {
      binaries.set(`${name}-${linkage}`, installCProgram(rootfs, path.join(REPO, 'test', 'e2e', 'fixtures', `${name}.c`), `${name}-${linkage}`, linkage));
    }
  }
  return binaries;
}

export interface FixtureRun {
  /** Arguments natively and in the sandbox (host and sandbox paths differ). */
  nativeArgs?: string[];
  sandboxArgs?: string[];
  /** Writes config.json for the program's args (default: writeConfig). */
  configure?: (args: string[]) => void;
}

/** Runs an installed fixture natively (its host path) and under `tssc run` of the bundle in dir. */
export function nativeAndSandboxed(dir: string, binaries: Map<string, string>, program: string, options: FixtureRun = {}): { native: RunResult; sandboxed: RunResult } {
  const run = spawnSync(binaries.get(program)!, options.nativeArgs ?? [], { encoding: 'utf8', timeout: 60_000 });
  const configure = options.configure ?? ((args: string[]) => writeConfig(dir, { args }));
  configure([`/bin/${program}`, ...(options.sandboxArgs ?? [])]);
  return { native: { status: run.status, stdout: run.stdout, stderr: run.stderr }, sandboxed: tsscRun(dir) };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
