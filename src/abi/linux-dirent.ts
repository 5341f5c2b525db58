// struct linux_dirent64 and the legacy struct linux_dirent, with the d_type values.

/** d_type values (DT_*): the file type bits of st_mode shifted down by 12. */
export const DT = {
  UNKNOWN: 0,
  FIFO: 1,
  CHR: 2,
  DIR: 4,
  BLK: 6,
  REG: 8,
  LNK: 10,
  SOCK: 12,
} as const;

/** The d_type of a mode's file type bits. */
export function direntTypeOfMode(mode: number): number {
  return (mode >>> 12) & 0xf;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** The head both dirent layouts share (d_ino, d_off, d_reclen), over a zeroed record. */
function writeRecordHead(b: Buffer, offset: number, ino: bigint, off: bigint, reclen: number): void {
  b.fill(0, offset, offset + reclen);
  b.writeBigUInt64LE(ino, offset);
  b.writeBigInt64LE(off, offset + 8);
  b.writeUInt16LE(reclen, offset + 16);
}

/** The size linux_dirent64 needs for a name of `nameLength` bytes. */
export function dirent64Size(nameLength: number): number {
  // d_ino(8) d_off(8) d_reclen(2) d_type(1) d_name[] NUL
  return align8(19 + nameLength + 1);
}

/** Writes one linux_dirent64 at `offset`; `name` is a latin1 byte string. */
export function writeDirent64(b: Buffer, offset: number, ino: bigint, off: bigint, type: number, name: string): number {
  const reclen = dirent64Size(name.length);
  writeRecordHead(b, offset, ino, off, reclen);
  b.writeUInt8(type, offset + 18);
  b.write(name, offset + 19, 'latin1');
  return reclen;
}

/** The size the legacy linux_dirent needs: d_type sits in the record's last byte. */
export function direntSize(nameLength: number): number {
  // d_ino(8) d_off(8) d_reclen(2) d_name[] NUL d_type(1)
  return align8(18 + nameLength + 2);
}

/** Writes one legacy linux_dirent (getdents(2)) at `offset`. */
export function writeDirent(b: Buffer, offset: number, ino: bigint, off: bigint, type: number, name: string): number {
  const reclen = direntSize(name.length);
  writeRecordHead(b, offset, ino, off, reclen);
  b.write(name, offset + 18, 'latin1');
  b.writeUInt8(type, offset + reclen - 1);
  return reclen;
}
