// Who may ptrace whom inside the sandbox: Linux's ptrace_may_access (PTRACE_MODE_ATTACH
// with the real credentials) under Yama's scope 1, the default of container hosts. The
// same rule guards PTRACE_ATTACH/SEIZE, process_vm_readv/writev and /proc/PID/mem. A
// target is always a task of the sandbox: a pid names nothing else.

import { CAP } from '../../../abi/linux-capability.js';
import { hasCapability, nsCapable } from '../credentials.js';
import type { TaskCredentials } from '../syscall.js';
import type { ThreadGroup } from '../thread-group.js';

/** The caller's side of an access check. */
export interface Accessor {
  readonly group: ThreadGroup;
  readonly creds: TaskCredentials;
}

/**
 * ptrace_may_access(PTRACE_MODE_ATTACH_REALCREDS): the caller's own process always; else
 * its real uid and gid must be the target's real, effective and saved ones, the target
 * dumpable, and the target's permitted capabilities a subset of the caller's (commoncap's
 * check: no process with the same ids but fewer capabilities steers one with more), or
 * the caller holds CAP_SYS_PTRACE.
 */
export function mayAccess(caller: Accessor, target: ThreadGroup): boolean {
  if (caller.group === target) return true;
  const me = caller.creds;
  const them = target.creds;
  // CAP_SYS_PTRACE over the target's user namespace; capabilities compare only within one
  // namespace (cap_ptrace_access_check): a caller's full set in a namespace of its own
  // says nothing of a target outside it.
  if (nsCapable(me, them.userNs, CAP.SYS_PTRACE)) return true;
  const sameUids = [them.ruid, them.euid, them.suid].every((id) => id === me.ruid);
  const sameGids = [them.rgid, them.egid, them.sgid].every((id) => id === me.rgid);
  const fewerCapabilities = them.userNs === me.userNs && (them.permitted & ~me.permitted) === 0n;
  return sameUids && sameGids && target.dumpable && fewerCapabilities;
}

/** Yama's scope 1 (relational): an attach reaches only the caller's descendants, unless it holds CAP_SYS_PTRACE. */
export function yamaAllows(caller: Accessor, target: ThreadGroup): boolean {
  if (hasCapability(caller.creds, CAP.SYS_PTRACE)) return true;
  for (let group = target.parent; group; group = group.parent) {
    if (group === caller.group) return true;
  }
  return false;
}

/** Both rules: what PTRACE_ATTACH, PTRACE_SEIZE, process_vm_*v and /proc/PID/mem ask. */
export function mayAttach(caller: Accessor, target: ThreadGroup): boolean {
  return mayAccess(caller, target) && (caller.group === target || yamaAllows(caller, target));
}
