// The namespace half of clone(2) and unshare(2): Linux's checks of the CLONE_NEW* flags,
// and the namespaces a task moves into. A task holds its uts, ipc and network namespaces
// through its KernelServices (one object per combination, shared by every task in it)
// and its mount namespace through its root and cwd (FsContext).
//
// Built: CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC (System V objects and POSIX message
// queues), CLONE_NEWNET (a stack with its own loopback, down as Linux makes it, and nothing else), CLONE_NEWCGROUP
// (accepted: the sandbox's cgroup mounts show one root whatever the namespace, so a new
// cgroup namespace looks as Linux makes it for a process at its cgroup's root). Not built,
// answered as a kernel built without them answers: CLONE_NEWUSER, CLONE_NEWPID and
// CLONE_NEWTIME are EINVAL.

import { E, fail } from '../../../abi/errno.js';
import { CAP } from '../../../abi/linux-capability.js';
import { CLONE, CSIGNAL } from '../../../abi/linux-clone.js';
import { NetworkStack } from '../../../netstack/stack.js';
import type { FsContext } from '../../../vfs/api.js';
import { hasCapability } from '../credentials.js';
import { CgroupNamespace } from './nsfs.js';
import type { KernelServices, TaskCredentials } from '../syscall.js';

/** Every CLONE_NEW* flag of clone(2) and unshare(2). */
export const CLONE_NEW_ANY = CLONE.NEWNS | CLONE.NEWCGROUP | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWUSER | CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWTIME;

/** The namespaces a task is in: its kernel services (uts, ipc, net) and its mount namespace (root, cwd). */
export interface TaskNamespaces {
  readonly kernel: KernelServices;
  readonly fs: FsContext;
}

/** What a task brings to a namespace change. */
export interface NamespaceHolder extends TaskNamespaces {
  readonly creds: TaskCredentials;
}

/**
 * The namespaces flags asks for, made from holder's (create_new_namespaces): EINVAL for
 * the kinds not built (checked first, as copy_creds is for CLONE_NEWUSER), EPERM without
 * CAP_SYS_ADMIN, then alsoCheck. The mount namespace, when asked for, is a copy of holder's with its root
 * and cwd moved into it, in a new FsContext (CLONE_FS cannot come with CLONE_NEWNS).
 */
export function newNamespaces(holder: NamespaceHolder, flags: bigint, alsoCheck?: () => void): TaskNamespaces {
  if (flags & CLONE.NEWUSER) fail(E.EINVAL);
  if (!hasCapability(holder.creds, CAP.SYS_ADMIN)) fail(E.EPERM);
  alsoCheck?.();
  if (flags & (CLONE.NEWPID | CLONE.NEWTIME)) fail(E.EINVAL);
  const old = holder.kernel;
  const kernel: KernelServices =
    flags & (CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWNET | CLONE.NEWCGROUP)
      ? {
          ...old,
          cgroup: flags & CLONE.NEWCGROUP ? new CgroupNamespace() : old.cgroup,
          uts: flags & CLONE.NEWUTS ? old.uts.copy() : old.uts,
          ipc: flags & CLONE.NEWIPC ? old.ipc.sibling() : old.ipc,
          net: flags & CLONE.NEWNET ? new NetworkStack({ memory: old.memory.sockets, loopbackUp: false }) : old.net,
        }
      : old;
  const fs = flags & CLONE.NEWNS ? old.vfs.unshareMounts(holder.fs) : holder.fs;
  return { kernel, fs };
}

/** copy_process's first checks of clone's namespace flags, before any other of its checks. */
export function checkCloneNamespaceFlags(flags: bigint): void {
  if (flags & CLONE.FS && flags & (CLONE.NEWNS | CLONE.NEWUSER)) fail(E.EINVAL);
  if (flags & CLONE.THREAD && flags & (CLONE.NEWUSER | CLONE.NEWPID)) fail(E.EINVAL);
}

/** copy_namespaces: the child's namespaces when clone asks for new ones (undefined: its parent's). */
export function cloneNamespaces(holder: NamespaceHolder, flags: bigint): TaskNamespaces | undefined {
  // clone(2)'s low byte is the exit signal (CLONE_NEWTIME's bit there is clone3's alone).
  const own = flags & ~CSIGNAL;
  if (!(own & CLONE_NEW_ANY)) return undefined;
  // A new IPC namespace cannot keep a shared undo list of the old one.
  return newNamespaces(holder, own, () => {
    if (flags & CLONE.NEWIPC && flags & CLONE.SYSVSEM) fail(E.EINVAL);
  });
}
