// inotify of Linux (linux/inotify.h): the flag bits beyond the event bits (those are the
// VFS's FS_EVENT values), and the sandbox's limits as /proc/sys/fs/inotify shows them.

export const IN = {
  ALL_EVENTS: 0xfff,
  UNMOUNT: 0x2000,
  Q_OVERFLOW: 0x4000,
  IGNORED: 0x8000,
  ONLYDIR: 0x1000000,
  DONT_FOLLOW: 0x2000000,
  EXCL_UNLINK: 0x4000000,
  MASK_CREATE: 0x10000000,
  MASK_ADD: 0x20000000,
  ISDIR: 0x40000000,
  ONESHOT: 0x80000000,
} as const;

export const INOTIFY_LIMITS = { maxQueuedEvents: 16384, maxUserInstances: 128, maxUserWatches: 8192 } as const;
