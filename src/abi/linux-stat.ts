// struct stat, struct statx and struct statfs as x86-64 Linux lays them out, and the
// file mode bits. Encoders take plain values so every layer (VFS, Linux table, WASI) can
// share them without depending on each other.

/** File type and permission bits of st_mode. */
export const S = {
  IFMT: 0o170000,
  IFSOCK: 0o140000,
  IFLNK: 0o120000,
  IFREG: 0o100000,
  IFBLK: 0o060000,
  IFDIR: 0o040000,
  IFCHR: 0o020000,
  IFIFO: 0o010000,
  ISUID: 0o4000,
  ISGID: 0o2000,
  ISVTX: 0o1000,
} as const;

/** Permission and special bits chmod may set. */
export const MODE_PERMISSION_BITS = 0o7777;

export interface Timespec {
  sec: bigint;
  nsec: number;
}

/** What a stat family call reports, independent of the struct it lands in. */
export interface StatFields {
  dev: bigint;
  ino: bigint;
  nlink: number;
  mode: number;
  uid: number;
  gid: number;
  rdev: bigint;
  size: bigint;
  blksize: number;
  blocks: bigint;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  /** Birth time, when the filesystem records one. */
  btime?: Timespec;
  mountId?: bigint;
}

export const STAT_SIZE = 144;

/** struct stat (x86-64, 144 bytes). */
export function encodeStat(st: StatFields): Buffer {
  const b = Buffer.alloc(STAT_SIZE);
  b.writeBigUInt64LE(st.dev, 0);
  b.writeBigUInt64LE(st.ino, 8);
  b.writeBigUInt64LE(BigInt(st.nlink), 16);
  b.writeUInt32LE(st.mode >>> 0, 24);
  b.writeUInt32LE(st.uid >>> 0, 28);
  b.writeUInt32LE(st.gid >>> 0, 32);
  b.writeBigUInt64LE(st.rdev, 40);
  b.writeBigInt64LE(st.size, 48);
  b.writeBigInt64LE(BigInt(st.blksize), 56);
  b.writeBigInt64LE(st.blocks, 64);
  writeTimespec(b, 72, st.atime);
  writeTimespec(b, 88, st.mtime);
  writeTimespec(b, 104, st.ctime);
  return b;
}

function writeTimespec(b: Buffer, offset: number, t: Timespec): void {
  b.writeBigInt64LE(t.sec, offset);
  b.writeBigInt64LE(BigInt(t.nsec), offset + 8);
}

/** statx(2) mask bits. */
export const STATX = {
  TYPE: 0x1,
  MODE: 0x2,
  NLINK: 0x4,
  UID: 0x8,
  GID: 0x10,
  ATIME: 0x20,
  MTIME: 0x40,
  CTIME: 0x80,
  INO: 0x100,
  SIZE: 0x200,
  BLOCKS: 0x400,
  BASIC_STATS: 0x7ff,
  BTIME: 0x800,
  MNT_ID: 0x1000,
  /** Reserved for a future struct statx expansion: the kernel refuses it. */
  RESERVED: 0x80000000,
} as const;

export const STATX_SIZE = 256;

/** Major and minor numbers of a dev_t as the kernel's new_encode_dev packs them. */
export function devMajor(dev: bigint): number {
  return Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn & 0xffffffffn));
}

export function devMinor(dev: bigint): number {
  return Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn & 0xffffffffn));
}

export function makeDev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/**
 * struct statx (256 bytes). The kernel fills every basic field whatever the request
 * mask says; stx_mask tells which ones are real.
 */
export function encodeStatx(st: StatFields): Buffer {
  const b = Buffer.alloc(STATX_SIZE);
  let mask: number = STATX.BASIC_STATS;
  if (st.btime) mask |= STATX.BTIME;
  if (st.mountId !== undefined) mask |= STATX.MNT_ID;
  b.writeUInt32LE(mask >>> 0, 0);
  b.writeUInt32LE(st.blksize >>> 0, 4);
  b.writeUInt32LE(st.nlink >>> 0, 16);
  b.writeUInt32LE(st.uid >>> 0, 20);
  b.writeUInt32LE(st.gid >>> 0, 24);
  b.writeUInt16LE(st.mode & 0xffff, 28);
  b.writeBigUInt64LE(st.ino, 32);
  b.writeBigUInt64LE(st.size, 40);
  b.writeBigUInt64LE(st.blocks, 48);
  writeStatxTimestamp(b, 64, st.atime);
  if (st.btime) writeStatxTimestamp(b, 80, st.btime);
  writeStatxTimestamp(b, 96, st.ctime);
  writeStatxTimestamp(b, 112, st.mtime);
  b.writeUInt32LE(devMajor(st.rdev), 128);
  b.writeUInt32LE(devMinor(st.rdev), 132);
  b.writeUInt32LE(devMajor(st.dev), 136);
  b.writeUInt32LE(devMinor(st.dev), 140);
  if (st.mountId !== undefined) b.writeBigUInt64LE(st.mountId, 144);
  return b;
}

function writeStatxTimestamp(b: Buffer, offset: number, t: Timespec): void {
  b.writeBigInt64LE(t.sec, offset);
  b.writeUInt32LE(t.nsec >>> 0, offset + 8);
}

/** What statfs reports about a filesystem. */
export interface StatfsFields {
  type: bigint;
  bsize: bigint;
  blocks: bigint;
  bfree: bigint;
  bavail: bigint;
  files: bigint;
  ffree: bigint;
  fsid: readonly [number, number];
  namelen: bigint;
  frsize: bigint;
  flags: bigint;
}

export const STATFS_SIZE = 120;

/** struct statfs (x86-64, 120 bytes). */
export function encodeStatfs(s: StatfsFields): Buffer {
  const b = Buffer.alloc(STATFS_SIZE);
  b.writeBigInt64LE(s.type, 0);
  b.writeBigInt64LE(s.bsize, 8);
  b.writeBigUInt64LE(s.blocks, 16);
  b.writeBigUInt64LE(s.bfree, 24);
  b.writeBigUInt64LE(s.bavail, 32);
  b.writeBigUInt64LE(s.files, 40);
  b.writeBigUInt64LE(s.ffree, 48);
  b.writeInt32LE(s.fsid[0] | 0, 56);
  b.writeInt32LE(s.fsid[1] | 0, 60);
  b.writeBigInt64LE(s.namelen, 64);
  b.writeBigInt64LE(s.frsize, 72);
  b.writeBigInt64LE(s.flags, 80);
  return b;
}

/** utimensat(2) special nanosecond values. */
export const UTIME_NOW = (1 << 30) - 1;
export const UTIME_OMIT = (1 << 30) - 2;
