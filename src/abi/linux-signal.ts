// Signal numbers of x86-64 Linux (asm/signal.h), for layers below the sentry that raise
// signals through callbacks (the terminal line discipline, mq_notify).

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
