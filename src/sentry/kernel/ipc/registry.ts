// One kind of System V object of a namespace (Linux's struct ipc_ids): ids made of a
// sequence number and the lowest free index, lookup by key, the *get(2) rules.

import { E, fail } from '../../../abi/errno.js';
import { IPC, IPC_PRIVATE, IPCID_SEQ_MAX, IPCMNI, IPCMNI_SHIFT } from '../../../abi/linux-ipc.js';
import type { TaskCredentials } from '../syscall.js';
import { IpcPerm, type IpcObject } from './perm.js';

export class IpcRegistry<T extends IpcObject> {
  private readonly byIndex = new Map<number, T>();
  private seq = 0;

  constructor(private readonly maxObjects: number) {}

  get count(): number {
    return this.byIndex.size;
  }

  /**
   * semget/msgget/shmget: the object of key, made by create (with a new perm) when there
   * is none and IPC_CREAT asks, and always for IPC_PRIVATE; for an existing one, EEXIST
   * under IPC_CREAT|IPC_EXCL, then its own checks (more), then the mode bits of flags.
   */
  get(key: number, flags: number, creds: TaskCredentials, create: (perm: IpcPerm) => T, more?: (existing: T) => void): T {
    const existing = key === IPC_PRIVATE ? undefined : this.find(key);
    if (existing) {
      if (flags & IPC.CREAT && flags & IPC.EXCL) fail(E.EEXIST);
      more?.(existing);
      existing.perm.check(creds, flags);
      return existing;
    }
    if (key !== IPC_PRIVATE && !(flags & IPC.CREAT)) fail(E.ENOENT);
    if (this.byIndex.size >= this.maxObjects) fail(E.ENOSPC);
    let index = 0;
    while (this.byIndex.has(index)) index++;
    const seq = this.seq;
    const object = create(new IpcPerm(key, (seq << IPCMNI_SHIFT) + index, seq, flags & 0o777, creds));
    this.seq = seq + 1 > IPCID_SEQ_MAX ? 0 : seq + 1;
    this.byIndex.set(index, object);
    return object;
  }

  private find(key: number): T | undefined {
    for (const object of this.byIndex.values()) if (object.perm.key === key) return object;
    return undefined;
  }

  /** The object with this id: EINVAL for a negative, unknown or stale one. */
  lookup(id: number): T {
    const object = id < 0 ? undefined : this.byIndex.get(id % IPCMNI);
    if (!object || object.perm.id !== id) fail(E.EINVAL);
    return object;
  }

  /** *_STAT: the object at an index (EINVAL when there is none). */
  atIndex(index: number): T {
    const object = index < 0 ? undefined : this.byIndex.get(index);
    if (!object) fail(E.EINVAL);
    return object;
  }

  /** IPC_RMID: the id is free at once; waiters see EIDRM. */
  remove(object: T): void {
    this.byIndex.delete(object.perm.id % IPCMNI);
    object.remove();
  }

  /** The highest index in use, -1 when there is none (what IPC_INFO returns). */
  maxIndex(): number {
    return this.byIndex.size === 0 ? -1 : Math.max(...this.byIndex.keys());
  }

  /** Every object, by index (/proc/sysvipc order). */
  all(): T[] {
    return [...this.byIndex.entries()].sort(([a], [b]) => a - b).map(([, object]) => object);
  }
}
