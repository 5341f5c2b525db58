// Memory mappings (asm-generic/mman-common.h, asm/mman.h): mmap's protections and flags,
// madvise's advice, mlock2's and mlockall's flags.

export const PAGE_SIZE = 4096n;

export const PROT = { READ: 0x1, WRITE: 0x2, EXEC: 0x4 } as const;

export const MAP = { SHARED: 0x01, PRIVATE: 0x02, SHARED_VALIDATE: 0x03, TYPE: 0x0f, FIXED: 0x10, ANONYMOUS: 0x20, LOCKED: 0x2000, FIXED_NOREPLACE: 0x100000 } as const;

/** The advice madvise may not pass to the host (the rest act on the task's own pages). */
export const MADV = { MERGEABLE: 12, UNMERGEABLE: 13, HWPOISON: 100, SOFT_OFFLINE: 101 } as const;

export const MLOCK_ONFAULT = 0x01;
export const MCL = { CURRENT: 0x01, FUTURE: 0x02, ONFAULT: 0x04 } as const;
