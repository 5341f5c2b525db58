// Linux's rules for attribute changes, as pure functions of the caller's credentials and
// the file's current attributes: who may chmod, chown, set times or touch xattrs, and
// which setuid/setgid bits a change drops. The VFS adds the mount checks (EROFS).

import { E, fail } from '../abi/errno.js';
import { XATTR_NAME_CAPS, storedFileCapabilities } from '../abi/linux-capability.js';
import { CAP, S, UTIME_NOW, UTIME_OMIT, type AttrChange, type Credentials, type Inode, type Stat, type Timespec } from './api.js';
import { MAY_WRITE, checkOwnerOrFowner, checkPermission, hasCap, hasCapOver, inGroup, modePermits } from './creds.js';
import { now } from './time.js';

const XATTR_NAMESPACES = ['user.', 'trusted.', 'security.', 'system.'];
const SETGID_EXEC = S.ISGID | 0o010;

/** chmod: the owner or CAP_FOWNER; setgid silently dropped for a group one is not in. */
export function chmodChange(creds: Credentials, st: Stat, mode: number): AttrChange {
  if ((st.mode & S.IFMT) === S.IFLNK) fail(E.EOPNOTSUPP);
  checkOwnerOrFowner(creds, st);
  let bits = mode & 0o7777;
  if (bits & S.ISGID && !inGroup(creds, st.gid) && !hasCapOver(creds, CAP.FSETID, st)) bits &= ~S.ISGID;
  return { mode: bits };
}

/**
 * chown: CAP_CHOWN changes anything; an owner may only change the group, to one of
 * theirs. -1 leaves an id alone. Any chown of a non-directory, even to -1/-1, drops
 * setuid, and setgid when it means "group executable" (ATTR_KILL_SUID|ATTR_KILL_SGID).
 */
export function chownChange(creds: Credentials, st: Stat, uid: number, gid: number): AttrChange {
  const newUid = uid === -1 || uid === 0xffffffff ? undefined : uid;
  const newGid = gid === -1 || gid === 0xffffffff ? undefined : gid;
  if (!hasCapOver(creds, CAP.CHOWN, st)) {
    if (newUid !== undefined && newUid !== st.uid) fail(E.EPERM);
    if (newGid !== undefined && newGid !== st.gid && (creds.uid !== st.uid || !inGroup(creds, newGid))) fail(E.EPERM);
    if ((newUid !== undefined || newGid !== undefined) && creds.uid !== st.uid) fail(E.EPERM);
  }
  const change: AttrChange = {};
  if (newUid !== undefined) change.uid = newUid;
  if (newGid !== undefined) change.gid = newGid;
  const type = st.mode & S.IFMT;
  if (type !== S.IFDIR && type !== S.IFLNK) {
    let mode = st.mode & ~S.ISUID;
    if ((mode & SETGID_EXEC) === SETGID_EXEC) mode &= ~S.ISGID;
    if (mode !== st.mode) change.mode = mode & 0o7777;
  }
  return change;
}

/** The mode change a write or truncate makes (file_remove_privs), unless CAP_FSETID. */
export function dropSetidChange(creds: Credentials, st: Stat): AttrChange | undefined {
  if ((st.mode & S.IFMT) !== S.IFREG || hasCapOver(creds, CAP.FSETID, st)) return undefined;
  let mode = st.mode & ~S.ISUID;
  if ((mode & SETGID_EXEC) === SETGID_EXEC) mode &= ~S.ISGID;
  return mode === st.mode ? undefined : { mode: mode & 0o7777 };
}

/** utimensat's times, checked: EINVAL for a bad nsec; undefined when both are UTIME_OMIT. */
export function requestedTimes(atime: Timespec | undefined, mtime: Timespec | undefined): [Timespec, Timespec] | undefined {
  const a = atime ?? { sec: 0, nsec: UTIME_NOW };
  const m = mtime ?? { sec: 0, nsec: UTIME_NOW };
  for (const t of [a, m]) {
    if (t.nsec !== UTIME_NOW && t.nsec !== UTIME_OMIT && (t.nsec < 0 || t.nsec > 999_999_999)) fail(E.EINVAL);
  }
  return a.nsec === UTIME_OMIT && m.nsec === UTIME_OMIT ? undefined : [a, m];
}

/**
 * utimensat: explicit times need the owner or CAP_FOWNER (EPERM); "now" also allows
 * anyone who may write the file (EACCES otherwise), or holds it open for writing.
 */
export function utimensChange(creds: Credentials, inode: Inode, st: Stat, [a, m]: [Timespec, Timespec], openForWrite: boolean): AttrChange {
  const isNowOrOmit = (t: Timespec) => t.nsec === UTIME_NOW || t.nsec === UTIME_OMIT;
  if (creds.uid !== st.uid && !hasCapOver(creds, CAP.FOWNER, st)) {
    if (!isNowOrOmit(a) || !isNowOrOmit(m)) fail(E.EPERM);
    if (!openForWrite && !(inode.permission ? inode.permission(creds, MAY_WRITE) : modePermits(creds, st, MAY_WRITE))) fail(E.EACCES);
  }
  const t = now();
  const change: AttrChange = { ctime: t };
  if (a.nsec !== UTIME_OMIT) change.atime = a.nsec === UTIME_NOW ? t : a;
  if (m.nsec !== UTIME_OMIT) change.mtime = m.nsec === UTIME_NOW ? t : m;
  return change;
}

/**
 * xattr access for mask (MAY_READ or MAY_WRITE): known namespaces only, trusted.* for
 * CAP_SYS_ADMIN, user.* on regular files and directories with the file's permissions;
 * changing security.capability needs CAP_SETFCAP, any other security.* CAP_SYS_ADMIN.
 */
export function checkXattrAccess(creds: Credentials, inode: Inode, st: Stat, name: string, mask: number): void {
  if (name.length === 0 || name.length > 255) fail(E.ERANGE);
  if (!XATTR_NAMESPACES.some((prefix) => name.startsWith(prefix))) fail(E.EOPNOTSUPP);
  const writing = (mask & MAY_WRITE) !== 0;
  if (name.startsWith('trusted.') && !hasCap(creds, CAP.SYS_ADMIN)) fail(writing ? E.EPERM : E.ENODATA);
  if (writing && name.startsWith('security.') && !hasCap(creds, name === XATTR_NAME_CAPS ? CAP.SETFCAP : CAP.SYS_ADMIN)) fail(E.EPERM);
  if (name.startsWith('user.')) {
    const type = st.mode & S.IFMT;
    if (type !== S.IFREG && type !== S.IFDIR) fail(writing ? E.EPERM : E.ENODATA);
    if (type === S.IFDIR && st.mode & S.ISVTX && writing && creds.uid !== st.uid && !hasCapOver(creds, CAP.FOWNER, st)) fail(E.EPERM);
    checkPermission(creds, inode, mask, st);
  }
}

/**
 * The value setxattr stores: security.capability is checked and normalised as the kernel
 * does (only v2/v3 headers, EINVAL otherwise), so exec reads what a host would.
 */
export function xattrValueToStore(name: string, value: Uint8Array): Uint8Array {
  if (name !== XATTR_NAME_CAPS) return value;
  return storedFileCapabilities(value) ?? fail(E.EINVAL);
}
