// Signals of x86-64 Linux (asm/signal.h, asm-generic/siginfo.h): the numbers, for every
// layer (the sentry's signal model, the terminal line discipline, mq_notify, the WASI
// traps), and the sizes and layout of sigset_t and siginfo_t.

export const SIG = {
  HUP: 1, INT: 2, QUIT: 3, ILL: 4, TRAP: 5, ABRT: 6, BUS: 7, FPE: 8, KILL: 9, USR1: 10,
  SEGV: 11, USR2: 12, PIPE: 13, ALRM: 14, TERM: 15, STKFLT: 16, CHLD: 17, CONT: 18,
  STOP: 19, TSTP: 20, TTIN: 21, TTOU: 22, URG: 23, XCPU: 24, XFSZ: 25, VTALRM: 26,
  PROF: 27, WINCH: 28, IO: 29, PWR: 30, SYS: 31,
} as const;

/** The first real-time signal: from it on, every sent signal is queued. */
export const SIGRTMIN = 32;

/** The kernel's sigset_t: the sigsetsize every signal call must pass. */
export const SIGSET_SIZE = 8n;

export const SIGINFO_SIZE = 128;
/** The part of a siginfo the kernel copies from a rt_sigqueueinfo caller (kernel_siginfo). */
export const QUEUED_SIGINFO_SIZE = 48;
export const SI_CODE = { USER: 0, QUEUE: -1, MESGQ: -3, TKILL: -6 } as const;
export const SIGINFO_OFFSET = { signo: 0, errno: 4, code: 8, pid: 16, uid: 20, status: 24, value: 24 } as const;

/** Who a siginfo says sent it, and for SIGCHLD what happened to the child (CLD_* and status). */
export interface SiginfoSender {
  readonly pid: number;
  readonly uid: number;
  readonly child?: { readonly code: number; readonly status: number };
}

/** Writes si_pid, si_uid (a uid_t: unsigned, so uids past 2^31 too) and a child's si_code and si_status. */
export function writeSiginfoSender(info: Buffer, sender: SiginfoSender): void {
  info.writeInt32LE(sender.pid, SIGINFO_OFFSET.pid);
  info.writeUInt32LE(sender.uid, SIGINFO_OFFSET.uid);
  if (sender.child) {
    info.writeInt32LE(sender.child.code, SIGINFO_OFFSET.code);
    info.writeInt32LE(sender.child.status, SIGINFO_OFFSET.status);
  }
}
