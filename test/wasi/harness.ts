// A minimal sandbox for testing the WASI layer on its own: the real VFS (bundle rootfs
// under an in-memory upper layer), the real FdTable and pipes, and a SyscallTask whose
// waits are the plain readiness waits the sentry's tasks make.

import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { E, SysError, fail } from '../../src/abi/errno.js';
import { createNetworkStack } from '../../src/netstack/index.js';
import { O } from '../../src/abi/linux-fcntl.js';
import { POLL } from '../../src/abi/linux-poll.js';
import { MemoryAccount } from '../../src/accounting/memory-account.js';
import { FdTable } from '../../src/sentry/kernel/fd-table.js';
import { INITIAL_USER_NAMESPACE } from '../../src/sentry/kernel/namespaces/user-namespace.js';
import { Pipe } from '../../src/sentry/kernel/files/pipe.js';
import type { KernelServices, Rlimit, SyscallTask, TaskCredentials } from '../../src/sentry/kernel/syscall.js';
import type { WasmExitStatus } from '../../src/sentry/wasm/exit-status.js';
import { startWasmProcess, type WasmLimits } from '../../src/sentry/wasm/process.js';
import { wasiPreview1Table } from '../../src/syscalls/wasi/table.js';
import type { FileDescription, FsContext, Vfs, Waitable } from '../../src/vfs/api.js';
import { createVfs } from '../../src/vfs/build.js';
import { Registry } from '../../src/vfs/registry.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
export const FIXTURES = path.join(REPO, 'test/fixtures/wasm');
export const CACHE = path.join(REPO, 'node_modules/.cache/tssc/wasi');
const ALL_CAPS = (1n << 41n) - 1n;

/**
 * Workers run compiled JavaScript: rebuilds dist/ when a source is newer than it. Test
 * files run in parallel processes, so one of them builds while the others wait.
 */
export function ensureCompiled(): void {
  const worker = path.join(REPO, 'dist/syscalls/wasi/worker-main.js');
  const newest = (dir: string): number =>
    fs.readdirSync(dir, { withFileTypes: true }).reduce((max, e) => {
      const p = path.join(dir, e.name);
      return Math.max(max, e.isDirectory() ? newest(p) : e.name.endsWith('.ts') ? fs.statSync(p).mtimeMs : 0);
    }, 0);
  const stale = () => newest(path.join(REPO, 'src')) > (fs.existsSync(worker) ? fs.statSync(worker).mtimeMs : 0);
  if (!stale()) return;
  fs.mkdirSync(CACHE, { recursive: true });
  const lock = path.join(CACHE, 'build.lock');
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      // A lock left by a killed run is stale after two minutes.
      if (Date.now() - fs.statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 120_000) fs.rmSync(lock, { recursive: true, force: true });
      Atomics.wait(pause, 0, 0, 200);
    }
  }
  try {
    if (!stale()) return;
    execFileSync('npx', ['tsc', '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', path.join(CACHE, '../tsbuildinfo')], { cwd: REPO, stdio: 'pipe' });
  } catch {
    // Type errors elsewhere in the tree still leave the JavaScript emitted.
  } finally {
    fs.rmSync(lock, { recursive: true, force: true });
  }
}

