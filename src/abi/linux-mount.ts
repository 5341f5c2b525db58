// mount(2) and umount2(2) flags (linux/mount.h, linux/fs.h).

/** mount(2)'s mountflags. */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  SYNCHRONOUS: 16,
  REMOUNT: 32,
  MANDLOCK: 64,
  DIRSYNC: 128,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  BIND: 4096,
  MOVE: 8192,
  REC: 16384,
  SILENT: 32768,
  POSIXACL: 1 << 16,
  UNBINDABLE: 1 << 17,
  PRIVATE: 1 << 18,
  SLAVE: 1 << 19,
  SHARED: 1 << 20,
  RELATIME: 1 << 21,
  KERNMOUNT: 1 << 22,
  I_VERSION: 1 << 23,
  STRICTATIME: 1 << 24,
  LAZYTIME: 1 << 25,
  NOUSER: 2 ** 31,
} as const;

/** The old magic number mount(2) still strips from the top of mountflags. */
export const MS_MGC_VAL = 0xc0ed0000;
export const MS_MGC_MSK = 0xffff0000;

/** The propagation flags: mount(2) takes exactly one of them (with MS_REC) to change a mount's type. */
export const MS_PROPAGATION = MS.SHARED | MS.PRIVATE | MS.SLAVE | MS.UNBINDABLE;

/** umount2(2)'s flags. */
export const MNT = {
  FORCE: 1,
  DETACH: 2,
  EXPIRE: 4,
} as const;
export const UMOUNT_NOFOLLOW = 8;
