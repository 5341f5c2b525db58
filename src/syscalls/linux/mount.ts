// Mount syscalls: mount(2), umount2(2) and pivot_root(2) in the sandbox's mount namespace,
// for a task with CAP_SYS_ADMIN over it: in the sandbox's user namespace, or in a user
// namespace of its own that owns the mount namespace (then only the filesystems Linux lets
// such a namespace mount, and remounts of only its own filesystems). Paths (the target, a
// bind's source) are the sandbox's, resolved by
// the VFS from the caller's root: no host path is ever reachable. The VFS does the rest
// with Linux's rules (src/vfs/mounting.ts).

import { E, SysError, fail } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import { PATH_MAX } from '../../abi/linux-fcntl.js';
import { MNT, MS, MS_MGC_MSK, MS_MGC_VAL, MS_PROPAGATION, UMOUNT_NOFOLLOW } from '../../abi/linux-mount.js';
import { hasCapability, nsCapable } from '../../sentry/kernel/credentials.js';
import { ownerOf, recordOwner } from '../../sentry/kernel/namespaces/user-namespace.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { int32, pointer } from './decode.js';
import { readPath } from './task-files.js';

/** copy_mount_options: up to a page of data, the last byte a NUL. */
const DATA_MAX = 4096;

/** copy_mount_string: a NULL pointer is no string; a longer one than PATH_MAX is EINVAL. */
function optionalString(task: SyscallTask, addr: bigint): string | undefined {
  if (addr === 0n) return undefined;
  try {
    return task.mem.readCString(addr, PATH_MAX);
  } catch (error) {
    if (error instanceof SysError && error.errno === E.ENAMETOOLONG) fail(E.EINVAL);
    throw error;
  }
}

function mountData(task: SyscallTask, addr: bigint): string {
  if (addr === 0n) return '';
  try {
    return task.mem.readCString(addr, DATA_MAX);
  } catch (error) {
    if (!(error instanceof SysError) || error.errno !== E.ENAMETOOLONG) throw error;
    return task.mem.read(addr, DATA_MAX - 1).toString('latin1');
  }
}

/** may_mount: CAP_SYS_ADMIN over the caller's mount namespace (its owner's user namespace). */
function mayMount(task: SyscallTask): void {
  if (!nsCapable(task.creds, ownerOf(task.kernel.vfs.mountNamespace(task.fs)), CAP.SYS_ADMIN)) fail(E.EPERM);
}

/**
 * mount_capable: a filesystem type without FS_USERNS_MOUNT needs CAP_SYS_ADMIN over the
 * sandbox; one with it, over the namespace it describes (mqueue: the ipc namespace, sysfs:
 * the network namespace; the others: the mount namespace). proc is refused to a user
 * namespace of the sandbox's: Linux also asks that a proc mount the caller can see be
 * fully visible (mount_too_revealing), which the spec's masked paths over /proc prevent,
 * as in a runc container.
 */
function mayMountType(task: SyscallTask, type: string): void {
  const { kernel, creds } = task;
  if (hasCapability(creds, CAP.SYS_ADMIN)) return;
  const describes: Record<string, object | undefined> = {
    tmpfs: kernel.vfs.mountNamespace(task.fs), ramfs: kernel.vfs.mountNamespace(task.fs), devpts: kernel.vfs.mountNamespace(task.fs),
    mqueue: kernel.ipc, sysfs: kernel.net,
  };
  const namespace = describes[type];
  if (!namespace || !nsCapable(creds, ownerOf(namespace), CAP.SYS_ADMIN)) fail(E.EPERM);
}

/** A remount of the filesystem itself (not MS_BIND) needs CAP_SYS_ADMIN over the user namespace it was mounted by. */
function mayReconfigure(task: SyscallTask, fs: object): void {
  if (!nsCapable(task.creds, ownerOf(fs), CAP.SYS_ADMIN)) fail(E.EPERM);
}

/** The propagation flag of a change of type: exactly one, with MS_REC and MS_SILENT at most. */
function propagationFlag(flags: number): number {
  const type = flags & ~(MS.REC | MS.SILENT);
  if (type & ~MS_PROPAGATION || (type & (type - 1)) !== 0) fail(E.EINVAL);
  return type;
}

function mount(task: SyscallTask, args: SyscallArgs): number {
  const type = optionalString(task, pointer(args[2]));
  const source = optionalString(task, pointer(args[0]));
  const data = mountData(task, pointer(args[4]));
  let flags = Number(args[3] & 0xffffffffn);
  if ((flags & MS_MGC_MSK) >>> 0 === MS_MGC_VAL) flags &= ~MS_MGC_MSK;
  const { vfs } = task.kernel;
  const targetPath = readPath(task, pointer(args[1]));
  const target = vfs.resolve(task.fs, undefined, targetPath, { follow: true });
  if (flags & MS.NOUSER) fail(E.EINVAL);
  mayMount(task);
  const recursive = (flags & MS.REC) !== 0;
  if (flags & MS.REMOUNT) {
    if (!(flags & MS.BIND)) mayReconfigure(task, target.mount.fs);
    vfs.remount(task.fs, target, flags, data, (flags & MS.BIND) !== 0);
  } else if (flags & MS.BIND) {
    if (!source) fail(E.EINVAL);
    vfs.mountBind(task.fs, vfs.resolve(task.fs, undefined, source, { follow: true }), target, recursive);
  } else if (flags & MS_PROPAGATION) {
    vfs.setPropagation(task.fs, target, propagationFlag(flags), recursive);
  } else if (flags & MS.MOVE) {
    if (!source) fail(E.EINVAL);
    vfs.moveMount(task.fs, vfs.resolve(task.fs, undefined, source, { follow: true }), target);
  } else {
    if (type === undefined) fail(E.EINVAL);
    mayMountType(task, type);
    vfs.mountNew(task.fs, target, type, source ?? '', flags, data);
    // The new filesystem belongs to the user namespace that owns the mount namespace (the
    // sandbox's own filesystems never change hands: only a mount this call made is taken).
    const made = vfs.resolve(task.fs, undefined, targetPath, { follow: true });
    if (made.mount !== target.mount) recordOwner(made.mount.fs, ownerOf(vfs.mountNamespace(task.fs)));
  }
  return 0;
}

function umount2(task: SyscallTask, args: SyscallArgs): number {
  const flags = int32(args[1]);
  if (flags & ~(MNT.FORCE | MNT.DETACH | MNT.EXPIRE | UMOUNT_NOFOLLOW)) fail(E.EINVAL);
  const path = readPath(task, pointer(args[0]));
  const target = task.kernel.vfs.resolve(task.fs, undefined, path, { follow: (flags & UMOUNT_NOFOLLOW) === 0 });
  mayMount(task);
  task.kernel.vfs.unmount(task.fs, target, flags & ~UMOUNT_NOFOLLOW);
  return 0;
}

/**
 * pivot_root(2): CAP_SYS_ADMIN first (may_mount), then both paths as directories; the
 * rules on the mounts are the VFS's. Only the sandbox's mount tree changes.
 */
function pivot_root(task: SyscallTask, args: SyscallArgs): number {
  mayMount(task);
  const { vfs } = task.kernel;
  const directory = (addr: bigint) => vfs.resolve(task.fs, undefined, readPath(task, addr), { follow: true, directory: true });
  const newRoot = directory(pointer(args[0]));
  const putOld = directory(pointer(args[1]));
  task.process.pivotRoot(newRoot, putOld);
  return 0;
}

export const mountSyscalls = {
  mount,
  pivot_root,
  umount2,
} satisfies Record<string, SyscallHandler>;