/** Compiles a C fixture to wasm32-wasi (clang-14) or natively (gcc), cached by source hash. */
export async function compileFixture(name: string, target: 'wasm' | 'native', extra: { sources?: string[]; flags?: string[]; libs?: string[] } = {}): Promise<string> {
  const sources = [path.join(FIXTURES, `${name}.c`), ...(extra.sources ?? [])];
  const hash = createHash('sha256');
  for (const s of [...sources, path.join(FIXTURES, 'report.h')]) if (fs.existsSync(s)) hash.update(fs.readFileSync(s));
  hash.update(JSON.stringify(extra));
  const out = path.join(CACHE, `${name}-${hash.digest('hex').slice(0, 16)}.${target}`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(CACHE, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const flags = ['-O2', ...(extra.flags ?? []), '-o', tmp, ...sources];
  if (target === 'wasm') await run('clang-14', ['--target=wasm32-wasi', ...flags, ...(extra.libs ?? [])]);
  else await run('gcc', [...flags.filter((f) => !f.startsWith('-D_WASI')), '-lm']);
  fs.renameSync(tmp, out);
  return out;
}

const run = promisify(execFile);

/** A rootfs the fixtures expect: data/hello.txt, data/sub/, data/link -> hello.txt, work/. */
export function makeRootfs(dir: string): string {
  fs.mkdirSync(path.join(dir, 'data/sub'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'work'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data/hello.txt'), 'hello world\n');
  fs.symlinkSync('hello.txt', path.join(dir, 'data/link'));
  return dir;
}

export interface Sandbox {
  readonly vfs: Vfs;
  readonly kernel: KernelServices;
  readonly creds: TaskCredentials;
}

export function makeSandbox(rootfs: string): Sandbox {
  const registry = new Registry();
  const vfs = createVfs({
    spec: { root: { path: rootfs } },
    bundleDir: path.dirname(rootfs),
    registry,
    providers: {
      hostname: () => 'tssc',
      domainname: () => '',
      currentPid: () => 1,
      currentTid: () => 1,
      processes: () => [1],
      process: () => undefined,
      uptime: () => process.uptime(),
    },
  });
  const started = process.hrtime.bigint();
  const kernel: KernelServices = {
    vfs,
    memory: new MemoryAccount(),
    net: createNetworkStack(),
    hostname: 'tssc',
    domainname: '',
    realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
    monotonicNs: () => process.hrtime.bigint(),
    uptimeNs: () => process.hrtime.bigint() - started,
  };
  const creds: TaskCredentials = {
    ruid: 0, euid: 0, suid: 0, fsuid: 0, rgid: 0, egid: 0, sgid: 0, fsgid: 0, groups: [],
    permitted: ALL_CAPS, effective: ALL_CAPS, inheritable: 0n, bounding: ALL_CAPS, ambient: 0n, securebits: 0, noNewPrivs: false, userNs: INITIAL_USER_NAMESPACE,
  };
  return { vfs, kernel, creds };
}

const DEFAULT_IGNORED = new Set([17, 18, 23, 28]);
const INFINITY: Rlimit = { cur: 2n ** 64n - 1n, max: 2n ** 64n - 1n };

class HarnessTask implements SyscallTask {
  readonly tid = 1;
  readonly pid = 1;
  readonly fs: FsContext;
  onSignal: (signal: number) => void = () => {};
  readonly mem = {
    read: (): Buffer => fail(E.EFAULT),
    write: (): void => fail(E.EFAULT),
    readCString: (): string => fail(E.EFAULT),
  };
  readonly rlimits = { get: () => INFINITY, set: () => {} };

  constructor(
    readonly kernel: KernelServices,
    readonly creds: TaskCredentials,
    readonly fds: FdTable,
  ) {
    this.fs = { root: kernel.vfs.root, cwd: kernel.vfs.root, umask: 0o022, creds: { uid: 0, gid: 0, groups: [], caps: ALL_CAPS } };
  }

  waitReady(file: Waitable, events: number): Promise<number> {
    return waitFor(file, events);
  }

  waitChange(file: Waitable, events: number): Promise<number> {
    return new Promise((resolve) => {
      const unsubscribe = file.subscribe(events, (notified) => {
        unsubscribe();
        resolve(notified);
      });
    });
  }

  async waitAnyReady(waits: readonly { file: Waitable; events: number }[], timeoutNs: bigint | undefined): Promise<number[]> {
    const poll = () => waits.map((w) => w.file.readiness(w.events));
    return new Promise((resolve) => {
      const unsubscribes = waits.map((w) => w.file.subscribe(w.events, () => check()));
      const timer = timeoutNs === undefined ? undefined : setTimeout(() => done(), Number(timeoutNs / 1_000_000n));
      const done = () => {
        for (const u of unsubscribes) u();
        clearTimeout(timer);
        resolve(poll());
      };
      const check = () => {
        if (poll().some((r) => r !== 0)) done();
      };
      check();
    });
  }

  sleep(ns: bigint): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, Number((ns + 999_999n) / 1_000_000n)));
  }

  signalSelf(signal: number): void {
    if (!DEFAULT_IGNORED.has(signal)) this.onSignal(signal);
  }
}

export function waitFor(file: Waitable, events: number): Promise<number> {
  const now = file.readiness(events);
  if (now) return Promise.resolve(now);
  return new Promise((resolve) => {
    const unsubscribe = file.subscribe(events, () => {
      const ready = file.readiness(events);
      if (ready) {
        unsubscribe();
        resolve(ready);
      }
    });
  });
}

/** A pipe as (read end, write end) descriptions. */
export function makePipe(sandbox: Sandbox, ctx?: FsContext): [FileDescription, FileDescription] {
  const fsctx = ctx ?? { root: sandbox.vfs.root, cwd: sandbox.vfs.root, umask: 0o022, creds: { uid: 0, gid: 0, groups: [], caps: ALL_CAPS } };
  const pipe = new Pipe(fsctx.creds, sandbox.kernel.memory.buffers);
  return [sandbox.vfs.openAnonymous(pipe, 'pipe:[w]', O.RDONLY, fsctx), sandbox.vfs.openAnonymous(pipe, 'pipe:[w]', O.WRONLY, fsctx)];
}

/** Everything until end of file from a read end; drops its reference at the end. */
export async function drain(file: FileDescription): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(65536);
  for (;;) {
    try {
      const n = file.read(buf);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== E.EAGAIN) throw e;
      await waitFor(file, POLL.IN);
    }
  }
  file.unref();
  return Buffer.concat(chunks);
}

