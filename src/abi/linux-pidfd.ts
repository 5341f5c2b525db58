// pidfd_open(2) and pidfd_send_signal(2) flags (linux/pidfd.h).

/** pidfd_open: a non-blocking pidfd (O_NONBLOCK), a pidfd of one thread (O_EXCL). */
export const PIDFD = { NONBLOCK: 0o4000, THREAD: 0o200 } as const;

/** pidfd_send_signal: whom the signal goes to (at most one of them). */
export const PIDFD_SIGNAL = { THREAD: 1, THREAD_GROUP: 2, PROCESS_GROUP: 4 } as const;
