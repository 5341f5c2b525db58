import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { O, SEEK } from '../../../src/abi/linux-fcntl.js';
import { fileSyscalls as f } from '../../../src/syscalls/linux/fs.js';
import { AT_FDCWD, call, fakeTask, makeVfs } from './harness.js';

describe('file syscalls', () => {
  it('opens, reads and closes a rootfs file', async () => {
    const { vfs } = makeVfs({ 'etc/hello': 'hello world\n' });
    const t = fakeTask(vfs);
    const fd = await call(t, f.openat, AT_FDCWD, t.mem.cstring('/etc/hello'), O.RDONLY);
    expect(fd).toBe(0);
    const buf = t.mem.alloc(64);
    expect(await call(t, f.read, fd, buf, 5)).toBe(5);
    expect(t.mem.read(buf, 5).toString()).toBe('hello');
    expect(await call(t, f.read, fd, buf, 64)).toBe(7);
    expect(await call(t, f.read, fd, buf, 64)).toBe(0);
    expect(await call(t, f.close, fd)).toBe(0);
    expect(await call(t, f.close, fd)).toBe(-E.EBADF);
  });

  it('gives the errno Linux gives for missing files, bad fds and bad pointers', async () => {
    const { vfs } = makeVfs({ 'a/file': 'x' });
    const t = fakeTask(vfs);
    expect(await call(t, f.open, t.mem.cstring('/nope'), O.RDONLY)).toBe(-E.ENOENT);
    expect(await call(t, f.open, t.mem.cstring(''), O.RDONLY)).toBe(-E.ENOENT);
    expect(await call(t, f.open, 0x10n, O.RDONLY)).toBe(-E.EFAULT);
    expect(await call(t, f.open, t.mem.cstring('/a/file/x'), O.RDONLY)).toBe(-E.ENOTDIR);
    expect(await call(t, f.read, 42, t.mem.alloc(4), 4)).toBe(-E.EBADF);
    const fd = await call(t, f.open, t.mem.cstring('/a/file'), O.RDONLY);
    expect(await call(t, f.write, fd, t.mem.cstring('y'), 1)).toBe(-E.EBADF);
    expect(await call(t, f.read, fd, 0x20n, 1)).toBe(-E.EFAULT);
    const dfd = await call(t, f.open, t.mem.cstring('/a'), O.RDONLY | O.DIRECTORY);
    expect(await call(t, f.read, dfd, t.mem.alloc(4), 4)).toBe(-E.EISDIR);
  });

  it('creates, writes, seeks and truncates in the overlay, leaving the host rootfs alone', async () => {
    const { vfs, rootfs } = makeVfs({ 'tmp/': null });
    const t = fakeTask(vfs);
    const fd = await call(t, f.creat, t.mem.cstring('/tmp/new'), 0o644);
    expect(fd).toBeGreaterThanOrEqual(0);
    expect(await call(t, f.write, fd, t.mem.cstring('abcdef'), 6)).toBe(6);
    expect(await call(t, f.lseek, fd, 2, SEEK.SET)).toBe(2);
    expect(await call(t, f.pwrite64, fd, t.mem.cstring('XY'), 2, 0)).toBe(2);
    expect(await call(t, f.lseek, fd, 0, SEEK.CUR)).toBe(2);
    expect(await call(t, f.ftruncate, fd, 4)).toBe(0);
    expect(await call(t, f.lseek, fd, 0, SEEK.END)).toBe(4);
    const rd = await call(t, f.open, t.mem.cstring('/tmp/new'), O.RDONLY);
    const buf = t.mem.alloc(16);
    expect(await call(t, f.pread64, rd, buf, 16, 0)).toBe(4);
    expect(t.mem.read(buf, 4).toString()).toBe('XYcd');
    expect(await call(t, f.pread64, rd, buf, 16, -1)).toBe(-E.EINVAL);
    expect(await call(t, f.ftruncate, rd, 0)).toBe(-E.EINVAL);
    expect(await call(t, f.truncate, t.mem.cstring('/tmp/new'), 1)).toBe(0);
    expect(await call(t, f.pread64, rd, buf, 16, 0)).toBe(1);
    expect(fs.existsSync(path.join(rootfs, 'tmp/new'))).toBe(false);
  });

  it('honours O_CLOEXEC, O_APPEND and reports O_LARGEFILE in F_GETFL terms', async () => {
    const { vfs } = makeVfs({ 'log': 'start\n' });
    const t = fakeTask(vfs);
    const fd = await call(t, f.open, t.mem.cstring('/log'), O.WRONLY | O.APPEND | O.CLOEXEC);
    expect(t.fds.entry(fd)?.cloexec).toBe(true);
    expect(t.fds.get(fd).statusFlags & O.LARGEFILE).toBe(O.LARGEFILE);
    await call(t, f.write, fd, t.mem.cstring('more\n'), 5);
    const rd = await call(t, f.open, t.mem.cstring('/log'), O.RDONLY);
    const buf = t.mem.alloc(32);
    const n = await call(t, f.read, rd, buf, 32);
    expect(t.mem.read(buf, n).toString()).toBe('start\nmore\n');
  });

  it('scatters and gathers with readv/writev and preadv2 at the current offset', async () => {
    const { vfs } = makeVfs({ 'tmp/': null });
    const t = fakeTask(vfs);
    const fd = await call(t, f.open, t.mem.cstring('/tmp/v'), O.RDWR | O.CREAT, 0o600);
    const iov = Buffer.alloc(32);
    iov.writeBigUInt64LE(t.mem.cstring('one,'), 0);
    iov.writeBigUInt64LE(4n, 8);
    iov.writeBigUInt64LE(t.mem.cstring('two'), 16);
    iov.writeBigUInt64LE(3n, 24);
    expect(await call(t, f.writev, fd, t.mem.put(iov), 2)).toBe(7);
    const a = t.mem.alloc(2);
    const b = t.mem.alloc(8);
    const riov = Buffer.alloc(32);
    riov.writeBigUInt64LE(a, 0);
    riov.writeBigUInt64LE(2n, 8);
    riov.writeBigUInt64LE(b, 16);
    riov.writeBigUInt64LE(8n, 24);
    expect(await call(t, f.preadv, fd, t.mem.put(riov), 2, 0)).toBe(7);
    expect(t.mem.read(a, 2).toString()).toBe('on');
    expect(t.mem.read(b, 5).toString()).toBe('e,two');
    expect(await call(t, f.lseek, fd, 4, SEEK.SET)).toBe(4);
    expect(await call(t, f.preadv2, fd, t.mem.put(riov), 2, -1, 0, 0)).toBe(3);
    expect(await call(t, f.readv, fd, t.mem.put(riov), -1)).toBe(-E.EINVAL);
    expect(await call(t, f.readv, fd, t.mem.put(riov), 1025)).toBe(-E.EINVAL);
  });

  it('copies with sendfile and copy_file_range, updating the offsets it is given', async () => {
    const { vfs } = makeVfs({ 'src': '0123456789', 'tmp/': null });
    const t = fakeTask(vfs);
    const src = await call(t, f.open, t.mem.cstring('/src'), O.RDONLY);
    const dst = await call(t, f.open, t.mem.cstring('/tmp/dst'), O.RDWR | O.CREAT, 0o644);
    const off = t.mem.put(Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]));
    expect(await call(t, f.sendfile, dst, src, off, 5)).toBe(5);
    expect(t.mem.read(off, 8).readBigInt64LE()).toBe(7n);
    expect(await call(t, f.lseek, src, 0, SEEK.CUR)).toBe(0);
    expect(await call(t, f.copy_file_range, src, 0, dst, 0, 100, 0)).toBe(10);
    const buf = t.mem.alloc(32);
    expect(await call(t, f.pread64, dst, buf, 32, 0)).toBe(15);
    expect(t.mem.read(buf, 15).toString()).toBe('234560123456789');
    expect(await call(t, f.copy_file_range, src, 0, dst, 0, 1, 1)).toBe(-E.EINVAL);
  });

  it('close_range closes or marks ranges and refuses bad arguments', async () => {
    const { vfs } = makeVfs({ 'x': '' });
    const t = fakeTask(vfs);
    for (let i = 0; i < 5; i++) await call(t, f.open, t.mem.cstring('/x'), O.RDONLY);
    expect(await call(t, f.close_range, 3, 2, 0)).toBe(-E.EINVAL);
    expect(await call(t, f.close_range, 3, 0xffffffff, 4)).toBe(0);
    expect(t.fds.entry(4)?.cloexec).toBe(true);
    expect(await call(t, f.close_range, 1, 2, 0)).toBe(0);
    expect([...t.fds.snapshot().keys()]).toEqual([0, 3, 4]);
  });

  it('EMFILE at RLIMIT_NOFILE', async () => {
    const { vfs } = makeVfs({ 'x': '' });
    const t = fakeTask(vfs);
    t.nofile = 2n;
    await call(t, f.open, t.mem.cstring('/x'), O.RDONLY);
    await call(t, f.open, t.mem.cstring('/x'), O.RDONLY);
    expect(await call(t, f.open, t.mem.cstring('/x'), O.RDONLY)).toBe(-E.EMFILE);
  });

  it('fallocate and fadvise check their arguments', async () => {
    const { vfs } = makeVfs({ 'tmp/': null });
    const t = fakeTask(vfs);
    const fd = await call(t, f.open, t.mem.cstring('/tmp/a'), O.RDWR | O.CREAT, 0o644);
    expect(await call(t, f.fallocate, fd, 0, 0, 0)).toBe(-E.EINVAL);
    expect(await call(t, f.fallocate, fd, 0, 0, 4096)).toBe(0);
    expect(await call(t, f.lseek, fd, 0, SEEK.END)).toBe(4096);
    expect(await call(t, f.fadvise64, fd, 0, 0, 9)).toBe(-E.EINVAL);
    expect(await call(t, f.fadvise64, fd, 0, 0, 4)).toBe(0);
  });
});
