// A task's identity (Linux's struct cred) and the rules that change it: the set*id calls
// with their effect on capabilities, capset, and the prctl capability options, as
// credentials(7) and capabilities(7) describe them and kernel/sys.c and
// security/commoncap.c implement them. Immutable values: a change makes a new
// TaskCredentials, as Linux's prepare_creds/commit_creds do.

import { E, fail } from '../../abi/errno.js';
import { ALL_CAPS, CAP, CAP_FS_SET, CAP_NAMES, SECBIT, SECURE_ALL_BITS, SECURE_ALL_LOCKS, capBit, isValidCap } from '../../abi/linux-capability.js';
import type { Credentials } from '../../vfs/api.js';
import type { TaskCredentials } from './syscall.js';
import { INITIAL_USER_NAMESPACE, type IdKind, type UserNamespace } from './namespaces/user-namespace.js';


/** A capability set from OCI names ("CAP_CHOWN"); unknown names are ignored, as runc warns. */
export function capsFromNames(names: readonly string[] | undefined): bigint {
  let mask = 0n;
  for (const name of names ?? []) {
    const index = CAP_NAMES.indexOf(name.replace(/^CAP_/, ''));
    if (index >= 0) mask |= capBit(index);
  }
  return mask;
}

/**
 * capable(): the capability over the whole sandbox (its initial user namespace). A task
 * in a namespace made inside the sandbox has none there, whatever its own sets say.
 */
export function hasCapability(creds: TaskCredentials, cap: number): boolean {
  return nsCapable(creds, INITIAL_USER_NAMESPACE, cap);
}

/**
 * ns_capable() (cap_capable): the capability over what namespace ns owns. A task has it
 * when it is in ns with the capability effective, or when ns descends from the task's own
 * namespace and was made (or has an ancestor made) in the task's namespace by the task's euid.
 */
export function nsCapable(creds: TaskCredentials, ns: UserNamespace, cap: number): boolean {
  return (capsOver(creds, ns) & capBit(cap)) !== 0n;
}

/** Every capability the task has over what namespace ns owns (nsCapable of each). */
export function capsOver(creds: TaskCredentials, ns: UserNamespace): bigint {
  for (let target = ns; ; ) {
    if (target === creds.userNs) return creds.effective;
    if (target.level <= creds.userNs.level) return 0n;
    const parent = target.parent!;
    if (parent === creds.userNs && target.owner === creds.euid) return ALL_CAPS;
    target = parent;
  }
}

/** set_cred_user_ns: the same ids in userNs, with every capability there and nothing inherited. */
export function credentialsIn(creds: TaskCredentials, userNs: UserNamespace): TaskCredentials {
  return { ...creds, userNs, securebits: 0, inheritable: 0n, ambient: 0n, permitted: ALL_CAPS, effective: ALL_CAPS, bounding: ALL_CAPS };
}

/**
 * make_kuid/make_kgid at a syscall's boundary: an id the task names, in its namespace, as
 * the sandbox id the kernel keeps; EINVAL when its namespace maps no such id. -1 (unchanged) passes as it is.
 */
export function idFromTask(creds: TaskCredentials, kind: IdKind, id: number): number {
  if (id === UNCHANGED || creds.userNs === INITIAL_USER_NAMESPACE) return id;
  return creds.userNs.toKernel(kind, id) ?? fail(E.EINVAL);
}

/** from_kuid_munged at a syscall's boundary: a sandbox id as the task sees it, 65534 when its namespace has no mapping for it. */
export function idForTask(creds: TaskCredentials, kind: IdKind, id: number): number {
  return creds.userNs === INITIAL_USER_NAMESPACE ? id : creds.userNs.view(kind, id);
}

/**
 * The VFS's view of a task's capabilities: over every file in the sandbox's namespace; in
 * one of its own, none over the sandbox and caps only over files its namespace maps.
 */
function vfsCaps(creds: TaskCredentials, caps: bigint): Pick<Credentials, 'caps' | 'userNamespace'> {
  const ns = creds.userNs;
  if (ns === INITIAL_USER_NAMESPACE) return { caps };
  return { caps: 0n, userNamespace: { caps, maps: (uid, gid) => ns.fromKernel('uid', uid) !== undefined && ns.fromKernel('gid', gid) !== undefined } };
}

export interface IdentitySpec {
  uid: number;
  gid: number;
  groups: readonly number[];
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
  bounding: bigint;
  /** Raised as runc raises them: only those both permitted and inheritable. */
  ambient?: bigint;
  noNewPrivs?: boolean;
}

