// The struct encoders against the C compiler's own layouts on this machine.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeDirent64 } from '../../../src/abi/linux-dirent.js';
import { encodeStat, encodeStatfs, encodeStatx, makeDev, type StatFields } from '../../../src/abi/linux-stat.js';

let c: Record<string, number>;

beforeAll(() => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-layouts-'));
  const exe = path.join(dir, 'layouts');
  execFileSync('gcc', ['-o', exe, path.join(import.meta.dirname, 'fixtures/layouts.c')]);
  c = JSON.parse(execFileSync(exe, { encoding: 'utf8' })) as Record<string, number>;
  fs.rmSync(dir, { recursive: true, force: true });
});

const sample: StatFields = {
  dev: makeDev(8, 3),
  ino: 0x1122334455n,
  nlink: 7,
  mode: 0o100644,
  uid: 1001,
  gid: 1002,
  rdev: makeDev(136, 300),
  size: 123456789n,
  blksize: 4096,
  blocks: 2048n,
  atime: { sec: 1000n, nsec: 1 },
  mtime: { sec: 2000n, nsec: 2 },
  ctime: { sec: 3000n, nsec: 3 },
  btime: { sec: 500n, nsec: 5 },
};

describe('struct layouts match gcc', () => {
  it('struct stat', () => {
    const b = encodeStat(sample);
    expect(b.length).toBe(c['sizeof stat']);
    expect(b.readBigUInt64LE(c['stat.st_ino']!)).toBe(sample.ino);
    expect(b.readBigUInt64LE(c['stat.st_nlink']!)).toBe(7n);
    expect(b.readUInt32LE(c['stat.st_mode']!)).toBe(0o100644);
    expect(b.readUInt32LE(c['stat.st_uid']!)).toBe(1001);
    expect(b.readUInt32LE(c['stat.st_gid']!)).toBe(1002);
    expect(b.readBigUInt64LE(c['stat.st_rdev']!)).toBe(sample.rdev);
    expect(b.readBigInt64LE(c['stat.st_size']!)).toBe(123456789n);
    expect(b.readBigInt64LE(c['stat.st_blksize']!)).toBe(4096n);
    expect(b.readBigInt64LE(c['stat.st_blocks']!)).toBe(2048n);
    expect(b.readBigInt64LE(c['stat.st_mtim']!)).toBe(2000n);
    expect(b.readBigInt64LE(c['stat.st_ctim']! + 8)).toBe(3n);
  });

  it('struct statx', () => {
    const b = encodeStatx(sample);
    expect(b.length).toBe(c['sizeof statx']);
    expect(b.readUInt32LE(c['statx.stx_mask']!) & 0xfff).toBe(0xfff);
    expect(b.readUInt16LE(c['statx.stx_mode']!)).toBe(0o100644);
    expect(b.readBigUInt64LE(c['statx.stx_ino']!)).toBe(sample.ino);
    expect(b.readBigInt64LE(c['statx.stx_btime']!)).toBe(500n);
    expect(b.readBigInt64LE(c['statx.stx_mtime']!)).toBe(2000n);
    expect(b.readUInt32LE(c['statx.stx_rdev_major']!)).toBe(136);
    expect(b.readUInt32LE(c['statx.stx_rdev_minor']!)).toBe(300);
    expect(b.readUInt32LE(c['statx.stx_dev_major']!)).toBe(8);
    expect(b.readUInt32LE(c['statx.stx_dev_minor']!)).toBe(3);
  });

  it('struct statfs', () => {
    const b = encodeStatfs({ type: 0x01021994n, bsize: 4096n, blocks: 10n, bfree: 9n, bavail: 8n, files: 7n, ffree: 6n, fsid: [1, 2], namelen: 255n, frsize: 4096n, flags: 1n });
    expect(b.length).toBe(c['sizeof statfs']);
    expect(b.readBigInt64LE(c['statfs.f_type']!)).toBe(0x01021994n);
    expect(b.readBigUInt64LE(c['statfs.f_bavail']!)).toBe(8n);
    expect(b.readInt32LE(c['statfs.f_fsid']! + 4)).toBe(2);
    expect(b.readBigInt64LE(c['statfs.f_namelen']!)).toBe(255n);
    expect(b.readBigInt64LE(c['statfs.f_flags']!)).toBe(1n);
  });

  it('struct linux_dirent64', () => {
    const b = Buffer.alloc(64);
    const n = writeDirent64(b, 0, 42n, 99n, 4, 'name');
    expect(n % 8).toBe(0);
    expect(b.readBigUInt64LE(c['linux_dirent64.d_ino']!)).toBe(42n);
    expect(b.readBigInt64LE(c['linux_dirent64.d_off']!)).toBe(99n);
    expect(b.readUInt16LE(c['linux_dirent64.d_reclen']!)).toBe(n);
    expect(b[c['linux_dirent64.d_type']!]).toBe(4);
    expect(b.toString('latin1', c['linux_dirent64.d_name']!, c['linux_dirent64.d_name']! + 5)).toBe('name\0');
  });

  it('flock, epoll_event and pollfd are what the handlers assume', () => {
    expect([c['sizeof flock'], c['flock.l_start'], c['flock.l_len'], c['flock.l_pid']]).toEqual([32, 8, 16, 24]);
    expect([c['sizeof epoll_event'], c['epoll_event.data']]).toEqual([12, 4]);
    expect([c['sizeof pollfd'], c['pollfd.revents']]).toEqual([8, 6]);
  });
});
