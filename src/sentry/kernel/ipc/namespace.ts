// An IPC namespace (ipc_namespaces(7)): its POSIX message queues (the ones an mqueue
// mount made in it shows) and its System V semaphores, message queues and shared memory,
// each with Linux's limits. The sandbox starts with one; unshare(CLONE_NEWIPC) makes more
// (sibling). Handlers reach a task's through KernelServices.ipc.

import { MSG_LIMITS, SEM_LIMITS } from '../../../abi/linux-ipc.js';
import type { Inode, SysvIpcRows } from '../../../vfs/api.js';
import { LiveSet } from '../../../vfs/live-set.js';
import type { MqueueEntry, MqueueNamespace } from '../../../vfs/mqueue/namespace.js';
import { SysvMessageQueue } from './msg.js';
import { IpcRegistry } from './registry.js';
import { SemaphoreSet } from './sem.js';
import { SharedMemory, type HostVma, type ShmSegment } from './shm.js';
import { UndoLists } from './undo.js';

/** The sandbox's message queues as the VFS's mqueue filesystem keeps them. */
export interface PosixQueues {
  readonly mqueues: MqueueNamespace;
  /** The inode of a queue on the internal mqueue mount mq_open reaches it through. */
  mqueueInode(entry: MqueueEntry): Inode;
  /** Empty queues of a new IPC namespace, with the same limits. */
  fresh(): PosixQueues;
}

export class IpcNamespace {
  readonly semaphores = new IpcRegistry<SemaphoreSet>(SEM_LIMITS.semmni);
  readonly undo = new UndoLists();
  readonly messageQueues = new IpcRegistry<SysvMessageQueue>(MSG_LIMITS.msgmni);
  readonly shm = new SharedMemory();

  /**
   * Every IPC namespace of the sandbox still in use: a process's exit and exec reach the
   * segments and SEM_UNDO adjustments it left in namespaces it has since moved out of. Held
   * weakly, so a namespace goes when no task holds it any more.
   */
  private readonly family: LiveSet<IpcNamespace>;

  constructor(
    readonly posix: PosixQueues,
    family?: LiveSet<IpcNamespace>,
  ) {
    this.family = family ?? new LiveSet();
    this.family.add(this);
  }

  /** unshare(CLONE_NEWIPC): a new, empty namespace of the same sandbox. */
  sibling(): IpcNamespace {
    return new IpcNamespace(this.posix.fresh(), this.family);
  }


  /** Semaphores of all sets together (SEMMNS counts them). */
  get semaphoreCount(): number {
    return this.semaphores.all().reduce((sum, set) => sum + set.nsems, 0);
  }

  /** A process ended: its SEM_UNDO adjustments apply, its shared memory is detached. */
  processExited(pid: number): void {
    for (const ns of this.family) {
      ns.undo.exit(pid);
      ns.shm.detachAll(pid, realtimeSeconds());
    }
  }

  /** fork (not CLONE_VM): the child has its parent's shared memory attached too. */
  processForked(parent: number, child: number): void {
    for (const ns of this.family) ns.shm.forked(parent, child, realtimeSeconds());
  }

  /** execve: a new address space, without the old one's shared memory. */
  processExecuted(pid: number): void {
    for (const ns of this.family) ns.shm.detachAll(pid, realtimeSeconds());
  }

  /** shm_nattch as the host's mappings have it now (see SharedMemory.reconcile). */
  reconcileShm(vmasOf: (pid: number) => readonly HostVma[] | undefined): void {
    this.shm.reconcile(vmasOf, realtimeSeconds());
  }

  /** /proc/sysvipc's rows, as the sandbox's processes see them (vmasOf: the host's mappings of a process, for shm_nattch). */
  rows(vmasOf?: (pid: number) => readonly HostVma[] | undefined): SysvIpcRows {
    if (vmasOf) this.reconcileShm(vmasOf);
    const base = ({ perm }: SemaphoreSet | SysvMessageQueue | ShmSegment) => ({ key: perm.key, id: perm.id, mode: perm.mode, uid: perm.uid, gid: perm.gid, cuid: perm.cuid, cgid: perm.cgid });
    return {
      sem: this.semaphores.all().map((set) => ({ ...base(set), nsems: set.nsems, otime: set.otime, ctime: set.ctime })),
      msg: this.messageQueues.all().map((q) => ({ ...base(q), cbytes: q.bytes, qnum: q.messages.length, lspid: q.lspid, lrpid: q.lrpid, stime: q.stime, rtime: q.rtime, ctime: q.ctime })),
      shm: this.shm.segments.all().map((s) => ({ ...base(s), size: s.size, cpid: s.cpid, lpid: s.lpid, nattch: s.nattch, atime: s.atime, dtime: s.dtime, ctime: s.ctime, rssPages: s.residentPages })),
    };
  }
}

/** Seconds of CLOCK_REALTIME, for what an exit or exec records (the kernel's clock is the host's). */
function realtimeSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