export function makeCredentials(spec: IdentitySpec): TaskCredentials {
  return {
    ruid: spec.uid, euid: spec.uid, suid: spec.uid, fsuid: spec.uid,
    rgid: spec.gid, egid: spec.gid, sgid: spec.gid, fsgid: spec.gid,
    groups: sortedGroups(spec.groups),
    permitted: spec.permitted, effective: spec.effective, inheritable: spec.inheritable, bounding: spec.bounding,
    ambient: (spec.ambient ?? 0n) & spec.permitted & spec.inheritable,
    securebits: 0,
    noNewPrivs: spec.noNewPrivs ?? false,
    userNs: INITIAL_USER_NAMESPACE,
  };
}

/**
 * commit_creds' rule: a change of the effective or filesystem ids, or more permitted
 * capabilities, makes the process non-dumpable (suid_dumpable 0).
 */
export function staysDumpable(old: TaskCredentials, next: TaskCredentials): boolean {
  return old.euid === next.euid && old.egid === next.egid && old.fsuid === next.fsuid && old.fsgid === next.fsgid && (next.permitted & ~old.permitted) === 0n;
}

/** The view the VFS checks permissions against. */
export function fsCredentials(creds: TaskCredentials): Credentials {
  return { uid: creds.fsuid, gid: creds.fsgid, groups: creds.groups, ...vfsCaps(creds, creds.effective) };
}

function secure(creds: TaskCredentials, bit: number): boolean {
  return (creds.securebits & bit) !== 0;
}

/** The sandbox id of root in the task's namespace (root_uid of commoncap.c; undefined when 0 is unmapped). */
const rootOf = (c: TaskCredentials): number | undefined => c.userNs.rootUid;
const anyRoot = (c: TaskCredentials, root: number | undefined): boolean => c.ruid === root || c.euid === root || c.suid === root;
/** ns_capable_setid over the task's own namespace: set*id, setgroups. */
const mayChangeIds = (c: TaskCredentials, cap: number): boolean => nsCapable(c, c.userNs, cap);

/**
 * cap_emulate_setxuid, for setuid/setreuid/setresuid (capabilities(7), "Effect of user
 * ID changes on capabilities"): leaving uid 0 everywhere clears permitted and effective
 * (not with SECBIT_KEEP_CAPS) and ambient; euid 0 -> nonzero clears effective; nonzero ->
 * 0 makes permitted effective. SECBIT_NO_SETUID_FIXUP turns all of it off.
 */
function fixSetuid(old: TaskCredentials, next: TaskCredentials): TaskCredentials {
  if (secure(old, SECBIT.NO_SETUID_FIXUP)) return next;
  const root = rootOf(old);
  let { permitted, effective, ambient } = next;
  if (anyRoot(old, root) && !anyRoot(next, root)) {
    if (!secure(old, SECBIT.KEEP_CAPS)) {
      permitted = 0n;
      effective = 0n;
    }
    ambient = 0n;
  }
  if (old.euid === root && next.euid !== root) effective = 0n;
  if (old.euid !== root && next.euid === root) effective = permitted;
  return { ...next, permitted, effective, ambient };
}

/** The setfsuid rule: fsuid 0 -> nonzero drops the filesystem capabilities, back raises them. */
function fixSetfsuid(old: TaskCredentials, next: TaskCredentials): TaskCredentials {
  if (secure(old, SECBIT.NO_SETUID_FIXUP)) return next;
  const root = rootOf(old);
  let effective = next.effective;
  if (old.fsuid === root && next.fsuid !== root) effective &= ~CAP_FS_SET;
  if (old.fsuid !== root && next.fsuid === root) effective |= next.permitted & CAP_FS_SET;
  return { ...next, effective };
}

const UNCHANGED = -1;
/** (uid_t)-1: never a valid id. */
const INVALID_ID = 0xffffffff;

/** setresuid(2): -1 keeps a value; unprivileged callers may only pick among their own ids. */
export function setresuid(creds: TaskCredentials, r: number, e: number, s: number): TaskCredentials {
  const own = [creds.ruid, creds.euid, creds.suid];
  const noop = (r === UNCHANGED || r === creds.ruid) && (e === UNCHANGED || (e === creds.euid && e === creds.fsuid)) && (s === UNCHANGED || s === creds.suid);
  if (noop) return creds;
  const isNew = (id: number): boolean => id !== UNCHANGED && !own.includes(id);
  if ((isNew(r) || isNew(e) || isNew(s)) && !mayChangeIds(creds, CAP.SETUID)) fail(E.EPERM);
  const euid = e === UNCHANGED ? creds.euid : e;
  return fixSetuid(creds, {
    ...creds,
    ruid: r === UNCHANGED ? creds.ruid : r,
    euid,
    suid: s === UNCHANGED ? creds.suid : s,
    fsuid: euid,
  });
}

