// setns(2) and the /proc/PID/ns links: a task's namespaces as nsfs inodes, and a task
// moved into the namespaces an nsfs file or a pidfd names. Every namespace a file can name
// is one of the sandbox's (nsfs inodes are made only from a sandbox task's namespaces), so
// no host namespace can be entered. Every check comes before any change (the nsset of
// Linux's setns), so a refused call changes nothing.

import { E, fail } from '../../../abi/errno.js';
import { CAP } from '../../../abi/linux-capability.js';
import type { FileDescription, FsContext } from '../../../vfs/api.js';
import { credentialsIn, fsCredentials, nsCapable } from '../credentials.js';
import { pidfdGroup } from '../files/pidfd.js';
import type { KernelServices, TaskCredentials } from '../syscall.js';
import type { Task } from '../task.js';
import { CLONE_NEW_ANY, type TaskNamespaces } from './new-namespaces.js';
import { NAMESPACE_TYPES, NamespaceInode, type NamespaceType } from './nsfs.js';
import { ownerOf, UserNamespace } from './user-namespace.js';
import type { PidNamespace } from './pid-namespace.js';

/** /proc/PID/ns's links, in Linux's order, with the type each one's namespace is. */
const LINKS: readonly (readonly [string, NamespaceType])[] = [
  ['cgroup', 'cgroup'], ['ipc', 'ipc'], ['mnt', 'mnt'], ['net', 'net'], ['pid', 'pid'], ['pid_for_children', 'pid'],
  ['time', 'time'], ['time_for_children', 'time'], ['user', 'user'], ['uts', 'uts'],
];

/** The namespace of each type a task is in. */
interface Namespaces {
  cgroup: KernelServices['cgroup'];
  ipc: KernelServices['ipc'];
  mnt: object;
  net: KernelServices['net'];
  pid: PidNamespace;
  time: object;
  user: UserNamespace;
  uts: KernelServices['uts'];
}

/** What a task holds its namespaces by: its services, fs context, credentials and pid namespaces. */
export interface NamespaceSource {
  readonly kernel: KernelServices;
  readonly fs: FsContext;
  readonly creds: TaskCredentials;
  readonly pidNamespace: PidNamespace;
  readonly childPidNamespace: PidNamespace;
}

/** The namespace of each type a task is in. */
function namespacesOf(task: NamespaceSource): Namespaces {
  const { kernel, fs } = task;
  const { nsfs } = kernel;
  return { cgroup: kernel.cgroup, ipc: kernel.ipc, mnt: kernel.vfs.mountNamespace(fs), net: kernel.net, pid: task.pidNamespace, time: nsfs.time, user: task.creds.userNs, uts: kernel.uts };
}

/**
 * /proc/PID/ns: each link's name and the nsfs inode it leads to. pid_for_children leads to
 * where its next child starts, and to nothing (ENOENT) while that new namespace has no
 * init yet, as Linux shows it.
 */
export function namespaceLinks(task: NamespaceSource): Map<string, NamespaceInode> {
  const namespaces = namespacesOf(task);
  const forChildren = task.childPidNamespace;
  const shown = LINKS.filter(([name]) => name !== 'pid_for_children' || !forChildren.parent || forChildren.init);
  return new Map(shown.map(([name, type]) => [name, task.kernel.nsfs.inodeOf(type, name === 'pid_for_children' ? forChildren : namespaces[type])]));
}

/** What setns asks of the rest of the sandbox about the caller. */
export interface SetnsContext {
  /** Another task shares its fs context (CLONE_FS). */
  sharesFs(): boolean;
  /** Its process has another live thread. */
  hasOtherThreads(): boolean;
  /** The task a pidfd's process is seen through (its leader, or a live thread), if it is alive. */
  taskOfPidfd(file: FileDescription): Task | undefined;
}