/** Writes all of data into a write end, then closes it. */
export async function feed(file: FileDescription, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) {
    try {
      done += file.write(data.subarray(done));
    } catch (e) {
      if (!(e instanceof SysError) || e.errno !== E.EAGAIN) throw e;
      await waitFor(file, POLL.OUT);
    }
  }
  file.unref();
}

export interface RunResult {
  status: WasmExitStatus;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: string[];
  stdin?: Uint8Array;
  limits?: WasmLimits;
  /** Descriptions for fds 0-2 instead of fresh pipes. */
  stdio?: [FileDescription?, FileDescription?, FileDescription?];
  /** More fds the process inherits (fd -> description; the table takes the reference). */
  extraFds?: Record<number, FileDescription>;
}

/** Runs a wasm file as a process of the sandbox with piped stdio; closes its fds at exit. */
export async function runWasm(sandbox: Sandbox, wasmPath: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
  const fds = new FdTable();
  const task = new HarnessTask(sandbox.kernel, sandbox.creds, fds);
  const [stdinRead, stdinWrite] = makePipe(sandbox);
  const [stdoutRead, stdoutWrite] = makePipe(sandbox);
  const [stderrRead, stderrWrite] = makePipe(sandbox);
  fds.installAt(0, options.stdio?.[0] ?? stdinRead);
  fds.installAt(1, options.stdio?.[1] ?? stdoutWrite);
  fds.installAt(2, options.stdio?.[2] ?? stderrWrite);
  for (const [fd, file] of Object.entries(options.extraFds ?? {})) fds.installAt(Number(fd), file);
  if (options.stdio?.[0]) stdinRead.unref();
  if (options.stdio?.[1]) stdoutWrite.unref();
  if (options.stdio?.[2]) stderrWrite.unref();
  const feeding = feed(stdinWrite, options.stdin ?? new Uint8Array());
  const stdout = drain(stdoutRead);
  const stderr = drain(stderrRead);
  const wasm = await startWasmProcess(task, { bytes: fs.readFileSync(wasmPath), argv: [path.basename(wasmPath), ...args], envp: options.env ?? [] }, wasiPreview1Table, options.limits);
  task.onSignal = (signal) => wasm.kill(signal);
  const status = await wasm.exited;
  fds.closeAll();
  await feeding.catch(() => {});
  return { status, stdout: (await stdout).toString('latin1'), stderr: (await stderr).toString('latin1') };
}
