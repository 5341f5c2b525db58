// /proc/PID/{uid_map,gid_map,projid_map,setgroups}: a user namespace's maps and its
// setgroups switch, read from the reader's namespace and written with the writer's
// privileges, as kernel/user_namespace.c's map_write, new_idmap_permitted and
// proc_setgroups_write decide.

import { E, fail } from '../../../abi/errno.js';
import { CAP } from '../../../abi/linux-capability.js';
import type { UserNamespaceFiles } from '../../../vfs/api.js';
import { nsCapable } from '../credentials.js';
import type { TaskCredentials } from '../syscall.js';
import { INITIAL_USER_NAMESPACE, parseIdMap, showIdMap, type IdExtent, type IdKind, type UserNamespace } from './user-namespace.js';

/** The capability a map's ids need (projid_map needs none). */
const SETID_CAP: Record<IdKind, number | undefined> = { uid: CAP.SETUID, gid: CAP.SETGID, projid: undefined };

/** The files of ns for whoever calls now (caller: undefined between calls, the sandbox itself). */
export function userNamespaceFiles(ns: UserNamespace, caller: () => TaskCredentials | undefined): UserNamespaceFiles {
  const readerNs = (): UserNamespace => caller()?.userNs ?? INITIAL_USER_NAMESPACE;
  const writer = (): TaskCredentials => caller() ?? fail(E.EPERM);
  return {
    readMap: (kind) => showIdMap(ns, kind, readerNs()),
    writeMap: (kind, text) => writeIdMap(writer(), ns, kind, text),
    readSetgroups: () => (ns.setgroupsAllowed ? 'allow\n' : 'deny\n'),
    writeSetgroups: (text) => writeSetgroups(writer(), ns, text),
    shownId: (kind, id) => readerNs().view(kind, id),
  };
}

/**
 * map_write: from ns or its parent only, once, with CAP_SYS_ADMIN over ns for uid and gid
 * maps (EPERM); lines Linux parses (EINVAL); then ids the writer may map (EPERM).
 */
function writeIdMap(creds: TaskCredentials, ns: UserNamespace, kind: IdKind, text: string): void {
  if (creds.userNs !== ns && creds.userNs !== ns.parent) fail(E.EPERM);
  if (ns.map(kind)) fail(E.EPERM);
  const setid = SETID_CAP[kind];
  if (setid !== undefined && !nsCapable(creds, ns, CAP.SYS_ADMIN)) fail(E.EPERM);
  const extents = parseIdMap(text);
  if (setid !== undefined && !mayMap(creds, ns, kind, setid, extents)) fail(E.EPERM);
  ns.setMap(kind, extents);
}

/**
 * new_idmap_permitted: the namespace's owner may map its own euid (its egid once setgroups
 * is denied) as one id; anything else needs the capability over the parent namespace.
 * A map of the parent's root needs CAP_SETFCAP there too (verify_root_map).
 */
function mayMap(creds: TaskCredentials, ns: UserNamespace, kind: IdKind, setid: number, extents: readonly IdExtent[]): boolean {
  const parent = ns.parent!;
  if (kind === 'uid' && extents.some((e) => e.lowerFirst === 0)) {
    const setfcap = creds.userNs === ns ? ns.parentCouldSetfcap : nsCapable(creds, parent, CAP.SETFCAP);
    if (!setfcap) return false;
  }
  const [only] = extents;
  if (extents.length === 1 && only!.count === 1 && ns.owner === creds.euid) {
    const mapped = parent.toKernel(kind, only!.lowerFirst);
    if (kind === 'uid' && mapped === creds.euid) return true;
    if (kind === 'gid' && !ns.setgroupsAllowed && mapped === creds.egid) return true;
  }
  return nsCapable(creds, parent, setid);
}

/**
 * proc_setgroups_write: "allow" or "deny" (trailing space allowed), with CAP_SYS_ADMIN over
 * ns (EACCES); "deny" only before gid_map is written, and "allow" never after a "deny" (EPERM).
 */
function writeSetgroups(creds: TaskCredentials, ns: UserNamespace, text: string): void {
  // Linux refuses the open for writing (EACCES); the sandbox's /proc files check at the write.
  if (!nsCapable(creds, ns, CAP.SYS_ADMIN)) fail(E.EACCES);
  const word = /^(allow|deny)\s*$/.exec(text)?.[1] ?? fail(E.EINVAL);
  if (word === 'allow') {
    if (!ns.setgroupsAllowed) fail(E.EPERM);
    return;
  }
  if (ns.map('gid') || !ns.parent) fail(E.EPERM);
  ns.setgroupsAllowed = false;
}
