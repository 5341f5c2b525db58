// Futexes and robust lists: calls about a thread's locks, whose words hold tids. The
// sandbox's virtual tids become host threads before the host kernel acts on them, under
// Linux's permission rules checked against the sandbox's credentials.

import { E, fail } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import { nsCapable } from '../../sentry/kernel/credentials.js';
import { piFutex } from '../../sentry/kernel/futex/pi.js';
import { recordRobustList, ROBUST_LIST_HEAD_SIZE } from '../../sentry/kernel/futex/robust.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallHandler, type SyscallTask, type TaskCredentials, type HostCall } from '../../sentry/kernel/syscall.js';
import { int32 } from './decode.js';

/** ptrace's read access (PTRACE_MODE_REALCREDS): the same real uid and gid throughout, or CAP_SYS_PTRACE. */
function mayInspect(caller: TaskCredentials, target: TaskCredentials): boolean {
  if (nsCapable(caller, target.userNs, CAP.SYS_PTRACE)) return true;
  const sameUids = [target.ruid, target.euid, target.suid].every((id) => id === caller.ruid);
  const sameGids = [target.rgid, target.egid, target.sgid].every((id) => id === caller.rgid);
  // Across user namespaces the ids alone do not do (cap_ptrace_access_check).
  return sameUids && sameGids && caller.userNs === target.userNs;
}

/** get_robust_list(pid, head_ptr, len_ptr): another thread's list needs ptrace access. */
function get_robust_list(task: SyscallTask, args: SyscallArgs): HostCall {
  const tid = int32(args[0]);
  if (tid < 0) fail(E.ESRCH);
  return task.process.forThread(tid, mayInspect);
}

/**
 * set_robust_list(head, len): the host kernel keeps the list, the sentry its head, to
 * give the thread's locks their host owner before the kernel walks it (robust-futex.ts).
 */
function set_robust_list(task: SyscallTask, args: SyscallArgs): number | HostCall {
  if (args[1] !== BigInt(ROBUST_LIST_HEAD_SIZE)) return -E.EINVAL;
  recordRobustList(task, args[0]);
  return RUN_ON_HOST;
}

export const threadSyscalls = {
  futex: piFutex,
  set_robust_list,
  get_robust_list,
} satisfies Record<string, SyscallHandler>;
