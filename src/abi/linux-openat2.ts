// openat2(2): struct open_how and its RESOLVE_* flags (linux/openat2.h).

/** open_how.resolve bits. */
export const RESOLVE = {
  NO_XDEV: 0x01,
  NO_MAGICLINKS: 0x02,
  NO_SYMLINKS: 0x04,
  BENEATH: 0x08,
  IN_ROOT: 0x10,
  CACHED: 0x20,
} as const;

export const RESOLVE_ALL = RESOLVE.NO_XDEV | RESOLVE.NO_MAGICLINKS | RESOLVE.NO_SYMLINKS | RESOLVE.BENEATH | RESOLVE.IN_ROOT | RESOLVE.CACHED;

/** struct open_how { u64 flags; u64 mode; u64 resolve; }: its first published size. */
export const OPEN_HOW_SIZE_VER0 = 24;
