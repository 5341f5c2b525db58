// A task's identity (Linux's struct cred) and the rules of the set*id calls. Immutable
// values: a change makes a new TaskCredentials, as Linux's prepare_creds/commit_creds do.

import { E, fail } from '../abi/errno.js';
import type { Credentials } from '../vfs/api.js';
import type { TaskCredentials } from './syscall.js';

export const CAP_SETGID = 6;
export const CAP_SETUID = 7;
export const CAP_SETPCAP = 8;
export const CAP_SYS_ADMIN = 21;
export const CAP_SYS_RESOURCE = 24;
export const CAP_LAST_CAP = 40;
export const ALL_CAPS = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

/** The capability names OCI specs use (CAP_CHOWN ...), by number. */
export const CAP_NAMES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID',
  'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW',
  'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT',
  'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD',
  'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG',
  'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];

/** A capability set from OCI names ("CAP_CHOWN"); unknown names are ignored, as runc warns. */
export function capsFromNames(names: readonly string[] | undefined): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const index = CAP_NAMES.indexOf(name.replace(/^CAP_/, ''));
    if (index >= 0) mask |= 1n << BigInt(index);
  }
  return mask;
}

export function hasCapability(creds: TaskCredentials, cap: number): boolean {
  return (creds.effective & (1n << BigInt(cap))) !== 0n;
}

export interface IdentitySpec {
  uid: number;
  gid: number;
  groups: readonly number[];
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  bounding: bigint;
}

export function makeCredentials(spec: IdentitySpec): TaskCredentials {
  return {
    ruid: spec.uid, euid: spec.uid, suid: spec.uid, fsuid: spec.uid,
    rgid: spec.gid, egid: spec.gid, sgid: spec.gid, fsgid: spec.gid,
    groups: [...spec.groups],
    permitted: spec.permitted, effective: spec.effective, inheritable: spec.inheritable, bounding: spec.bounding,
  };
}

/** The view the VFS checks permissions against. */
export function fsCredentials(creds: TaskCredentials): Credentials {
  return { uid: creds.fsuid, gid: creds.fsgid, groups: creds.groups, caps: creds.effective };
}

/**
 * Linux drops capabilities when a process leaves uid 0 (capabilities(7), "Effect of user
 * ID changes on capabilities"): all of them when no uid stays 0, the fs ones with fsuid.
 */
function adjustCaps(before: TaskCredentials, after: TaskCredentials): TaskCredentials {
  const wasRoot = before.ruid === 0 || before.euid === 0 || before.suid === 0;
  const nowRoot = after.ruid === 0 || after.euid === 0 || after.suid === 0;
  let { permitted, effective } = after;
  if (wasRoot && !nowRoot) {
    permitted = 0n;
    effective = 0n;
  } else if (before.euid === 0 && after.euid !== 0) {
    effective = 0n;
  } else if (before.euid !== 0 && after.euid === 0) {
    effective = permitted;
  }
  const FS_CAPS = 0b11111n | (1n << 9n) | (1n << 27n); // CHOWN..FSETID, LINUX_IMMUTABLE, MKNOD
  if (before.fsuid === 0 && after.fsuid !== 0) effective &= ~FS_CAPS;
  else if (before.fsuid !== 0 && after.fsuid === 0) effective |= permitted & FS_CAPS;
  return { ...after, permitted, effective };
}

const UNCHANGED = -1;

/** setresuid(2): -1 keeps a value; unprivileged callers may only pick among their own ids. */
export function setresuid(creds: TaskCredentials, r: number, e: number, s: number): TaskCredentials {
  const privileged = hasCapability(creds, CAP_SETUID);
  const own = [creds.ruid, creds.euid, creds.suid];
  for (const id of [r, e, s]) {
    if (id !== UNCHANGED && !privileged && !own.includes(id)) fail(E.EPERM);
  }
  const euid = e === UNCHANGED ? creds.euid : e;
  const next = {
    ...creds,
    ruid: r === UNCHANGED ? creds.ruid : r,
    euid,
    suid: s === UNCHANGED ? creds.suid : s,
    fsuid: euid,
  };
  return adjustCaps(creds, next);
}

/** setuid(2): privileged callers set all three ids; others only the effective one. */
export function setuid(creds: TaskCredentials, uid: number): TaskCredentials {
  if (hasCapability(creds, CAP_SETUID)) return setresuid(creds, uid, uid, uid);
  if (uid !== creds.ruid && uid !== creds.suid) fail(E.EPERM);
  return setresuid(creds, UNCHANGED, uid, UNCHANGED);
}

