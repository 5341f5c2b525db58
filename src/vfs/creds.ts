// Permission checks against sandbox credentials: Linux's generic_permission and the
// ownership rules of chmod/chown/utimes/sticky directories.

import { E, fail } from '../abi/errno.js';
import { CAP, S, type Credentials, type Inode, type Stat } from './api.js';

export const MAY_EXEC = 1;
export const MAY_WRITE = 2;
export const MAY_READ = 4;

export function hasCap(creds: Credentials, cap: number): boolean {
  return (creds.caps & (1n << BigInt(cap))) !== 0n;
}

/** capable_wrt_inode_uidgid: cap over the sandbox, or over a user namespace of the caller's own that maps the file's owner and group. */
export function hasCapOver(creds: Credentials, cap: number, st: { readonly uid: number; readonly gid: number }): boolean {
  if (hasCap(creds, cap)) return true;
  const ns = creds.userNamespace;
  return ns !== undefined && (ns.caps & (1n << BigInt(cap))) !== 0n && ns.maps(st.uid, st.gid);
}

export function inGroup(creds: Credentials, gid: number): boolean {
  return creds.gid === gid || creds.groups.includes(gid);
}

export function isOwner(creds: Credentials, st: Stat): boolean {
  return creds.uid === st.uid;
}

/** Whether creds may access a file with st's mode for mask (MAY_* bits). */
export function modePermits(creds: Credentials, st: Stat, mask: number): boolean {
  const mode = st.mode;
  let bits: number;
  if (creds.uid === st.uid) bits = (mode >> 6) & 7;
  else if (inGroup(creds, st.gid)) bits = (mode >> 3) & 7;
  else bits = mode & 7;
  if ((bits & mask) === mask) return true;

  const isDir = (mode & S.IFMT) === S.IFDIR;
  if (hasCapOver(creds, CAP.DAC_OVERRIDE, st)) {
    // Exec of a file needs at least one exec bit even for root; directories are searchable.
    if (!(mask & MAY_EXEC) || isDir || (mode & 0o111) !== 0) return true;
  }
  if (hasCapOver(creds, CAP.DAC_READ_SEARCH, st)) {
    const allowed = isDir ? MAY_READ | MAY_EXEC : MAY_READ;
    if ((mask & ~allowed) === 0) return true;
  }
  return false;
}

/** Throws EACCES unless creds may access inode for mask. */
export function checkPermission(creds: Credentials, inode: Inode, mask: number, st: Stat = inode.stat()): void {
  const ok = inode.permission ? inode.permission(creds, mask) : modePermits(creds, st, mask);
  if (!ok) fail(E.EACCES);
}

/** chmod, utimes with explicit times, xattr changes: the owner or CAP_FOWNER (EPERM). */
export function checkOwnerOrFowner(creds: Credentials, st: Stat): void {
  if (creds.uid !== st.uid && !hasCapOver(creds, CAP.FOWNER, st)) fail(E.EPERM);
}

/** Unlink/rename in a sticky directory: owner of the file or of the directory, or CAP_FOWNER. */
export function checkSticky(creds: Credentials, dir: Stat, victim: Stat): void {
  if (!(dir.mode & S.ISVTX)) return;
  if (creds.uid === victim.uid || creds.uid === dir.uid || hasCapOver(creds, CAP.FOWNER, victim)) return;
  fail(E.EPERM);
}
