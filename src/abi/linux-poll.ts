// Readiness bits: poll(2) events and epoll(7) flags, and the select(2) sets.

/** poll(2) event bits; epoll uses the same values for the shared ones. */
export const POLL = {
  IN: 0x001,
  PRI: 0x002,
  OUT: 0x004,
  ERR: 0x008,
  HUP: 0x010,
  NVAL: 0x020,
  RDNORM: 0x040,
  RDBAND: 0x080,
  WRNORM: 0x100,
  WRBAND: 0x200,
  MSG: 0x400,
  RDHUP: 0x2000,
} as const;

/** epoll flags beyond the readiness bits. */
export const EPOLL = {
  EXCLUSIVE: 1 << 28,
  WAKEUP: 1 << 29,
  ONESHOT: 1 << 30,
  ET: 1 << 31,
  CLOEXEC: 0o2000000,
} as const;

export const EPOLL_CTL = {
  ADD: 1,
  DEL: 2,
  MOD: 3,
} as const;

/** struct epoll_event is packed on x86-64: u32 events, u64 data. */
export const EPOLL_EVENT_SIZE = 12;

/** struct pollfd: int fd, short events, short revents. */
export const POLLFD_SIZE = 8;

/** Most fds a select(2) set can name. */
export const FD_SETSIZE = 1024;

/** What select's read set waits for (the kernel's POLLIN_SET). */
export const SELECT_READ = POLL.IN | POLL.RDNORM | POLL.RDBAND | POLL.HUP | POLL.ERR;
/** What select's write set waits for (POLLOUT_SET). */
export const SELECT_WRITE = POLL.OUT | POLL.WRNORM | POLL.WRBAND | POLL.ERR;
/** What select's except set waits for (POLLEX_SET). */
export const SELECT_EXCEPT = POLL.PRI;
