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
export const SI_CODE = { USER: 0, QUEUE: -1, MESGQ: -3, TKILL: -6 } as const;
export const SIGINFO_OFFSET = { signo: 0, errno: 4, code: 8, pid: 16, uid: 20, status: 24, value: 24 } as const;
