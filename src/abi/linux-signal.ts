// Signals of x86-64 Linux (asm/signal.h, asm-generic/siginfo.h): the numbers, for layers
// below the sentry that raise signals through callbacks (the terminal line discipline,
// mq_notify), and the sizes and layout of sigset_t and siginfo_t.

export const SIGNO = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGTERM: 15,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGTTIN: 21,
  SIGTTOU: 22,
  SIGWINCH: 28,
  SIGIO: 29,
} as const;

/** The kernel's sigset_t: the sigsetsize every signal call must pass. */
export const SIGSET_SIZE = 8n;

export const SIGINFO_SIZE = 128;
/** The part of a siginfo the kernel copies from a rt_sigqueueinfo caller (kernel_siginfo). */
export const QUEUED_SIGINFO_SIZE = 48;
export const SI_CODE = { USER: 0, QUEUE: -1, TKILL: -6 } as const;
export const SIGINFO_OFFSET = { signo: 0, errno: 4, code: 8, pid: 16, uid: 20, status: 24 } as const;

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
