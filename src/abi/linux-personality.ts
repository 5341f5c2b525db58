// personality(2)'s values (linux/personality.h).

export const PERSONALITY = {
  /** The low byte: the execution domain. */
  MASK: 0xff,
  LINUX: 0x0000,
  LINUX32: 0x0008,
  UNAME26: 0x0020000,
  ADDR_NO_RANDOMIZE: 0x0040000,
  FDPIC_FUNCPTRS: 0x0080000,
  MMAP_PAGE_ZERO: 0x0100000,
  ADDR_COMPAT_LAYOUT: 0x0200000,
  READ_IMPLIES_EXEC: 0x0400000,
  ADDR_LIMIT_32BIT: 0x0800000,
  SHORT_INODE: 0x1000000,
  WHOLE_SECONDS: 0x2000000,
  STICKY_TIMEOUTS: 0x4000000,
  ADDR_LIMIT_3GB: 0x8000000,
} as const;

/** What an exec that changes ids or grants capabilities clears (PER_CLEAR_ON_SETID). */
export const PER_CLEAR_ON_SETID = PERSONALITY.READ_IMPLIES_EXEC | PERSONALITY.ADDR_NO_RANDOMIZE | PERSONALITY.ADDR_COMPAT_LAYOUT | PERSONALITY.MMAP_PAGE_ZERO;

/** personality(0xffffffff) only asks. */
export const PERSONALITY_QUERY = 0xffffffff;
