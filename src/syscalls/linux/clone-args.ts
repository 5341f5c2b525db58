// clone3(2)'s struct clone_args (versions 0 to 2): read once from the caller, with Linux's
// checks of its size and fields (copy_clone_args_from_user, clone3_args_valid), into the
// arguments clone(2) takes. set_tid goes with them (the child's pid namespaces check it:
// kernel/namespaces/pid-namespace.ts, checkSetTid); CLONE_INTO_CGROUP is refused as Linux
// refuses it to a process without the privilege it needs (EACCES): the sandbox moves no
// process between cgroups.

import { E, fail } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import { CLONE, CLONE_ARGS_OFFSET, CLONE_ARGS_SIZE, CLONE_LEGACY_FLAGS, CSIGNAL, MAX_PID_NS_LEVEL } from '../../abi/linux-clone.js';
import { PAGE_SIZE } from '../../abi/linux-mman.js';
import { hasCapability } from '../../sentry/kernel/credentials.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';

/** What clone(2) takes for a clone3 call: flags with the exit signal, the stack's top. */
export interface CloneArgs {
  readonly flags: bigint;
  readonly pidfd: bigint;
  readonly childTid: bigint;
  readonly parentTid: bigint;
  readonly stack: bigint;
  readonly tls: bigint;
  /** set_tid: the child's pid in its own pid namespace, then in each one above; undefined: none asked. */
  readonly setTid?: readonly number[] | undefined;
}

/** The end of user space (TASK_SIZE_MAX): a stack must lie below it. */
const TASK_SIZE_MAX = 0x7ffffffff000n;
const INT_MAX = 0x7fffffffn;
/** _NSIG: the highest signal number. */
const NSIG = 64n;
/** CGROUP2_SUPER_MAGIC: a cgroup directory's filesystem. */
const CGROUP2_SUPER_MAGIC = 0x63677270;

/** struct clone_args at addr, usize bytes (E2BIG past a page or for unknown non-zero fields; EINVAL below version 0). */
export function readCloneArgs(task: SyscallTask, addr: bigint, usize: bigint): CloneArgs {
  if (usize > PAGE_SIZE) fail(E.E2BIG);
  if (usize < BigInt(CLONE_ARGS_SIZE.ver0)) fail(E.EINVAL);
  const raw = task.mem.read(addr, Number(usize));
  if (raw.subarray(CLONE_ARGS_SIZE.ver2).some((byte) => byte !== 0)) fail(E.E2BIG);
  const field = (offset: number): bigint => (offset + 8 <= raw.length ? raw.readBigUInt64LE(offset) : 0n);
  const o = CLONE_ARGS_OFFSET;
  let flags = field(o.flags);
  const exitSignal = field(o.exitSignal);
  const setTid = field(o.setTid);
  const setTidSize = field(o.setTidSize);
  if (setTidSize > BigInt(MAX_PID_NS_LEVEL)) fail(E.EINVAL);
  if (setTid === 0n && setTidSize > 0n) fail(E.EINVAL);
  if (setTid !== 0n && setTidSize === 0n) fail(E.EINVAL);
  if (exitSignal & ~CSIGNAL || exitSignal > NSIG) fail(E.EINVAL);
  if (flags & CLONE.INTO_CGROUP && (field(o.cgroup) > INT_MAX || usize < BigInt(CLONE_ARGS_SIZE.ver2))) fail(E.EINVAL);
  const tids = setTid === 0n ? undefined : task.mem.read(setTid, Number(setTidSize) * 4);
  // clone3_args_valid: no unknown flags, none of clone's exit signal bits (CLONE_NEWTIME
  // lives there), no CLONE_DETACHED; no exit signal for a thread or a sibling.
  if (flags & ~(CLONE_LEGACY_FLAGS | CLONE.CLEAR_SIGHAND | CLONE.INTO_CGROUP)) fail(E.EINVAL);
  if (flags & (CLONE.DETACHED | (CSIGNAL & ~CLONE.NEWTIME))) fail(E.EINVAL);
  if ((flags & (CLONE.SIGHAND | CLONE.CLEAR_SIGHAND)) === (CLONE.SIGHAND | CLONE.CLEAR_SIGHAND)) fail(E.EINVAL);
  if (flags & (CLONE.THREAD | CLONE.PARENT) && exitSignal !== 0n) fail(E.EINVAL);
  const stack = stackTop(field(o.stack), field(o.stackSize));
  if (flags & CLONE.NEWTIME) fail(hasCapability(task.creds, CAP.SYS_ADMIN) ? E.EINVAL : E.EPERM);
  // The child's handlers would stay installed on the host: the host runs clone(2), which has no such flag.
  if (flags & CLONE.CLEAR_SIGHAND) fail(E.EINVAL);
  if (flags & CLONE.INTO_CGROUP) refuseCgroup(task, Number(field(o.cgroup)));
  flags &= CLONE_LEGACY_FLAGS;
  const wanted = tids ? Array.from({ length: tids.length / 4 }, (_, i) => tids.readInt32LE(i * 4)) : undefined;
  return { flags: flags | exitSignal, pidfd: field(o.pidfd), childTid: field(o.childTid), parentTid: field(o.parentTid), stack, tls: field(o.tls), setTid: wanted };
}

/** clone3_stack_valid: a stack and its size together, inside user space; its top is where the child starts. */
function stackTop(stack: bigint, stackSize: bigint): bigint {
  if (stack === 0n) {
    if (stackSize > 0n) fail(E.EINVAL);
    return 0n;
  }
  if (stackSize === 0n || stack + stackSize > TASK_SIZE_MAX) fail(E.EINVAL);
  return stack + stackSize;
}

/** CLONE_INTO_CGROUP: EBADF unless the fd is a cgroup directory; the sandbox's cgroups take no process (EACCES). */
function refuseCgroup(task: SyscallTask, fd: number): never {
  const file = task.fds.get(fd);
  if (file.statfs().type !== CGROUP2_SUPER_MAGIC) fail(E.EBADF);
  fail(E.EACCES);
}
