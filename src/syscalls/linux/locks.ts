// Advisory file locks, emulated per sandbox: fcntl record locks (owned by a process, or
// by an open file description for F_OFD_*) and flock(2) locks (owned by a description).
// Nothing reaches the host: the locks coordinate the sandbox's own tasks.

import { E, fail } from '../../abi/errno.js';
import { LOCK_TYPE } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { isNamedByAnyFd, onFdClosed, type FdTable } from '../../sentry/kernel/fd-table.js';
import type { FileDescription, Inode, Waitable } from '../../vfs/api.js';
import { WaitQueue } from '../../waiter/index.js';

/**
 * Who holds a record lock: for POSIX locks the fd table (Linux's fl_owner is the
 * files_struct, so threads share their locks and any close drops them); for OFD locks
 * the open file description.
 */
export type LockOwner = FdTable | FileDescription;

export interface RecordLock {
  owner: LockOwner;
  /** What F_GETLK reports as l_pid: the locking process, or -1 for an OFD lock. */
  pid: number;
  type: number; // LOCK_TYPE.RDLCK or WRLCK
  start: number;
  /** Inclusive; Infinity for "to the end of the file, however it grows". */
  end: number;
}

interface InodeLocks {
  records: RecordLock[];
  flocks: Map<FileDescription, 'shared' | 'exclusive'>;
  /** Woken whenever a lock goes away, for the waiters of SETLKW and flock. */
  changed: WaitQueue;
}

const byInode = new WeakMap<Inode, InodeLocks>();

function locksOf(inode: Inode): InodeLocks {
  let locks = byInode.get(inode);
  if (!locks) {
    locks = { records: [], flocks: new Map(), changed: new WaitQueue() };
    byInode.set(inode, locks);
  }
  return locks;
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start <= b.end && b.start <= a.end;
}

/** The first lock of another owner that keeps `wanted` from being taken (F_GETLK's answer). */
export function conflictingRecord(inode: Inode, wanted: RecordLock): RecordLock | undefined {
  return byInode.get(inode)?.records.find(
    (held) => held.owner !== wanted.owner && overlaps(held, wanted) && (held.type === LOCK_TYPE.WRLCK || wanted.type === LOCK_TYPE.WRLCK),
  );
}

/**
 * Applies a lock or unlock for its owner: the owner's locks in the range are replaced
 * (split where they stick out). Call only when conflictingRecord found nothing.
 */
export function setRecord(inode: Inode, lock: RecordLock): void {
  const locks = locksOf(inode);
  const kept: RecordLock[] = [];
  for (const held of locks.records) {
    if (held.owner !== lock.owner || !overlaps(held, lock)) {
      kept.push(held);
      continue;
    }
    if (held.start < lock.start) kept.push({ ...held, end: lock.start - 1 });
    if (held.end > lock.end) kept.push({ ...held, start: lock.end + 1 });
  }
  if (lock.type !== LOCK_TYPE.UNLCK) kept.push(lock);
  // Ordered by start, so F_GETLK reports the lowest conflicting range first.
  locks.records = kept.sort((a, b) => a.start - b.start);
  locks.changed.notify(POLL.IN);
}

/** A readiness source that is ready once `blocked()` turns false, for SETLKW and flock. */
export function lockWait(inode: Inode, blocked: () => boolean): Waitable {
  const locks = locksOf(inode);
  return {
    readiness: (mask) => (blocked() ? 0 : mask & POLL.IN),
    subscribe: (mask, callback) => locks.changed.subscribe(mask, callback),
  };
}

export function heldFlock(file: FileDescription): 'shared' | 'exclusive' | undefined {
  return byInode.get(file.inode)?.flocks.get(file);
}

/** Whether another description's flock lock keeps file from taking one of this kind. */
export function flockBlocked(file: FileDescription, kind: 'shared' | 'exclusive'): boolean {
  for (const [holder, held] of byInode.get(file.inode)?.flocks ?? []) {
    if (holder !== file && (kind === 'exclusive' || held === 'exclusive')) return true;
  }
  return false;
}

/** flock(2) lock request; false when another description's lock is in the way. */
export function tryFlock(file: FileDescription, kind: 'shared' | 'exclusive'): boolean {
  if (flockBlocked(file, kind)) return false;
  locksOf(file.inode).flocks.set(file, kind);
  return true;
}

export function unlockFlock(file: FileDescription): void {
  const locks = byInode.get(file.inode);
  if (locks?.flocks.delete(file)) locks.changed.notify(POLL.IN);
}

function removeRecords(inode: Inode, owner: LockOwner): void {
  const locks = byInode.get(inode);
  if (!locks) return;
  const before = locks.records.length;
  locks.records = locks.records.filter((held) => held.owner !== owner);
  if (locks.records.length !== before) locks.changed.notify(POLL.IN);
}

// Any close of an fd drops the closing table's POSIX locks on the file; the close of the
// last fd naming a description drops its OFD and flock locks.
onFdClosed((table, file) => {
  removeRecords(file.inode, table);
  if (!isNamedByAnyFd(file)) {
    removeRecords(file.inode, file);
    unlockFlock(file);
  }
});

/** Refuses a malformed lock type. */
export function checkLockType(type: number): void {
  if (type !== LOCK_TYPE.RDLCK && type !== LOCK_TYPE.WRLCK && type !== LOCK_TYPE.UNLCK) fail(E.EINVAL);
}
