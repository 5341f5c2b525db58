// What the System V IPC families share: the time their objects record, the *_STAT
// commands, IPC_SET of the owner's fields, and waiting on an object until an operation can go on, its removal (EIDRM),
// a signal or the timeout.

import { E, ERESTARTSYS, SysError, fail } from '../../abi/errno.js';
import { IPC64_PERM_OFFSET, IPC64_PERM_SIZE } from '../../abi/linux-ipc.js';
import { idForTask, idFromTask } from '../../sentry/kernel/credentials.js';
import { decodePermSet, type IpcObject } from '../../sentry/kernel/ipc/perm.js';
import type { IpcRegistry } from '../../sentry/kernel/ipc/registry.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';

/** Seconds of CLOCK_REALTIME, as sem_otime, msg_stime... record them. */
export function nowSeconds(task: SyscallTask): number {
  return Number(task.kernel.realtimeNs() / 1_000_000_000n);
}

/** The mode bits ipcperms asks for to read an object. */
export const IPC_READ = 0o444;

/**
 * IPC_STAT (by id, result 0) or the family's STAT and STAT_ANY (by index, result the id):
 * the object's struct, as encode makes it, written to addr; read permission unless any.
 */
export function statObject<T extends IpcObject>(task: SyscallTask, objects: IpcRegistry<T>, cmd: { byIndex: boolean; any: boolean }, idOrIndex: number, addr: bigint, encode: (object: T, task: SyscallTask) => Buffer): number {
  const object = cmd.byIndex ? objects.atIndex(idOrIndex) : objects.lookup(idOrIndex);
  if (!cmd.any) object.perm.check(task.creds, IPC_READ);
  const out = encode(object, task);
  // Every *id_ds starts with its ipc64_perm: the ids in it as the caller's user namespace sees them.
  for (const [field, kind] of [['uid', 'uid'], ['gid', 'gid'], ['cuid', 'uid'], ['cgid', 'gid']] as const) {
    out.writeUInt32LE(idForTask(task.creds, kind, out.readUInt32LE(IPC64_PERM_OFFSET[field])), IPC64_PERM_OFFSET[field]);
  }
  task.mem.write(addr, out);
  return cmd.byIndex ? object.perm.id : 0;
}

/**
 * IPC_SET of a segment or semaphore set: its owner or creator (or CAP_SYS_ADMIN) sets its
 * uid, gid and mode from the ipc64_perm at addr, which changes its ctime.
 */
export function setObjectPerm<T extends IpcObject & { ctime: number }>(task: SyscallTask, objects: IpcRegistry<T>, id: number, addr: bigint): number {
  const wanted = permSetOf(task, task.mem.read(addr, IPC64_PERM_SIZE));
  const object = objects.lookup(id);
  object.perm.checkOwner(task.creds);
  object.perm.set(wanted.uid, wanted.gid, wanted.mode);
  object.ctime = nowSeconds(task);
  return 0;
}

/** IPC_SET's uid, gid and mode from an ipc64_perm: ids of the caller's user namespace, EINVAL when it maps none. */
export function permSetOf(task: SyscallTask, raw: Buffer): { uid: number; gid: number; mode: number } {
  const wanted = decodePermSet(raw);
  return { ...wanted, uid: idFromTask(task.creds, 'uid', wanted.uid), gid: idFromTask(task.creds, 'gid', wanted.gid) };
}

/** Waits for the next change of object: false when timeoutNs passes first. */
async function nextChange(task: SyscallTask, object: IpcObject, timeoutNs: bigint | undefined): Promise<boolean> {
  let changed = false;
  const waitable = {
    readiness: (mask: number) => (changed || object.removed ? mask : 0),
    subscribe: (mask: number, callback: (events: number) => void) =>
      object.changes.subscribe(mask, (events) => {
        changed = true;
        callback(events);
      }),
  };
  const [ready] = await task.waitAnyReady([{ file: waitable, events: 1 }], timeoutNs);
  return ready !== 0;
}

/**
 * attempt's result, trying again after each change of object while it gives undefined:
 * EIDRM once the object is removed, timedOut after timeoutNs, and for a signal
 * interrupted, the family's errno (semop's EINTR, msgsnd/msgrcv's ERESTARTNOHAND).
 */
export async function retryOnChange<T>(task: SyscallTask, object: IpcObject, attempt: () => T | undefined, timeoutNs: bigint | undefined, interrupted: number, timedOut: number): Promise<T> {
  const deadline = timeoutNs === undefined ? undefined : task.kernel.monotonicNs() + timeoutNs;
  for (;;) {
    const left = deadline === undefined ? undefined : deadline - task.kernel.monotonicNs();
    let changed: boolean;
    try {
      changed = left !== undefined && left <= 0n ? false : await nextChange(task, object, left);
    } catch (error) {
      if (error instanceof SysError && error.errno === ERESTARTSYS) fail(interrupted);
      throw error;
    }
    if (object.removed) fail(E.EIDRM);
    if (!changed) fail(timedOut);
    const result = attempt();
    if (result !== undefined) return result;
  }
}
