// Core dumps never reach the host. A signal whose default action dumps core would make the
// host kernel write a core file (into the workload's host cwd, with the host's core_pattern,
// which a pipe pattern such as systemd-coredump's runs whatever RLIMIT_CORE 0 says). So the
// sentry ends such a process at the signal's delivery stop, before the host kernel acts on
// it: the host kills it with SIGKILL and the sandbox's wait status says what Linux would,
// the signal with the core bit by the sandbox's own RLIMIT_CORE and dumpability. No core
// file is written, in the sandbox either. The host RLIMIT_CORE of 1 that every workload
// process starts with (sandbox.ts) is the second line: neither a file nor a pipe pattern
// dumps at 1. It alone holds where no delivery stop comes: a signal the kernel forces as
// fatal (a workload's own seccomp filter's SECCOMP_RET_KILL_PROCESS), and a sibling thread
// that restores the default disposition between the check here and the kernel's delivery.

import { readHostProc, signalSetField } from '../platform/host/host-proc.js';
import { RLIMIT } from './rlimits.js';
import { SIG } from '../../abi/linux-signal.js';
import type { Rlimit } from './syscall.js';
import { keepsSpecCoreLimit } from './test-faults.js';
import type { ThreadGroup } from './thread-group.js';

/** Signals whose default action is to dump core (signal(7): "Core"). */
const CORE_SIGNALS = new Set<number>([SIG.QUIT, SIG.ILL, SIG.TRAP, SIG.ABRT, SIG.BUS, SIG.FPE, SIG.SEGV, SIG.XCPU, SIG.XFSZ, SIG.SYS]);

/**
 * The smallest RLIMIT_CORE that gets a core written with the core_pattern the sandbox shows
 * ("core", a file): Linux writes nothing below a page (binfmt's min_coredump), and reports
 * the dump as done above it even when the file is cut at the limit.
 */
const MIN_COREDUMP = 4096n;

/**
 * The host RLIMIT_CORE (soft and hard) of every workload process: 1, at which no core
 * pattern dumps. The sandbox's own limit (rlimit) never reaches the host, but for the tests
 * that try the delivery-stop end alone (test-faults.ts).
 */
export function hostCoreLimit(rlimit: Rlimit): Rlimit {
  return keepsSpecCoreLimit() ? rlimit : { cur: 1n, max: 1n };
}

/**
 * Whether sig, at its signal-delivery-stop in host thread hostTid, is about to dump core:
 * a core signal whose disposition on the host is the default. The host's own view
 * (/proc's SigIgn, SigCgt) is the one to ask: a forced fault (SIGSEGV while it is blocked or
 * ignored) has already reset it to the default there.
 */
export function dumpsCore(hostPid: number, hostTid: number, sig: number): boolean {
  if (!CORE_SIGNALS.has(sig)) return false;
  const status = readHostProc(`${hostPid}/task/${hostTid}/status`);
  if (status === undefined) return false;
  const bit = 1n << BigInt(sig - 1);
  return ((signalSetField(status, 'SigIgn') | signalSetField(status, 'SigCgt')) & bit) === 0n;
}

/** The raw wait status of a process that sig killed: with the core bit where Linux would dump. */
export function killedStatus(group: ThreadGroup, sig: number): number {
  const dumped = CORE_SIGNALS.has(sig) && group.dumpable && group.rlimits.get(RLIMIT.CORE).cur >= MIN_COREDUMP;
  return sig | (dumped ? 0x80 : 0);
}

/**
 * The wait status the sandbox shows for a host one: a death by a signal gets its core bit by
 * the sandbox's rules. Signals the host kernel forces past the delivery stop (a workload's
 * own seccomp filter's SECCOMP_RET_KILL_PROCESS) die at the host RLIMIT_CORE of 1, undumped.
 */
export function sandboxStatus(group: ThreadGroup, hostStatus: number): number {
  const sig = hostStatus & 0x7f;
  return sig === 0 || sig === 0x7f ? hostStatus : killedStatus(group, sig);
}
