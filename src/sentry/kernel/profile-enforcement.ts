// The spec's seccomp profile, enforced by the sentry at each seccomp stop before the call's
// own handling, with the actions Linux takes: ERRNO, TRACE without a tracer (ENOSYS),
// TRAP (SIGSYS with the seccomp siginfo the kernel fills), KILL_THREAD and KILL_PROCESS
// (killed by SIGSYS), ALLOW and LOG. It is not installed as a host filter: the host kernel
// also runs filters on the calls the sentry injects into a task (the loader's mmaps, the
// recvmsg of a shared mapping), and a profile denying those would break the sentry's own
// work. Calls the sentry's filter would let through or refuse without a stop, but the
// profile restricts, stop too (alsoTrap); once the profile lets one run, the sentry does
// what its filter would have done.

import { E } from '../../abi/errno.js';
import { SIGINFO_OFFSET, SIGINFO_SIZE } from '../../abi/linux-signal.js';
import { runSeccompFilter } from './bpf.js';
import type { Platform } from './platform.js';
import type { SeccompProfile } from './seccomp-profile.js';
import { SIG } from '../../abi/linux-signal.js';
import { SIG_DFL, SIG_IGN } from './signals.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallResult, type SyscallTable, type HostCall, type NoReturn } from './syscall.js';
import type { Task } from './task.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const SYS_SECCOMP = 1;
const SECCOMP_RET = { ACTION: 0xffff0000, DATA: 0x0000ffff, ALLOW: 0x7fff0000, ERRNO: 0x00050000 } as const;
/** siginfo's _sigsys fields (after signo, errno, code). */
const SIGSYS_OFFSET = { callAddr: 16, syscall: 24, arch: 28 } as const;

/** What enforcing a profile needs besides the stopped task. */
export interface ProfileHost {
  /** The stopped call's address and the task's signal mask, and raising its SIGSYS. */
  readonly platform: Pick<Platform, 'callAddress' | 'hostSignals'>;
  /** Ends task's process as a fatal signal with this wait status would. */
  killProcess(task: Task, status: number): void;
}

export class ProfileEnforcement {
  /** Numbers that stop only for the profile: the base filter would have answered them. */
  readonly alsoTrap: ReadonlySet<number>;

  /** baseFilter: the sentry's own filter without alsoTrap, for what it would have done. */
  constructor(
    private readonly host: ProfileHost,
    private readonly profile: SeccompProfile,
    table: SyscallTable,
    private readonly baseFilter: Uint8Array,
  ) {
    this.alsoTrap = new Set([...table.entries()].map((e) => e.nr).filter((nr) => !profile.alwaysPermits(nr)));
  }

  /**
   * At a seccomp stop (registers loaded), before the handler: the profile's answer, or
   * undefined when the call goes on to the sentry's own handling.
   */
  atStop(task: Task, nr: number, args: SyscallArgs): SyscallResult | HostCall | NoReturn | undefined {
    const action = this.profile.decide(nr, args);
    switch (action.kind) {
      case 'allow':
      case 'log':
        return this.alsoTrap.has(nr) ? this.filterAnswer(nr, args) : undefined;
      case 'errno':
        return -action.errno;
      case 'trace':
        return -E.ENOSYS;
      case 'trap':
        return this.trap(task, nr);
      case 'kill-thread':
        if ([...task.group.tasks].some((t) => t !== task && !t.exited && !t.exiting)) return this.exitThread();
        return this.killProcess(task);
      case 'kill-process':
        return this.killProcess(task);
    }
  }

  /** What the sentry's filter would have answered for a call it let stop only for the profile. */
  private filterAnswer(nr: number, args: SyscallArgs): SyscallResult | HostCall | undefined {
    const ret = runSeccompFilter(this.baseFilter, { nr, arch: AUDIT_ARCH_X86_64, instructionPointer: 0n, args });
    const action = (ret & SECCOMP_RET.ACTION) >>> 0;
    if (action === SECCOMP_RET.ALLOW) return RUN_ON_HOST;
    if (action === SECCOMP_RET.ERRNO) return -(ret & SECCOMP_RET.DATA);
    return undefined;
  }

  /**
   * SCMP_ACT_TRAP: SIGSYS as force_sig_seccomp sends it; the call is skipped with its
   * number in rax (syscall_rollback). Blocked, ignored or default, SIGSYS kills the process.
   */
  private trap(task: Task, nr: number): SyscallResult {
    const { platform } = this.host;
    const handler = task.group.sigactions.get(SIG.SYS).handler;
    const blocked = (platform.hostSignals.stoppedMask(task.hostTid) >> BigInt(SIG.SYS - 1)) & 1n;
    if (handler === SIG_DFL || handler === SIG_IGN || blocked) return this.killProcess(task);
    const info = Buffer.alloc(SIGINFO_SIZE);
    info.writeInt32LE(SIG.SYS, SIGINFO_OFFSET.signo);
    info.writeInt32LE(SYS_SECCOMP, SIGINFO_OFFSET.code);
    info.writeBigUInt64LE(platform.callAddress(), SIGSYS_OFFSET.callAddr);
    info.writeInt32LE(nr, SIGSYS_OFFSET.syscall);
    info.writeUInt32LE(AUDIT_ARCH_X86_64, SIGSYS_OFFSET.arch);
    task.seccompSiginfo = info;
    platform.hostSignals.raiseInThread(task.group.hostPid, task.hostTid, SIG.SYS);
    return BigInt(nr);
  }

  /** KILL_THREAD of one thread among others: it ends as by exit(2), the others go on. */
  private exitThread(): NoReturn {
    return { kind: 'exit', scope: 'thread' };
  }

  /**
   * KILL_PROCESS: killed by SIGSYS. Linux also attempts a core dump; the sandbox never
   * writes one, so the status claims none (as Linux reports a dump RLIMIT_CORE stopped).
   */
  private killProcess(task: Task): SyscallResult {
    this.host.killProcess(task, SIG.SYS);
    return -E.ENOSYS;
  }
}

/**
 * At a signal-delivery stop of sig: the siginfo the kernel built for a seccomp trap's
 * SIGSYS (the platform writes it in), or undefined when this stop is no such one.
 */
export function takeSeccompSiginfo(task: Task, sig: number): Buffer | undefined {
  const info = task.seccompSiginfo;
  if (sig !== SIG.SYS || !info) return undefined;
  task.seccompSiginfo = undefined;
  return info;
}
