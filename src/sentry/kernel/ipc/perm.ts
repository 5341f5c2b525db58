// struct kern_ipc_perm of a System V object and Linux's rules over it: access by the
// mode's owner, group and other bits (ipcperms, CAP_IPC_OWNER), and who may change or
// remove it (the owner or creator, or CAP_SYS_ADMIN).

import { E, fail } from '../../../abi/errno.js';
import { IPC64_PERM_OFFSET, IPC64_PERM_SIZE } from '../../../abi/linux-ipc.js';
import { CAP } from '../../../abi/linux-capability.js';
import { hasCapability } from '../credentials.js';
import type { TaskCredentials } from '../syscall.js';
import { WaitQueue } from '../../../waiter/index.js';


export class IpcPerm {
  uid: number;
  gid: number;
  readonly cuid: number;
  readonly cgid: number;

  constructor(
    /** IPC_PRIVATE once a shared memory segment is removed while attached (no shmget finds it). */
    public key: number,
    readonly id: number,
    readonly seq: number,
    public mode: number,
    creator: TaskCredentials,
  ) {
    this.uid = this.cuid = creator.euid;
    this.gid = this.cgid = creator.egid;
  }

  /** ipcperms: whether creds may read (4) or write (2) the object; the bits of flag ask. */
  permits(creds: TaskCredentials, flag: number): boolean {
    const requested = ((flag >> 6) | (flag >> 3) | flag) & 7;
    let granted = this.mode;
    if (creds.euid === this.cuid || creds.euid === this.uid) granted >>= 6;
    else if (inGroup(creds, this.cgid) || inGroup(creds, this.gid)) granted >>= 3;
    return (requested & ~granted & 7) === 0 || hasCapability(creds, CAP.IPC_OWNER);
  }

  /** EACCES unless permits(creds, flag). */
  check(creds: TaskCredentials, flag: number): void {
    if (!this.permits(creds, flag)) fail(E.EACCES);
  }

  /** IPC_SET and IPC_RMID: the owner, the creator or CAP_SYS_ADMIN; EPERM otherwise. */
  checkOwner(creds: TaskCredentials): void {
    if (creds.euid !== this.cuid && creds.euid !== this.uid && !hasCapability(creds, CAP.SYS_ADMIN)) fail(E.EPERM);
  }

  /** IPC_SET's part of the perm: owner and the mode's nine permission bits. */
  set(uid: number, gid: number, mode: number): void {
    this.uid = uid;
    this.gid = gid;
    this.mode = (this.mode & ~0o777) | (mode & 0o777);
  }

  /** struct ipc64_perm at buf[offset]. */
  encode(buf: Buffer, offset = 0): void {
    buf.writeInt32LE(this.key, offset + IPC64_PERM_OFFSET.key);
    buf.writeUInt32LE(this.uid, offset + IPC64_PERM_OFFSET.uid);
    buf.writeUInt32LE(this.gid, offset + IPC64_PERM_OFFSET.gid);
    buf.writeUInt32LE(this.cuid, offset + IPC64_PERM_OFFSET.cuid);
    buf.writeUInt32LE(this.cgid, offset + IPC64_PERM_OFFSET.cgid);
    buf.writeUInt32LE(this.mode, offset + IPC64_PERM_OFFSET.mode);
    buf.writeUInt16LE(this.seq & 0xffff, offset + IPC64_PERM_OFFSET.seq);
  }
}

/** What IPC_SET takes from a struct ipc64_perm: uid, gid and mode. */
export function decodePermSet(buf: Buffer): { uid: number; gid: number; mode: number } {
  return { uid: buf.readUInt32LE(IPC64_PERM_OFFSET.uid), gid: buf.readUInt32LE(IPC64_PERM_OFFSET.gid), mode: buf.readUInt32LE(IPC64_PERM_OFFSET.mode) };
}

export { IPC64_PERM_SIZE };

function inGroup(creds: TaskCredentials, gid: number): boolean {
  return creds.egid === gid || creds.groups.includes(gid);
}

/** What every System V object has: its perm, whether IPC_RMID removed it, and its waiters. */
export abstract class IpcObject {
  removed = false;
  /** Notified when the object changes in a way a waiter may be waiting for. */
  readonly changes = new WaitQueue();

  constructor(readonly perm: IpcPerm) {}

  /** A change: every waiter checks again whether it can go on. */
  changed(): void {
    this.changes.notify(1);
  }

  /** IPC_RMID: waiters wake to EIDRM. */
  remove(): void {
    this.removed = true;
    this.changed();
  }
}
