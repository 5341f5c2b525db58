// A sandbox for the synthesized filesystems' tests: a VFS built from a spec like
// `tssc spec` writes (plus optional devpts and mqueue mounts), fake processes the
// providers report, recorded job-control signals, and a fake user memory for ioctls.

import { O } from '../../../src/abi/linux-fcntl.js';
import { createVfs, Registry, type FileDescription, type FsContext, type Location, type ProcessView, type SandboxProviders, type UserMemory, type Vfs } from '../../../src/vfs/index.js';
import type { JobControl } from '../../../src/vfs/devpts/job-control.js';
import { registerSyntheticFilesystems, type SyntheticFilesystems } from '../../../src/vfs/synthetic/index.js';
import { ALL_CAPS, makeBundle } from '../helpers.js';

export const SPEC_MOUNTS = [
  { destination: '/proc', type: 'proc', source: 'proc' },
  { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
  { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
];
export const DEVPTS_MOUNT = { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] };
export const MQUEUE_MOUNT = { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] };

export interface FakeProcess extends ProcessView {
  pgid: number;
  sid: number;
  comm: string;
  state: string;
  fsContext: FsContext;
  exe: Location | undefined;
  readonly fdTable: Map<number, FileDescription>;
}

export interface Sandbox {
  vfs: Vfs;
  bundle: string;
  rootfs: string;
  synthetic: SyntheticFilesystems;
  processes: Map<number, FakeProcess>;
  signals: [pgid: number, signo: number][];
  /** The process making calls (what /proc/self and terminal ioctls see). */
  current: number;
  ctx(pid?: number): FsContext;
  addProcess(pid: number, fields?: Partial<FakeProcess>): FakeProcess;
  /** Opens path for process pid and installs it as fd (the lowest free by default). */
  openFd(pid: number, path: string, flags: number, fd?: number): number;
}

export function makeSandbox(
  options: { mounts?: object[]; readonly?: boolean; tree?: Record<string, string | null | { link: string }>; openOtherTerminal?: JobControl['openOtherTerminal'] } = {},
): Sandbox {
  const { bundle, rootfs } = makeBundle(options.tree ?? { 'etc/hostname': 'box\n', 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n', tmp: null });
  const registry = new Registry();
  const processes = new Map<number, FakeProcess>();
  const signals: [number, number][] = [];
  const sandbox = { processes, signals, current: 1, bundle, rootfs } as Sandbox;
  const providers: SandboxProviders = {
    hostname: () => 'box',
    domainname: () => '(none)',
    currentPid: () => sandbox.current,
    currentTid: () => sandbox.current,
    processes: () => [...processes.keys()],
    process: (pid) => processes.get(pid),
    uptime: () => 12.5,
  };
  sandbox.synthetic = registerSyntheticFilesystems(registry, {
    providers,
    jobControl: {
      signalProcessGroup: (pgid, signo) => signals.push([pgid, signo]),
      ...(options.openOtherTerminal ? { openOtherTerminal: options.openOtherTerminal } : {}),
    },
    machine: { cpus: 2, memTotalBytes: 2 * 1024 ** 3, memFreeBytes: () => 1024 ** 3, cpuModel: 'Test CPU @ 2.00GHz', cpuMHz: 2000, cpuFlags: 'fpu sse2 avx2' },
  });
  const mounts = (options.mounts ?? SPEC_MOUNTS) as { destination: string; type?: string; source?: string; options?: string[] }[];
  const vfs = createVfs({ spec: { root: { path: 'rootfs', readonly: options.readonly === true }, mounts }, bundleDir: bundle, registry, providers });
  sandbox.vfs = vfs;
  sandbox.ctx = (pid = sandbox.current) => (processes.get(pid) as FakeProcess).fsContext;
  sandbox.addProcess = (pid, fields = {}) => {
    const fdTable = new Map<number, FileDescription>();
    const threadNames = new Map<number, string>();
    const proc: FakeProcess = {
      pid,
      ppid: 0,
      pgid: pid,
      sid: pid,
      tids: [pid],
      state: 'S',
      comm: 'sh',
      cmdline: Buffer.from('/bin/sh\0-c\0echo hi\0', 'latin1'),
      environ: Buffer.from('PATH=/bin\0HOME=/root\0', 'latin1'),
      uid: 0,
      gid: 0,
      euid: 0,
      egid: 0,
      startTicks: 42,
      fsContext: { root: vfs.root, cwd: vfs.root, umask: 0o022, creds: { uid: 0, gid: 0, groups: [], caps: ALL_CAPS } },
      exe: undefined,
      fds: () => fdTable,
      fdTable,
      threadComm: (tid) => (tid === pid ? proc.comm : threadNames.get(tid) ?? proc.comm),
      setThreadComm: (tid, name) => {
        if (tid === pid) proc.comm = name;
        else threadNames.set(tid, name);
      },
      ...fields,
    };
    processes.set(pid, proc);
    return proc;
  };
  sandbox.openFd = (pid, path, flags, fd) => {
    const proc = processes.get(pid) as FakeProcess;
    const file = vfs.open(proc.fsContext, undefined, path, flags | O.CLOEXEC, 0o644);
    let n = fd ?? 0;
    if (fd === undefined) while (proc.fdTable.has(n)) n++;
    proc.fdTable.set(n, file);
    return n;
  };
  return sandbox;
}

/** A VFS over an existing bundle, with the synthesized types registered and no processes. */
export function makeSandboxOver(bundle: string): Vfs {
  const registry = new Registry();
  const providers: SandboxProviders = {
    hostname: () => 'box',
    domainname: () => '(none)',
    currentPid: () => 1,
    currentTid: () => 1,
    processes: () => [],
    process: () => undefined,
    uptime: () => 0,
  };
  registerSyntheticFilesystems(registry, { providers, jobControl: { signalProcessGroup: () => {} } });
  return createVfs({ spec: { root: { path: 'rootfs', readonly: true }, mounts: SPEC_MOUNTS }, bundleDir: bundle, registry, providers });
}

/** A small flat memory for ioctl arguments. */
export class FakeMemory implements UserMemory {
  readonly bytes = new Uint8Array(4096);

  read(addr: bigint, length: number): Uint8Array {
    return this.bytes.slice(Number(addr), Number(addr) + length);
  }

  write(addr: bigint, data: Uint8Array): void {
    this.bytes.set(data, Number(addr));
  }

  int(addr: bigint): number {
    return Buffer.from(this.bytes.buffer).readInt32LE(Number(addr));
  }

  setInt(addr: bigint, value: number): void {
    Buffer.from(this.bytes.buffer).writeInt32LE(value, Number(addr));
  }
}

export function text(bytes: Uint8Array, n: number): string {
  return Buffer.from(bytes.subarray(0, n)).toString('latin1');
}

export function bytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}
