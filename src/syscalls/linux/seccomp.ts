// seccomp(2) and prctl(PR_SET_SECCOMP): filters of the workload's own, which the host
// kernel stacks on the sandbox's (they can only restrict). Only what cannot disturb the
// sentry is installed: no listener (the sentry's own calls in the task would wait on it),
// no program that can return TRACE or USER_NOTIF (seccomp-bpf.ts), and the program the
// kernel installs is the sentry's checked copy, not the workload's memory a sibling could
// rewrite between the check and the kernel's read. As gVisor: strict mode is EINVAL.

import { E, fail } from '../../abi/errno.js';
import type { SyscallResult, SyscallTask } from '../../sentry/kernel/syscall.js';
import { AVAILABLE_ACTIONS, checkFilter, MAX_INSTRUCTIONS } from './seccomp-bpf.js';

const OP = { SET_MODE_STRICT: 0, SET_MODE_FILTER: 1, GET_ACTION_AVAIL: 2, GET_NOTIF_SIZES: 3 } as const;
/** prctl(PR_SET_SECCOMP)'s modes. */
const MODE = { STRICT: 1, FILTER: 2 } as const;
const FLAG = { TSYNC: 1, LOG: 2, SPEC_ALLOW: 4, NEW_LISTENER: 8, TSYNC_ESRCH: 16, WAIT_KILLABLE_RECV: 32 } as const;
const KNOWN_FLAGS = Object.values(FLAG).reduce((all, flag) => all | flag, 0);
/** The flags the host kernel gets: LOG would write the host's audit log, SPEC_ALLOW lift a host mitigation. */
const HOST_FLAGS = FLAG.TSYNC | FLAG.TSYNC_ESRCH;
/** struct sock_fprog: u16 len, padding, the filter's address. */
const FPROG_SIZE = 16;

/** seccomp(op, flags, args). */
export function seccompOperation(task: SyscallTask, op: number, flags: number, args: bigint): SyscallResult | Promise<SyscallResult> {
  switch (op) {
    case OP.SET_MODE_FILTER:
      return setFilter(task, flags, args);
    case OP.GET_ACTION_AVAIL: {
      if (flags !== 0) fail(E.EINVAL);
      const action = task.mem.read(args, 4).readUInt32LE(0);
      return AVAILABLE_ACTIONS.has(action) ? 0 : -E.EOPNOTSUPP;
    }
    // No user notification in the sandbox: as a kernel without it.
    case OP.GET_NOTIF_SIZES:
    case OP.SET_MODE_STRICT:
    default:
      return -E.EINVAL;
  }
}

/** prctl(PR_SET_SECCOMP, mode, filter). */
export function setSeccompMode(task: SyscallTask, mode: bigint, filter: bigint): SyscallResult | Promise<SyscallResult> {
  if (mode !== BigInt(MODE.FILTER)) return -E.EINVAL;
  return setFilter(task, 0, filter);
}

function setFilter(task: SyscallTask, flags: number, fprog: bigint): SyscallResult | Promise<SyscallResult> {
  // Flags first: libseccomp learns which ones work from EFAULT (a NULL program) or EINVAL.
  if (flags & ~KNOWN_FLAGS || flags & (FLAG.NEW_LISTENER | FLAG.WAIT_KILLABLE_RECV)) fail(E.EINVAL);
  const header = task.mem.read(fprog, FPROG_SIZE);
  const length = header.readUInt16LE(0);
  if (length === 0 || length > MAX_INSTRUCTIONS) fail(E.EINVAL);
  const program = checkFilter(task.mem.read(header.readBigUInt64LE(8), length * 8));
  return task.process.addSeccompFilter(program, flags & HOST_FLAGS);
}
