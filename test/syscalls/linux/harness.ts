// A fake task for handler tests: Buffer-backed workload memory, a real FdTable and a
// real VFS over a scratch bundle, and waits that behave like the sentry's (no signals).

import { UtsNamespace } from '../../../src/sentry/kernel/namespaces/uts.js';
import { INITIAL_USER_NAMESPACE } from '../../../src/sentry/kernel/namespaces/user-namespace.js';
import { CgroupNamespace, NamespaceFiles } from '../../../src/sentry/kernel/namespaces/nsfs.js';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import { E, SysError, fail } from '../../../src/abi/errno.js';
import { MemoryAccount } from '../../../src/accounting/memory-account.js';
import { createNetworkStack } from '../../../src/netstack/index.js';
import { FdTable } from '../../../src/sentry/kernel/fd-table.js';
import { IpcNamespace } from '../../../src/sentry/kernel/ipc/namespace.js';
import { openFifo } from '../../../src/sentry/kernel/files/pipe.js';
import { registerSyntheticFilesystems } from '../../../src/vfs/synthetic/index.js';
import type { ProcessControl, Rlimit, SyscallArgs, SyscallHandler, SyscallTask, TaskCredentials, TaskMemory } from '../../../src/sentry/kernel/syscall.js';
import { createVfs, Registry, type FsContext, type Vfs, type Waitable } from '../../../src/vfs/index.js';

export const ALL_CAPS = (1n << 41n) - 1n;
const BASE = 0x10000n;

/** Workload memory: one mapped region at BASE, everything else faults. */
export class FakeMemory implements TaskMemory {
  readonly bytes: Buffer;
  private next = 0;

  constructor(size = 4 << 20) {
    this.bytes = Buffer.alloc(size);
  }

  private offset(addr: bigint, length: number): number {
    const off = addr - BASE;
    if (addr < BASE || off + BigInt(length) > BigInt(this.bytes.length)) fail(E.EFAULT);
    return Number(off);
  }

  read(addr: bigint, length: number): Buffer {
    const off = this.offset(addr, length);
    return Buffer.from(this.bytes.subarray(off, off + length));
  }

  readInto(addr: bigint, into: Uint8Array): void {
    const off = this.offset(addr, into.length);
    into.set(this.bytes.subarray(off, off + into.length));
  }

  write(addr: bigint, data: Uint8Array): void {
    this.bytes.set(data, this.offset(addr, data.length));
  }

  readCString(addr: bigint, maxLength: number): string {
    const off = this.offset(addr, 1);
    const end = this.bytes.indexOf(0, off);
    if (end < 0) fail(E.EFAULT);
    if (end - off >= maxLength) fail(E.ENAMETOOLONG);
    return this.bytes.toString('latin1', off, end);
  }

  /** Reserves n zeroed bytes and returns their address. */
  alloc(n: number): bigint {
    const addr = BASE + BigInt(this.next);
    this.next += (n + 15) & ~15;
    return addr;
  }

  cstring(s: string): bigint {
    const data = Buffer.from(s + '\0', 'latin1');
    const addr = this.alloc(data.length);
    this.write(addr, data);
    return addr;
  }

  put(data: Uint8Array): bigint {
    const addr = this.alloc(data.length);
    this.write(addr, data);
    return addr;
  }
}

export interface FakeTask extends SyscallTask {
  readonly mem: FakeMemory;
  readonly signals: number[];
  fs: FsContext;
  nofile: bigint;
}

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** The memory account of each VFS makeVfs made, for the tasks fakeTask makes on it. */
const accounts = new WeakMap<Vfs, MemoryAccount>();