/** setreuid(2): a new real uid or a changed effective uid also sets the saved uid. */
export function setreuid(creds: TaskCredentials, r: number, e: number): TaskCredentials {
  const privileged = hasCapability(creds, CAP_SETUID);
  if (r !== UNCHANGED && !privileged && r !== creds.ruid && r !== creds.euid) fail(E.EPERM);
  if (e !== UNCHANGED && !privileged && ![creds.ruid, creds.euid, creds.suid].includes(e)) fail(E.EPERM);
  const newEuid = e === UNCHANGED ? creds.euid : e;
  const saved = r !== UNCHANGED || (e !== UNCHANGED && e !== creds.ruid) ? newEuid : UNCHANGED;
  return setresuidUnchecked(creds, r, e, saved);
}

function setresuidUnchecked(creds: TaskCredentials, r: number, e: number, s: number): TaskCredentials {
  const euid = e === UNCHANGED ? creds.euid : e;
  return adjustCaps(creds, {
    ...creds,
    ruid: r === UNCHANGED ? creds.ruid : r,
    euid,
    suid: s === UNCHANGED ? creds.suid : s,
    fsuid: euid,
  });
}

export function setresgid(creds: TaskCredentials, r: number, e: number, s: number): TaskCredentials {
  const privileged = hasCapability(creds, CAP_SETGID);
  const own = [creds.rgid, creds.egid, creds.sgid];
  for (const id of [r, e, s]) {
    if (id !== UNCHANGED && !privileged && !own.includes(id)) fail(E.EPERM);
  }
  const egid = e === UNCHANGED ? creds.egid : e;
  return { ...creds, rgid: r === UNCHANGED ? creds.rgid : r, egid, sgid: s === UNCHANGED ? creds.sgid : s, fsgid: egid };
}

export function setgid(creds: TaskCredentials, gid: number): TaskCredentials {
  if (hasCapability(creds, CAP_SETGID)) return setresgid(creds, gid, gid, gid);
  if (gid !== creds.rgid && gid !== creds.sgid) fail(E.EPERM);
  return setresgid(creds, UNCHANGED, gid, UNCHANGED);
}

export function setregid(creds: TaskCredentials, r: number, e: number): TaskCredentials {
  const privileged = hasCapability(creds, CAP_SETGID);
  if (r !== UNCHANGED && !privileged && r !== creds.rgid && r !== creds.egid) fail(E.EPERM);
  if (e !== UNCHANGED && !privileged && ![creds.rgid, creds.egid, creds.sgid].includes(e)) fail(E.EPERM);
  const egid = e === UNCHANGED ? creds.egid : e;
  const saved = r !== UNCHANGED || (e !== UNCHANGED && e !== creds.rgid) ? egid : creds.sgid;
  return { ...creds, rgid: r === UNCHANGED ? creds.rgid : r, egid, sgid: saved, fsgid: egid };
}

/** setfsuid(2)/setfsgid(2) return the previous value and never fail. */
export function setfsuid(creds: TaskCredentials, uid: number): TaskCredentials {
  const allowed = hasCapability(creds, CAP_SETUID) || [creds.ruid, creds.euid, creds.suid, creds.fsuid].includes(uid);
  return allowed ? adjustCaps(creds, { ...creds, fsuid: uid }) : creds;
}

export function setfsgid(creds: TaskCredentials, gid: number): TaskCredentials {
  const allowed = hasCapability(creds, CAP_SETGID) || [creds.rgid, creds.egid, creds.sgid, creds.fsgid].includes(gid);
  return allowed ? { ...creds, fsgid: gid } : creds;
}

export function setgroups(creds: TaskCredentials, groups: readonly number[]): TaskCredentials {
  if (!hasCapability(creds, CAP_SETGID)) fail(E.EPERM);
  return { ...creds, groups: [...groups] };
}

/** capset(2) rules: no new permitted caps, inheritable within permitted ∪ bounding. */
export function capset(creds: TaskCredentials, effective: bigint, permitted: bigint, inheritable: bigint): TaskCredentials {
  if ((permitted & ~creds.permitted) !== 0n) fail(E.EPERM);
  if ((effective & ~permitted) !== 0n) fail(E.EPERM);
  const inheritableCeiling = hasCapability(creds, CAP_SETPCAP) ? creds.inheritable | creds.bounding : creds.inheritable | creds.permitted;
  if ((inheritable & ~inheritableCeiling) !== 0n) fail(E.EPERM);
  return { ...creds, effective, permitted, inheritable };
}
