// unshare(2) (ksys_unshare): a task stops sharing its fs context, fd table, System V
// undo list or namespaces with others. Every check comes before any change, so a refused
// call changes nothing.

import { E, fail } from '../../../abi/errno.js';
import { CLONE } from '../../../abi/linux-clone.js';
import type { Task } from '../task.js';
import { CLONE_NEW_ANY, newNamespaces } from './new-namespaces.js';

/** The flags unshare(2) knows (check_unshare_flags); any other bit is EINVAL. */
const UNSHARE_FLAGS = CLONE.THREAD | CLONE.FS | CLONE.SIGHAND | CLONE.VM | CLONE.FILES | CLONE.SYSVSEM | CLONE_NEW_ANY;

/** What unshare asks of the rest of the sandbox about the task's process. */
export interface UnshareContext {
  /** Another task (a thread of its process, or a CLONE_VM/CLONE_SIGHAND process) shares its signal handlers or memory. */
  sharesHandlersOrMemory(): boolean;
}

export function unshareTask(task: Task, requested: bigint, context: UnshareContext): void {
  if (requested & ~UNSHARE_FLAGS) fail(E.EINVAL);
  let flags = requested;
  // The implied flags, as Linux adds them: a new user namespace or mount namespace needs
  // its own fs context; unsharing memory needs its own handlers, which need a single thread.
  if (flags & CLONE.NEWUSER) flags |= CLONE.THREAD | CLONE.FS;
  if (flags & CLONE.VM) flags |= CLONE.SIGHAND;
  if (flags & CLONE.SIGHAND) flags |= CLONE.THREAD;
  if (flags & CLONE.NEWNS) flags |= CLONE.FS;
  if (flags & CLONE.THREAD && [...task.group.tasks].some((t) => t !== task && !t.exited)) fail(E.EINVAL);
  if (flags & (CLONE.SIGHAND | CLONE.VM) && context.sharesHandlersOrMemory()) fail(E.EINVAL);

  const fs = flags & CLONE.FS ? { ...task.fs } : task.fs;
  const namespaces = flags & CLONE_NEW_ANY ? newNamespaces({ creds: task.creds, kernel: task.kernel, fs, pidNamespace: task.pidNamespace, childPidNamespace: task.childPidNamespace }, flags) : undefined;

  // Nothing can fail past here.
  if (flags & CLONE.FILES && task.fds.shared) {
    const own = task.fds.fork();
    task.fds.leave();
    task.fds = own;
  }
  // After a switch of IPC namespace the old semaphores are out of reach: their SEM_UNDO
  // adjustments apply now (exit_sem), as they do for CLONE_SYSVSEM.
  if (flags & (CLONE.SYSVSEM | CLONE.NEWIPC)) task.kernel.ipc.undo.exit(task.pid);
  task.fs = namespaces?.fs ?? fs;
  if (namespaces) task.kernel = namespaces.kernel;
  // A new user namespace's credentials are the process's (it has a single thread).
  if (namespaces?.creds) task.group.creds = namespaces.creds;
  // Only its children go into a new pid namespace: the caller stays where it is.
  if (namespaces?.pidForChildren) task.pidForChildren = namespaces.pidForChildren;
}