export function setnsTask(task: Task, file: FileDescription, nstype: number, context: SetnsContext): void {
  const flags = BigInt(nstype >>> 0);
  let wanted: Partial<Namespaces> = {};
  const inode = file.inode;
  if (inode instanceof NamespaceInode) {
    if (flags !== 0n && flags !== NAMESPACE_TYPES[inode.type]) fail(E.EINVAL);
    // The inode was made from a namespace of its own type (namespaceLinks).
    wanted = { [inode.type]: inode.namespace } as Partial<Namespaces>;
  } else if (pidfdGroup(file)) {
    if (flags === 0n || flags & ~CLONE_NEW_ANY) fail(E.EINVAL);
    const target = context.taskOfPidfd(file) ?? fail(E.ESRCH);
    const theirs = namespacesOf(target);
    for (const type of Object.keys(NAMESPACE_TYPES) as NamespaceType[]) if (flags & NAMESPACE_TYPES[type]) wanted = { ...wanted, [type]: theirs[type] };
  } else {
    fail(E.EINVAL);
  }
  const entered = enter(task, wanted, context);
  // Out of the old IPC namespace, its semaphores are out of reach: their undo adjustments apply.
  if (entered.kernel.ipc !== task.kernel.ipc) task.kernel.ipc.undo.exit(task.pid);
  task.kernel = entered.kernel;
  task.fs = entered.fs;
  if (entered.creds) task.group.creds = entered.creds;
  // Only its next children start in the pid namespace it entered.
  if (entered.pidForChildren) task.pidForChildren = entered.pidForChildren;
}

/**
 * userns_install: into a user namespace other than its own, by a single-threaded task with
 * its own fs context and CAP_SYS_ADMIN over the namespace; it gets every capability there.
 */
function enterUserNamespace(creds: TaskCredentials, userNs: UserNamespace, context: SetnsContext): TaskCredentials {
  if (userNs === creds.userNs) fail(E.EINVAL);
  if (context.hasOtherThreads() || context.sharesFs()) fail(E.EINVAL);
  if (!nsCapable(creds, userNs, CAP.SYS_ADMIN)) fail(E.EPERM);
  return credentialsIn(creds, userNs);
}

/** Each namespace's install check, in validate_nsset's order; the task's namespaces after them all. */
function enter(task: Task, wanted: Partial<Namespaces>, context: SetnsContext): TaskNamespaces {
  // The user namespace first: the other checks are made with the credentials it gives.
  const creds = wanted.user ? enterUserNamespace(task.creds, wanted.user, context) : task.creds;
  // CAP_SYS_ADMIN over the namespace entered (its owner's user namespace) and over the caller's own.
  const admin = nsCapable(creds, creds.userNs, CAP.SYS_ADMIN);
  const mayEnter = (namespace: object): boolean => admin && nsCapable(creds, ownerOf(namespace), CAP.SYS_ADMIN);
  const kernel = task.kernel;
  let fs = task.fs;
  const mnt = wanted.mnt;
  if (mnt) {
    if (context.sharesFs()) fail(E.EINVAL);
    if (!mayEnter(mnt) || !nsCapable(creds, creds.userNs, CAP.SYS_CHROOT)) fail(E.EPERM);
    fs = kernel.vfs.enterMounts(fs, mnt);
  }
  for (const type of ['uts', 'ipc', 'pid', 'cgroup', 'net'] as const) {
    const namespace = wanted[type];
    if (namespace && !mayEnter(namespace)) fail(E.EPERM);
  }
  if (wanted.time) {
    if (context.hasOtherThreads()) fail(E.EUSERS);
    if (!mayEnter(wanted.time)) fail(E.EPERM);
  }
  // pidns_install: the caller's own pid namespace or one below it, never one above or beside.
  const pidForChildren = wanted.pid;
  if (pidForChildren && !task.pidNamespace.contains(pidForChildren)) fail(E.EINVAL);
  const changed = wanted.user ? { creds } : {};
  if (changed.creds) fs = { ...fs, creds: fsCredentials(creds) };
  const { uts, ipc, net, cgroup } = wanted;
  if (!uts && !ipc && !net && !cgroup) return { kernel, fs, pidForChildren, ...changed };
  return { fs, pidForChildren, ...changed, kernel: { ...kernel, uts: uts ?? kernel.uts, ipc: ipc ?? kernel.ipc, net: net ?? kernel.net, cgroup: cgroup ?? kernel.cgroup } };
}
