// Calls about the task itself that the sentry answers or lets the host run: brk, umask,
// prctl, seccomp.

import { E, fail } from '../../abi/errno.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallHandler, type SyscallResult, type SyscallTask, type HostCall } from '../../sentry/kernel/syscall.js';
import { int32, pointer, uint32 } from './decode.js';
import { credentialPrctl } from './id.js';
import { seccompOperation, setSeccompMode } from './seccomp.js';

const PR = {
  SET_PDEATHSIG: 1, GET_PDEATHSIG: 2, GET_DUMPABLE: 3, SET_DUMPABLE: 4, SET_NAME: 15, SET_PTRACER: 0x59616d61,
  GET_NAME: 16, GET_SECCOMP: 21, SET_SECCOMP: 22, GET_TIMERSLACK: 30, SET_TIMERSLACK: 29,
} as const;
const SECCOMP_MODE_FILTER = 2;

function brk(task: SyscallTask, args: SyscallArgs): SyscallResult | HostCall {
  return task.process.brk(pointer(args[0]));
}

function umask(task: SyscallTask, args: SyscallArgs): number {
  const old = task.fs.umask;
  task.fs.umask = uint32(args[0]) & 0o777;
  return old;
}

function prctl(task: SyscallTask, args: SyscallArgs): SyscallResult | HostCall | Promise<SyscallResult> {
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
    case PR.SET_PDEATHSIG:
      // valid_signal: 0 (none) up to _NSIG.
      if (arg2 > 64n) fail(E.EINVAL);
      task.process.parentDeathSignal = Number(arg2);
      return 0;
    case PR.GET_PDEATHSIG: {
      const out = Buffer.alloc(4);
      out.writeInt32LE(task.process.parentDeathSignal);
      task.mem.write(pointer(arg2), out);
      return 0;
    }
    case PR.GET_DUMPABLE:
      return task.process.dumpable ? 1 : 0;
    case PR.SET_DUMPABLE:
      if (arg2 !== 0n && arg2 !== 1n) fail(E.EINVAL);
      task.process.dumpable = arg2 === 1n;
      return 0;
    case PR.SET_PTRACER:
      return task.process.setPtracer(arg2);
    case PR.GET_SECCOMP:
      return SECCOMP_MODE_FILTER;
    case PR.SET_SECCOMP:
      return setSeccompMode(task, arg2, args[2]);
    case PR.GET_TIMERSLACK:
    case PR.SET_TIMERSLACK:
      return RUN_ON_HOST;
    default:
      return credentialPrctl(task, option, args) ?? -E.EINVAL;
  }
}

/** seccomp(operation, flags, args): filters of the workload's own (seccomp.ts). */
function seccomp(task: SyscallTask, args: SyscallArgs): SyscallResult | Promise<SyscallResult> {
  return seccompOperation(task, uint32(args[0]), uint32(args[1]), pointer(args[2]));
}

export const miscSyscalls = {
  brk,
  umask,
  prctl,
  seccomp,
} satisfies Record<string, SyscallHandler>;
