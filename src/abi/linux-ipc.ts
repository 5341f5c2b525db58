// System V IPC of x86-64 Linux (linux/ipc.h, linux/sem.h, linux/msg.h, linux/shm.h): the
// commands and flags, the layout of struct ipc64_perm, semid64_ds, msqid64_ds, shmid64_ds,
// seminfo, msginfo, shminfo64 and shm_info, and the sandbox's limits (what
// /proc/sys/kernel shows and semget/msgget/shmget enforce).

export const IPC_PRIVATE = 0;
export const IPC = { CREAT: 0o1000, EXCL: 0o2000, NOWAIT: 0o4000, RMID: 0, SET: 1, STAT: 2, INFO: 3 } as const;
export const SEM = {
  UNDO: 0x1000, GETPID: 11, GETVAL: 12, GETALL: 13, GETNCNT: 14, GETZCNT: 15, SETVAL: 16, SETALL: 17,
  STAT: 18, INFO: 19, STAT_ANY: 20,
} as const;
export const MSG = { STAT: 11, INFO: 12, STAT_ANY: 13, NOERROR: 0o10000, EXCEPT: 0o20000, COPY: 0o40000 } as const;
/**
 * shmget's HUGETLB and NORESERVE, shmat's RDONLY, RND, REMAP and EXEC, shmctl's commands,
 * and the mode bits of a segment removed while attached (DEST) or locked (LOCKED).
 */
export const SHM = {
  HUGETLB: 0o4000, NORESERVE: 0o10000, RDONLY: 0o10000, RND: 0o20000, REMAP: 0o40000, EXEC: 0o100000,
  LOCK: 11, UNLOCK: 12, STAT: 13, INFO: 14, STAT_ANY: 15, DEST: 0o1000, LOCKED: 0o2000,
} as const;

/** Ids are seq << 15 | index (ipc/util.h: IPCMNI_SHIFT). */
export const IPCMNI_SHIFT = 15;
export const IPCMNI = 1 << IPCMNI_SHIFT;
/** The largest sequence number before it wraps (INT_MAX >> IPCMNI_SHIFT). */
export const IPCID_SEQ_MAX = 0x7fffffff >>> IPCMNI_SHIFT;

/** The largest value of a semaphore and of its undo adjustment (SEMVMX, SEMAEM). */
export const SEMVMX = 32767;

/**
 * The sandbox's semaphore limits: Linux's defaults but for SEMMNS, the semaphores of all
 * sets together, which the sentry holds in its own memory (Linux's 1024000000 would let a
 * workload make it allocate gigabytes).
 */
export const SEM_LIMITS = { semmsl: 32000, semmns: 1024000, semopm: 500, semmni: 32000 } as const;
/** Linux's message queue defaults (msgmax, msgmnb, msgmni). */
export const MSG_LIMITS = { msgmax: 8192, msgmnb: 16384, msgmni: 32000 } as const;
/**
 * Linux's shared memory defaults: a segment's largest size in bytes (ULONG_MAX - 2^24),
 * all segments' pages together, and how many segments; SHMMIN is 1 byte and a process may
 * attach as many as shmmni (SHMSEG). Memory is what really bounds a segment (shmget).
 */
export const SHM_LIMITS = { shmmax: 0xffff_ffff_feff_ffffn, shmall: 0xffff_ffff_feff_ffffn, shmmni: 4096, shmmin: 1 } as const;

export const IPC64_PERM_SIZE = 48;
export const IPC64_PERM_OFFSET = { key: 0, uid: 4, gid: 8, cuid: 12, cgid: 16, mode: 20, seq: 24 } as const;
export const SEMID64_DS_SIZE = 104;
export const SEMID64_DS_OFFSET = { otime: 48, ctime: 64, nsems: 80 } as const;
export const MSQID64_DS_SIZE = 120;
export const MSQID64_DS_OFFSET = { stime: 48, rtime: 56, ctime: 64, cbytes: 72, qnum: 80, qbytes: 88, lspid: 96, lrpid: 100 } as const;
export const SHMID64_DS_SIZE = 112;
export const SHMID64_DS_OFFSET = { segsz: 48, atime: 56, dtime: 64, ctime: 72, cpid: 80, lpid: 84, nattch: 88 } as const;
/** struct shminfo64: nine unsigned longs (shmmax, shmmin, shmmni, shmseg, shmall, four unused). */
export const SHMINFO64_SIZE = 72;
/** struct shm_info: an int (used_ids), then five unsigned longs (shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes). */
export const SHM_INFO_SIZE = 48;
/** struct seminfo: ten ints, semmap first. */
export const SEMINFO_SIZE = 40;
/** struct msginfo: seven ints and a short. */
export const MSGINFO_SIZE = 32;
/** struct sembuf: sem_num (u16), sem_op (s16), sem_flg (s16). */
export const SEMBUF_SIZE = 6;