/** setuid(2): privileged callers set real and saved ids too; others only the effective one. */
export function setuid(creds: TaskCredentials, uid: number): TaskCredentials {
  if (uid === UNCHANGED || uid === INVALID_ID) fail(E.EINVAL);
  let next: TaskCredentials;
  if (mayChangeIds(creds, CAP.SETUID)) next = { ...creds, ruid: uid, suid: uid };
  else if (uid === creds.ruid || uid === creds.suid) next = creds;
  else fail(E.EPERM);
  return fixSetuid(creds, { ...next, euid: uid, fsuid: uid });
}

/** setreuid(2): a new real uid or a changed effective uid also sets the saved uid. */
export function setreuid(creds: TaskCredentials, r: number, e: number): TaskCredentials {
  const privileged = mayChangeIds(creds, CAP.SETUID);
  if (r !== UNCHANGED && !privileged && r !== creds.ruid && r !== creds.euid) fail(E.EPERM);
  if (e !== UNCHANGED && !privileged && ![creds.ruid, creds.euid, creds.suid].includes(e)) fail(E.EPERM);
  const ruid = r === UNCHANGED ? creds.ruid : r;
  const euid = e === UNCHANGED ? creds.euid : e;
  const suid = r !== UNCHANGED || (e !== UNCHANGED && e !== creds.ruid) ? euid : creds.suid;
  return fixSetuid(creds, { ...creds, ruid, euid, suid, fsuid: euid });
}

export function setresgid(creds: TaskCredentials, r: number, e: number, s: number): TaskCredentials {
  const own = [creds.rgid, creds.egid, creds.sgid];
  const isNew = (id: number): boolean => id !== UNCHANGED && !own.includes(id);
  if ((isNew(r) || isNew(e) || isNew(s)) && !mayChangeIds(creds, CAP.SETGID)) fail(E.EPERM);
  const egid = e === UNCHANGED ? creds.egid : e;
  return { ...creds, rgid: r === UNCHANGED ? creds.rgid : r, egid, sgid: s === UNCHANGED ? creds.sgid : s, fsgid: egid };
}

export function setgid(creds: TaskCredentials, gid: number): TaskCredentials {
  if (gid === UNCHANGED || gid === INVALID_ID) fail(E.EINVAL);
  if (mayChangeIds(creds, CAP.SETGID)) return { ...creds, rgid: gid, egid: gid, sgid: gid, fsgid: gid };
  if (gid !== creds.rgid && gid !== creds.sgid) fail(E.EPERM);
  return { ...creds, egid: gid, fsgid: gid };
}

export function setregid(creds: TaskCredentials, r: number, e: number): TaskCredentials {
  const privileged = mayChangeIds(creds, CAP.SETGID);
  if (r !== UNCHANGED && !privileged && r !== creds.rgid && r !== creds.egid) fail(E.EPERM);
  if (e !== UNCHANGED && !privileged && ![creds.rgid, creds.egid, creds.sgid].includes(e)) fail(E.EPERM);
  const egid = e === UNCHANGED ? creds.egid : e;
  const saved = r !== UNCHANGED || (e !== UNCHANGED && e !== creds.rgid) ? egid : creds.sgid;
  return { ...creds, rgid: r === UNCHANGED ? creds.rgid : r, egid, sgid: saved, fsgid: egid };
}

/** setfsuid(2)/setfsgid(2) return the previous value and never fail; (uid_t)-1 changes nothing. */
export function setfsuid(creds: TaskCredentials, uid: number): TaskCredentials {
  if (uid === INVALID_ID || uid === creds.fsuid) return creds;
  const allowed = mayChangeIds(creds, CAP.SETUID) || [creds.ruid, creds.euid, creds.suid].includes(uid);
  return allowed ? fixSetfsuid(creds, { ...creds, fsuid: uid }) : creds;
}

export function setfsgid(creds: TaskCredentials, gid: number): TaskCredentials {
  if (gid === INVALID_ID) return creds;
  const allowed = mayChangeIds(creds, CAP.SETGID) || [creds.rgid, creds.egid, creds.sgid, creds.fsgid].includes(gid);
  return allowed ? { ...creds, fsgid: gid } : creds;
}

/** The kernel keeps supplementary groups sorted (groups_sort): getgroups returns them so. */
const sortedGroups = (groups: readonly number[]): number[] => [...groups].sort((a, b) => a - b);

