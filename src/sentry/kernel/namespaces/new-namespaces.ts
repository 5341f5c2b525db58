// The namespace half of clone(2) and unshare(2): Linux's checks of the CLONE_NEW* flags,
// and the namespaces a task moves into. A task holds its uts, ipc and network namespaces
// through its KernelServices (one object per combination, shared by every task in it)
// and its mount namespace through its root and cwd (FsContext).
//
// Built: CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC (System V objects and POSIX message
// queues), CLONE_NEWNET (a stack with its own loopback, down as Linux makes it, and nothing else), CLONE_NEWCGROUP
// (accepted: the sandbox's cgroup mounts show one root whatever the namespace, so a new
// cgroup namespace looks as Linux makes it for a process at its cgroup's root),
// CLONE_NEWPID (a pid namespace below the caller's pid_for_children: pid-namespace.ts; it
// is the next child's, as Linux's pid_ns_for_children), CLONE_NEWUSER (user-namespace.ts:
// the task gets new credentials, with every capability in the new namespace and none
// outside it; the other namespaces made with it are its). Each new namespace records the
// user namespace that owns it. Not built, answered as a kernel built without it answers:
// CLONE_NEWTIME is EINVAL.

import { E, fail } from '../../../abi/errno.js';
import { CAP } from '../../../abi/linux-capability.js';
import { CLONE, CSIGNAL } from '../../../abi/linux-clone.js';
import { NetworkStack } from '../../../netstack/stack.js';
import type { FsContext } from '../../../vfs/api.js';
import { credentialsIn, fsCredentials, nsCapable } from '../credentials.js';
import { CgroupNamespace } from './nsfs.js';
import { ownerOf, recordOwner } from './user-namespace.js';
import { MAX_PID_NS_LEVEL, PidNamespace } from './pid-namespace.js';
import type { KernelServices, TaskCredentials } from '../syscall.js';

/** Every CLONE_NEW* flag of clone(2) and unshare(2). */
export const CLONE_NEW_ANY = CLONE.NEWNS | CLONE.NEWCGROUP | CLONE.NEWUTS | CLONE.NEWIPC | CLONE.NEWUSER | CLONE.NEWPID | CLONE.NEWNET | CLONE.NEWTIME;

/** The namespaces a task is in: its kernel services (uts, ipc, net) and its mount namespace (root, cwd). */
export interface TaskNamespaces {
  readonly kernel: KernelServices;
  readonly fs: FsContext;
  /** Its credentials in a new user namespace (CLONE_NEWUSER); undefined: unchanged. */
  readonly creds?: TaskCredentials | undefined;
  /** CLONE_NEWPID's new pid namespace, which the task's next children (a clone's child) start in. */
  readonly pidForChildren?: PidNamespace | undefined;
}

/**
 * user.max_user_namespaces of the sandbox: how many user namespaces may live at once below
 * any one (Linux's default is half its thread limit; the sandbox's task limit is lower).
 */
const MAX_USER_NAMESPACES = 1024;

/**
 * create_user_ns and set_cred_user_ns: the creator's ids in a new namespace below its own,
 * with every capability there (and, being in it, none in any namespace outside it). EPERM
 * from a chroot, as Linux refuses it (a chrooted task with CAP_SYS_CHROOT could leave its root).
 */
function newUserNamespace(creds: TaskCredentials, chrooted: boolean): TaskCredentials {
  if (chrooted) fail(E.EPERM);
  const couldSetfcap = (creds.effective & (1n << BigInt(CAP.SETFCAP))) !== 0n;
  return credentialsIn(creds, creds.userNs.child(creds.euid, creds.egid, couldSetfcap, MAX_USER_NAMESPACES));
}

/** What a task brings to a namespace change. */
export interface NamespaceHolder extends TaskNamespaces {
  readonly creds: TaskCredentials;
  /** The pid namespace it is in, and the one its children start in (pid_ns_for_children). */
  readonly pidNamespace: PidNamespace;
  readonly childPidNamespace: PidNamespace;
}

/**
 * The namespaces flags asks for, made from holder's (copy_creds, then create_new_namespaces):
 * the user namespace first, then EPERM without CAP_SYS_ADMIN in the (new) user namespace
 * for any other kind, then alsoCheck, then EINVAL for the kinds not built. The mount
 * namespace, when asked for, is a copy of holder's with its root and cwd moved into it, in
 * a new FsContext (CLONE_FS cannot come with CLONE_NEWNS or CLONE_NEWUSER); made for a
 * less privileged user namespace, its mounts are locked together (lock_mnt_tree).
 */
export function newNamespaces(holder: NamespaceHolder, flags: bigint, alsoCheck?: () => void): TaskNamespaces {
  const old = holder.kernel;
  const oldMounts = old.vfs.mountNamespace(holder.fs);
  const creds = flags & CLONE.NEWUSER ? newUserNamespace(holder.creds, isChrooted(holder.fs)) : holder.creds;
  const owner = creds.userNs;
  if (flags & CLONE_NEW_ANY & ~CLONE.NEWUSER && !nsCapable(creds, owner, CAP.SYS_ADMIN)) fail(E.EPERM);
  alsoCheck?.();
  if (flags & CLONE.NEWTIME) fail(E.EINVAL);
  const pid = flags & CLONE.NEWPID ? newPidNamespace(holder) : undefined;
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
  for (const kind of ['cgroup', 'uts', 'ipc', 'net'] as const) if (kernel[kind] !== old[kind]) recordOwner(kernel[kind], owner);
  if (pid) recordOwner(pid, owner);
  let fs = holder.fs;
  if (flags & CLONE.NEWNS) {
    fs = old.vfs.unshareMounts(holder.fs, ownerOf(oldMounts) !== owner);
    recordOwner(old.vfs.mountNamespace(fs), owner);
  }
  if (creds === holder.creds) return { kernel, fs, pidForChildren: pid };
  return { kernel, fs: { ...fs, creds: fsCredentials(creds) }, creds, pidForChildren: pid };
}

/** current_chrooted: the task's root is not its mount namespace's root (the top of a root mount). */
function isChrooted(fs: FsContext): boolean {
  const { mount, dentry } = fs.root;
  return mount.parent !== undefined || dentry !== mount.root;
}

/**
 * copy_pid_ns: a namespace below the holder's pid_for_children, which must still be its
 * own (a second unshare(CLONE_NEWPID) before it moved is EINVAL); ENOSPC past
 * MAX_PID_NS_LEVEL.
 */
function newPidNamespace(holder: NamespaceHolder): PidNamespace {
  const below = holder.childPidNamespace;
  if (below !== holder.pidNamespace) fail(E.EINVAL);
  if (below.level >= MAX_PID_NS_LEVEL) fail(E.ENOSPC);
  return new PidNamespace(below);
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
