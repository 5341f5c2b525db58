// Linux x86-64 values for open(2) flags, *at() flags and fcntl(2) commands.

/** open(2) flags (octal values from asm-generic/fcntl.h, x86-64). */
export const O = {
  RDONLY: 0o0,
  WRONLY: 0o1,
  RDWR: 0o2,
  ACCMODE: 0o3,
  CREAT: 0o100,
  EXCL: 0o200,
  NOCTTY: 0o400,
  TRUNC: 0o1000,
  APPEND: 0o2000,
  NONBLOCK: 0o4000,
  DSYNC: 0o10000,
  ASYNC: 0o20000,
  DIRECT: 0o40000,
  LARGEFILE: 0o100000,
  DIRECTORY: 0o200000,
  NOFOLLOW: 0o400000,
  NOATIME: 0o1000000,
  CLOEXEC: 0o2000000,
  SYNC: 0o4010000,
  PATH: 0o10000000,
  TMPFILE: 0o20200000,
} as const;

/** Status flags F_SETFL may change; everything else in its argument is ignored. */
export const SETFL_MUTABLE = O.APPEND | O.ASYNC | O.DIRECT | O.NOATIME | O.NONBLOCK;

/** The dirfd value meaning "relative to the current working directory". */
export const AT_FDCWD = -100;

/** Flags of the *at() family. */
export const AT = {
  SYMLINK_NOFOLLOW: 0x100,
  REMOVEDIR: 0x200,
  EACCESS: 0x200,
  SYMLINK_FOLLOW: 0x400,
  NO_AUTOMOUNT: 0x800,
  EMPTY_PATH: 0x1000,
  STATX_SYNC_TYPE: 0x6000,
} as const;

/** renameat2(2) flags. */
export const RENAME = {
  NOREPLACE: 1,
  EXCHANGE: 2,
  WHITEOUT: 4,
} as const;

/** fcntl(2) commands. */
export const F = {
  DUPFD: 0,
  GETFD: 1,
  SETFD: 2,
  GETFL: 3,
  SETFL: 4,
  GETLK: 5,
  SETLK: 6,
  SETLKW: 7,
  SETOWN: 8,
  GETOWN: 9,
  SETSIG: 10,
  GETSIG: 11,
  SETOWN_EX: 15,
  GETOWN_EX: 16,
  OFD_GETLK: 36,
  OFD_SETLK: 37,
  OFD_SETLKW: 38,
  SETLEASE: 1024,
  GETLEASE: 1025,
  NOTIFY: 1026,
  DUPFD_CLOEXEC: 1030,
  SETPIPE_SZ: 1031,
  GETPIPE_SZ: 1032,
  ADD_SEALS: 1033,
  GET_SEALS: 1034,
} as const;

/** The only fd flag. */
export const FD_CLOEXEC = 1;

/** struct flock l_type values. */
export const LOCK_TYPE = {
  RDLCK: 0,
  WRLCK: 1,
  UNLCK: 2,
} as const;

/** flock(2) operations. */
export const LOCK = {
  SH: 1,
  EX: 2,
  NB: 4,
  UN: 8,
} as const;

/** lseek(2) whence values. */
export const SEEK = {
  SET: 0,
  CUR: 1,
  END: 2,
  DATA: 3,
  HOLE: 4,
} as const;

/** close_range(2) flags. */
export const CLOSE_RANGE = {
  UNSHARE: 1 << 1,
  CLOEXEC: 1 << 2,
} as const;

/** faccessat(2) mode bits. */
export const ACCESS = {
  F_OK: 0,
  X_OK: 1,
  W_OK: 2,
  R_OK: 4,
} as const;

/** fallocate(2) mode bits. */
export const FALLOC = {
  KEEP_SIZE: 0x01,
  PUNCH_HOLE: 0x02,
  COLLAPSE_RANGE: 0x08,
  ZERO_RANGE: 0x10,
  INSERT_RANGE: 0x20,
  UNSHARE_RANGE: 0x40,
} as const;

/** Largest count one read/write moves (MAX_RW_COUNT: INT_MAX rounded down to a page). */
export const MAX_RW_COUNT = 0x7ffff000;

/** Largest number of iovecs readv/writev accept. */
export const UIO_MAXIOV = 1024;

/** Longest path the kernel copies in, NUL included. */
export const PATH_MAX = 4096;