/** may_setgroups: CAP_SETGID in the task's namespace, and the namespace allows it (gid_map written, setgroups not denied). */
export function setgroups(creds: TaskCredentials, groups: readonly number[]): TaskCredentials {
  const ns = creds.userNs;
  if (!mayChangeIds(creds, CAP.SETGID) || !ns.setgroupsAllowed || !ns.map('gid')) fail(E.EPERM);
  return { ...creds, groups: sortedGroups(groups) };
}

/**
 * capset(2) (cap_capset): inheritable within inheritable ∪ permitted (∪ bounding with
 * CAP_SETPCAP, never beyond inheritable ∪ bounding), permitted never grows, effective
 * within the new permitted; ambient keeps only what stays permitted and inheritable.
 */
export function capset(creds: TaskCredentials, effective: bigint, permitted: bigint, inheritable: bigint): TaskCredentials {
  const [e, p, i] = [effective & ALL_CAPS, permitted & ALL_CAPS, inheritable & ALL_CAPS];
  if (!nsCapable(creds, creds.userNs, CAP.SETPCAP) && (i & ~(creds.inheritable | creds.permitted)) !== 0n) fail(E.EPERM);
  if ((i & ~(creds.inheritable | creds.bounding)) !== 0n) fail(E.EPERM);
  if ((p & ~creds.permitted) !== 0n) fail(E.EPERM);
  if ((e & ~p) !== 0n) fail(E.EPERM);
  return { ...creds, effective: e, permitted: p, inheritable: i, ambient: creds.ambient & p & i };
}

/** PR_SET_SECUREBITS: CAP_SETPCAP; a locked bit never changes and a lock is never undone. */
export function setSecurebits(creds: TaskCredentials, bits: bigint): TaskCredentials {
  const old = creds.securebits;
  const lockedBits = (old & SECURE_ALL_LOCKS) >> 1;
  if (bits & ~BigInt(SECURE_ALL_BITS | SECURE_ALL_LOCKS)) fail(E.EPERM);
  const next = Number(bits);
  if ((lockedBits & (old ^ next)) !== 0 || (old & SECURE_ALL_LOCKS & ~next) !== 0 || !nsCapable(creds, creds.userNs, CAP.SETPCAP)) fail(E.EPERM);
  return { ...creds, securebits: next };
}

/** PR_SET_KEEPCAPS: SECBIT_KEEP_CAPS, unless it is locked. */
export function setKeepCaps(creds: TaskCredentials, keep: bigint): TaskCredentials {
  if (keep > 1n) fail(E.EINVAL);
  if (secure(creds, SECBIT.KEEP_CAPS_LOCKED)) fail(E.EPERM);
  const securebits = keep ? creds.securebits | SECBIT.KEEP_CAPS : creds.securebits & ~SECBIT.KEEP_CAPS;
  return { ...creds, securebits };
}

/** PR_CAPBSET_DROP: CAP_SETPCAP (checked before the number, as Linux does). */
export function dropBounding(creds: TaskCredentials, cap: bigint): TaskCredentials {
  if (!nsCapable(creds, creds.userNs, CAP.SETPCAP)) fail(E.EPERM);
  if (!isValidCap(cap)) fail(E.EINVAL);
  return { ...creds, bounding: creds.bounding & ~(1n << cap) };
}

/** PR_CAP_AMBIENT_RAISE: only a capability both permitted and inheritable, unless raising is locked out. */
export function raiseAmbient(creds: TaskCredentials, cap: number): TaskCredentials {
  const bit = capBit(cap);
  if (!(creds.permitted & bit) || !(creds.inheritable & bit) || secure(creds, SECBIT.NO_CAP_AMBIENT_RAISE)) fail(E.EPERM);
  return { ...creds, ambient: creds.ambient | bit };
}

export function lowerAmbient(creds: TaskCredentials, cap: number): TaskCredentials {
  return { ...creds, ambient: creds.ambient & ~capBit(cap) };
}

/**
 * What access(2) checks with (access_override_creds): the real ids, and unless
 * SECBIT_NO_SETUID_FIXUP, no capabilities for a nonzero real uid, the permitted ones for
 * real uid 0. Undefined when that is the task's own fs view already.
 */
export function accessCredentials(creds: TaskCredentials): Credentials | undefined {
  let caps = creds.effective;
  if (!secure(creds, SECBIT.NO_SETUID_FIXUP)) caps = creds.ruid === rootOf(creds) ? creds.permitted : 0n;
  if (creds.ruid === creds.fsuid && creds.rgid === creds.fsgid && caps === creds.effective) return undefined;
  return { uid: creds.ruid, gid: creds.rgid, groups: creds.groups, ...vfsCaps(creds, caps) };
}
