// Calls about the task itself that the sentry answers or lets the host run: brk, umask,
// prctl, file-backed mmap, scheduler calls that name a pid.

import { E, fail } from '../../abi/errno.js';
import { CAP_SETPCAP, hasCapability } from '../../sentry/credentials.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallHandler, type SyscallResult, type SyscallTask } from '../../sentry/syscall.js';
import { int32, pointer, uint32 } from './decode.js';

const PR = {
  SET_PDEATHSIG: 1, GET_PDEATHSIG: 2, GET_DUMPABLE: 3, SET_DUMPABLE: 4, GET_KEEPCAPS: 7,
  SET_KEEPCAPS: 8, SET_NAME: 15, GET_NAME: 16, GET_SECCOMP: 21, SET_SECCOMP: 22,
  CAPBSET_READ: 23, CAPBSET_DROP: 24, GET_TIMERSLACK: 30, SET_TIMERSLACK: 29,
  SET_NO_NEW_PRIVS: 38, GET_NO_NEW_PRIVS: 39, CAP_AMBIENT: 47,
} as const;
const SECCOMP_MODE_FILTER = 2;
const CAP_LAST_CAP = 40;

function brk(task: SyscallTask, args: SyscallArgs): SyscallResult | typeof RUN_ON_HOST {
  return task.process.brk(pointer(args[0]));
}

function umask(task: SyscallTask, args: SyscallArgs): number {
  const old = task.fs.umask;
  task.fs.umask = uint32(args[0]) & 0o777;
  return old;
}

function prctl(task: SyscallTask, args: SyscallArgs): number | typeof RUN_ON_HOST {
  const option = int32(args[0]);
  const arg2 = args[1];
  switch (option) {
    case PR.SET_NAME: {
      const raw = task.mem.read(pointer(arg2), 16);
      const nul = raw.indexOf(0);
      task.process.comm = raw.subarray(0, nul < 0 ? 15 : Math.min(nul, 15)).toString('latin1');
      return 0;
    }
    case PR.GET_NAME: {
      const out = Buffer.alloc(16);
      out.write(task.process.comm, 'latin1');
      task.mem.write(pointer(arg2), out);
      return 0;
    }
    case PR.GET_DUMPABLE:
      return task.process.dumpable ? 1 : 0;
    case PR.SET_DUMPABLE:
      if (arg2 !== 0n && arg2 !== 1n) fail(E.EINVAL);
      task.process.dumpable = arg2 === 1n;
      return 0;
    case PR.GET_NO_NEW_PRIVS:
      return 1; // every sandboxed task runs with no_new_privs
    case PR.SET_NO_NEW_PRIVS:
      return arg2 === 1n ? 0 : -E.EINVAL;
    case PR.GET_SECCOMP:
      return SECCOMP_MODE_FILTER;
    case PR.SET_SECCOMP:
      // A filter of the workload's own stacks under the sandbox's: it can only restrict.
      return RUN_ON_HOST;
    case PR.CAPBSET_READ: {
      const cap = Number(arg2);
      if (cap < 0 || cap > CAP_LAST_CAP) fail(E.EINVAL);
      return (task.creds.bounding >> BigInt(cap)) & 1n ? 1 : 0;
    }
    case PR.CAPBSET_DROP: {
      const cap = Number(arg2);
      if (cap < 0 || cap > CAP_LAST_CAP) fail(E.EINVAL);
      if (!hasCapability(task.creds, CAP_SETPCAP)) fail(E.EPERM);
      task.process.setCredentials({ ...task.creds, bounding: task.creds.bounding & ~(1n << BigInt(cap)) });
      return 0;
    }
    case PR.GET_TIMERSLACK:
    case PR.SET_TIMERSLACK:
      return RUN_ON_HOST;
    default:
      return -E.EINVAL;
  }
}

/** seccomp(2): the workload may add filters of its own (they only restrict). */
function seccomp(): typeof RUN_ON_HOST {
  return RUN_ON_HOST;
}

/**
 * mmap of a file (anonymous mappings never stop here: the filter lets them through):
 * mmap(addr, length, prot, flags, fd, offset).
 */
function mmap(task: SyscallTask, args: SyscallArgs): SyscallResult | typeof RUN_ON_HOST {
  const file = task.fds.get(int32(args[4]));
  return task.process.mapFile(pointer(args[0]), args[1], int32(args[2]), int32(args[3]), file, BigInt.asIntN(64, args[5]));
}

export const miscSyscalls = {
  brk,
  umask,
  prctl,
  seccomp,
  mmap,
} satisfies Record<string, SyscallHandler>;