/** A bundle whose rootfs holds `tree` (string: file contents, null: directory); memory is the sandbox's account. */
export function makeVfs(tree: Record<string, string | null> = {}, memory = new MemoryAccount()): { vfs: Vfs; rootfs: string } {
  const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-sys-'));
  scratch.push(bundle);
  const rootfs = path.join(bundle, 'rootfs');
  fs.mkdirSync(rootfs);
  for (const [rel, content] of Object.entries(tree)) {
    const full = path.join(rootfs, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    if (content === null) fs.mkdirSync(full, { recursive: true });
    else fs.writeFileSync(full, content);
  }
  const registry = new Registry();
  registry.setFifo((node, flags, ctx) => openFifo(node, flags, ctx, memory.buffers));
  const ipc = newIpc(registry, memory);
  const vfs = createVfs({ spec: { root: { path: 'rootfs', readonly: false } }, bundleDir: bundle, registry, account: memory, providers: PROVIDERS });
  accounts.set(vfs, memory);
  ipcOf.set(vfs, ipc);
  return { vfs, rootfs };
}

const PROVIDERS = { hostname: () => 'sandbox', domainname: () => '(none)', currentPid: () => 1, currentTid: () => 1, processes: () => [1], process: () => undefined, uptime: () => 0 };

/** An IPC namespace whose message queues are those of registry's mqueue filesystems. */
function newIpc(registry: Registry, memory = new MemoryAccount()): IpcNamespace {
  return new IpcNamespace(registerSyntheticFilesystems(registry, { providers: PROVIDERS, jobControl: { signalProcessGroup: () => {} }, memory }));
}

/** The IPC namespace of each VFS makeVfs made (message queues, System V objects). */
const ipcOf = new WeakMap<Vfs, IpcNamespace>();

export function rootCreds(uid = 0, gid = 0): TaskCredentials {
  const caps = uid === 0 ? ALL_CAPS : 0n;
  return { ruid: uid, euid: uid, suid: uid, fsuid: uid, rgid: gid, egid: gid, sgid: gid, fsgid: gid, groups: [], permitted: caps, effective: caps, inheritable: 0n, bounding: ALL_CAPS, ambient: 0n, securebits: 0, noNewPrivs: false, userNs: INITIAL_USER_NAMESPACE };
}

export function fakeTask(vfs: Vfs, creds: TaskCredentials = rootCreds(), fds = new FdTable()): FakeTask {
  const mem = new FakeMemory();
  const signals: number[] = [];
  const task: FakeTask = {
    tid: 1,
    pid: 1,
    mem,
    fds,
    fs: { root: vfs.root, cwd: vfs.root, umask: 0o022, creds: { uid: creds.fsuid, gid: creds.fsgid, groups: creds.groups, caps: creds.effective } },
    creds,
    nofile: 1024n,
    rlimits: {
      get: (resource: number): Rlimit => (resource === 7 ? { cur: task.nofile, max: 4096n } : { cur: ~0n & 0xffffffffffffffffn, max: 0xffffffffffffffffn }),
      set: () => fail(E.EPERM),
    },
    kernel: {
      vfs,
      memory: accounts.get(vfs) ?? new MemoryAccount(),
      ipc: ipcOf.get(vfs) ?? newIpc(new Registry()),
      net: createNetworkStack(),
      uts: new UtsNamespace('sandbox', '(none)'),
      cgroup: new CgroupNamespace(),
      nsfs: new NamespaceFiles(),
      realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
      monotonicNs: () => process.hrtime.bigint(),
      uptimeNs: () => process.hrtime.bigint(),
    },
    signals,
    signalSelf: (sig: number) => {
      signals.push(sig);
    },
    sleep: (ns: bigint) => new Promise((resolve) => setTimeout(resolve, Number(ns / 1_000_000n))),
    waitReady: (file: Waitable, events: number) =>
      new Promise<number>((resolve) => {
        const now = file.readiness(events);
        if (now) return resolve(now);
        const unsubscribe = file.subscribe(events, () => {
          const ready = file.readiness(events);
          if (ready) {
            unsubscribe();
            resolve(ready);
          }
        });
      }),
    waitChange: (file: Waitable, events: number) =>
      new Promise<number>((resolve) => {
        const unsubscribe = file.subscribe(events, (notified) => {
          unsubscribe();
          resolve(notified);
        });
      }),
    waitAnyReady: (waits, timeoutNs) =>
      new Promise<number[]>((resolve) => {
        const poll = () => waits.map(({ file, events }) => file.readiness(events));
        const first = poll();
        if (first.some((r) => r) || timeoutNs === 0n) return resolve(first);
        const unsubscribes: (() => void)[] = [];
        let timer: NodeJS.Timeout | undefined;
        const finish = (value: number[]) => {
          for (const u of unsubscribes) u();
          if (timer) clearTimeout(timer);
          resolve(value);
        };
        for (const { file, events } of waits) {
          unsubscribes.push(
            file.subscribe(events, () => {
              const ready = poll();
              if (ready.some((r) => r)) finish(ready);
            }),
          );
        }
        if (timeoutNs !== undefined) timer = setTimeout(() => finish(poll()), Number(timeoutNs / 1_000_000n));
      }),
    // The sandbox's own pid namespace: its numbers are the task's.
    process: {
      get pid() {
        return task.pid;
      },
      get tid() {
        return task.tid;
      },
      visiblePid: (id: number) => id,
      pidId: (pid: number) => pid,
    } as ProcessControl,
  };
  return task;
}

/** Calls a handler as the dispatcher does: SysError becomes -errno. */
export async function call(task: SyscallTask, handler: SyscallHandler, ...args: (bigint | number)[]): Promise<number> {
  const regs = [0, 1, 2, 3, 4, 5].map((i) => BigInt.asUintN(64, BigInt(args[i] ?? 0))) as unknown as SyscallArgs;
  try {
    const result = await handler(task, regs);
    if (typeof result === 'object') throw new Error(`handler answered ${result.kind === 'host' ? 'run on host' : result.kind}`);
    return Number(result);
  } catch (e) {
    if (e instanceof SysError) return -e.errno;
    throw e;
  }
}

export const AT_FDCWD = -100;
