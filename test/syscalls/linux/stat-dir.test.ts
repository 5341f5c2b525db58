import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { AT, O } from '../../../src/abi/linux-fcntl.js';
import { S } from '../../../src/abi/linux-stat.js';
import { dirSyscalls as d } from '../../../src/syscalls/linux/dir.js';
import { fileSyscalls as f } from '../../../src/syscalls/linux/fs.js';
import { statSyscalls as s } from '../../../src/syscalls/linux/stat.js';
import { xattrSyscalls as x } from '../../../src/syscalls/linux/xattr.js';
import { AT_FDCWD, call, fakeTask, makeVfs, rootCreds } from './harness.js';

function direntNames(buf: Buffer, length: number): string[] {
  const names: string[] = [];
  for (let off = 0; off < length; ) {
    const reclen = buf.readUInt16LE(off + 16);
    const end = buf.indexOf(0, off + 19);
    names.push(buf.toString('latin1', off + 19, end));
    off += reclen;
  }
  return names;
}

describe('stat family', () => {
  it('stat, lstat, fstat and newfstatat fill struct stat', async () => {
    const { vfs } = makeVfs({ 'etc/passwd': 'root:x:0:0::/root:/bin/sh\n' });
    const t = fakeTask(vfs);
    await call(t, d.symlink, t.mem.cstring('/etc/passwd'), t.mem.cstring('/link'));
    const st = t.mem.alloc(144);
    expect(await call(t, s.stat, t.mem.cstring('/link'), st)).toBe(0);
    expect(t.mem.read(st + 24n, 4).readUInt32LE() & S.IFMT).toBe(S.IFREG);
    expect(t.mem.read(st + 48n, 8).readBigInt64LE()).toBe(26n);
    expect(await call(t, s.lstat, t.mem.cstring('/link'), st)).toBe(0);
    expect(t.mem.read(st + 24n, 4).readUInt32LE() & S.IFMT).toBe(S.IFLNK);
    const fd = await call(t, f.open, t.mem.cstring('/etc'), O.RDONLY | O.DIRECTORY);
    expect(await call(t, s.newfstatat, fd, t.mem.cstring('passwd'), st, 0)).toBe(0);
    expect(t.mem.read(st + 48n, 8).readBigInt64LE()).toBe(26n);
    expect(await call(t, s.newfstatat, fd, t.mem.cstring(''), st, AT.EMPTY_PATH)).toBe(0);
    expect(t.mem.read(st + 24n, 4).readUInt32LE() & S.IFMT).toBe(S.IFDIR);
    expect(await call(t, s.newfstatat, fd, t.mem.cstring(''), st, 0)).toBe(-E.ENOENT);
    expect(await call(t, s.newfstatat, fd, t.mem.cstring('passwd'), st, 0x8000)).toBe(-E.EINVAL);
    expect(await call(t, s.fstat, fd, st)).toBe(0);
    expect(await call(t, s.fstat, fd, 0x1n)).toBe(-E.EFAULT);
    expect(await call(t, s.stat, t.mem.cstring('/missing'), st)).toBe(-E.ENOENT);
  });

  it('statx reports the basic stats and the mount id', async () => {
    const { vfs } = makeVfs({ 'f': '12345' });
    const t = fakeTask(vfs);
    const buf = t.mem.alloc(256);
    expect(await call(t, s.statx, AT_FDCWD, t.mem.cstring('/f'), 0, 0xfff, buf)).toBe(0);
    const b = t.mem.read(buf, 256);
    expect(b.readUInt32LE(0) & 0x7ff).toBe(0x7ff);
    expect(b.readBigUInt64LE(40)).toBe(5n);
    expect(b.readUInt16LE(28) & S.IFMT).toBe(S.IFREG);
    expect(await call(t, s.statx, AT_FDCWD, t.mem.cstring('/f'), 0, 0x80000000, buf)).toBe(-E.EINVAL);
    expect(await call(t, s.statx, AT_FDCWD, t.mem.cstring('/f'), 0x6000, 0, buf)).toBe(-E.EINVAL);
  });

  it('access checks with the real ids; chmod, chown and utimensat change attributes', async () => {
    const { vfs } = makeVfs({ 'secret': 'x', 'pub': 'y' });
    const root = fakeTask(vfs);
    expect(await call(root, s.chmod, root.mem.cstring('/secret'), 0o600)).toBe(0);
    expect(await call(root, s.chown, root.mem.cstring('/pub'), 1000, -1)).toBe(0);
    const user = fakeTask(vfs, rootCreds(1000, 1000));
    expect(await call(user, s.access, user.mem.cstring('/secret'), 4)).toBe(-E.EACCES);
    expect(await call(user, s.access, user.mem.cstring('/pub'), 2)).toBe(0);
    expect(await call(user, s.access, user.mem.cstring('/pub'), 8)).toBe(-E.EINVAL);
    expect(await call(user, s.faccessat2, AT_FDCWD, user.mem.cstring('/pub'), 0, 0x10000)).toBe(-E.EINVAL);
    expect(await call(user, s.chmod, user.mem.cstring('/secret'), 0o644)).toBe(-E.EPERM);
    const ts = Buffer.alloc(32);
    ts.writeBigInt64LE(1000n, 0);
    ts.writeBigInt64LE(5n, 8);
    ts.writeBigInt64LE(2000n, 16);
    ts.writeBigInt64LE(BigInt((1 << 30) - 2), 24); // UTIME_OMIT
    expect(await call(root, s.utimensat, AT_FDCWD, root.mem.cstring('/pub'), root.mem.put(ts), 0)).toBe(0);
    const st = root.mem.alloc(144);
    await call(root, s.stat, root.mem.cstring('/pub'), st);
    expect(root.mem.read(st + 72n, 8).readBigInt64LE()).toBe(1000n);
    expect(root.mem.read(st + 80n, 8).readBigInt64LE()).toBe(5n);
    expect(root.mem.read(st + 28n, 4).readUInt32LE()).toBe(1000);
    ts.writeBigInt64LE(1_000_000_000n, 8);
    expect(await call(root, s.utimensat, AT_FDCWD, root.mem.cstring('/pub'), root.mem.put(ts), 0)).toBe(-E.EINVAL);
    expect(await call(root, s.utimensat, AT_FDCWD, 0, 0, 0)).toBe(-E.EFAULT);
  });

  it('clamps times outside the filesystems\' range: stat still answers (INT64_MAX, INT64_MIN)', async () => {
    const { vfs } = makeVfs({ 'f': '' });
    const t = fakeTask(vfs);
    const ts = Buffer.alloc(32);
    ts.writeBigInt64LE(2n ** 63n - 1n, 0);
    ts.writeBigInt64LE(-(2n ** 63n), 16);
    expect(await call(t, s.utimensat, AT_FDCWD, t.mem.cstring('/f'), t.mem.put(ts), 0)).toBe(0);
    const st = t.mem.alloc(144);
    expect(await call(t, s.stat, t.mem.cstring('/f'), st)).toBe(0);
    const limit = BigInt(Number.MAX_SAFE_INTEGER);
    const atime = t.mem.read(st + 72n, 8).readBigInt64LE();
    const mtime = t.mem.read(st + 88n, 8).readBigInt64LE();
    expect(atime).toBeGreaterThan(0n);
    expect(atime).toBeLessThanOrEqual(limit);
    expect(mtime).toBeLessThan(0n);
    expect(mtime).toBeGreaterThanOrEqual(-limit);
  });

  it('refuses a size past the filesystems\' largest with EFBIG: truncate, ftruncate, fallocate', async () => {
    const { vfs } = makeVfs({ 'f': 'data' });
    const t = fakeTask(vfs);
    const big = 2n ** 63n - 1n;
    expect(await call(t, f.truncate, t.mem.cstring('/f'), big)).toBe(-E.EFBIG);
    const fd = await call(t, f.open, t.mem.cstring('/f'), O.RDWR);
    expect(await call(t, f.ftruncate, fd, big)).toBe(-E.EFBIG);
    expect(await call(t, f.fallocate, fd, 0, big, 1)).toBe(-E.EFBIG);
    const st = t.mem.alloc(144);
    expect(await call(t, s.fstat, fd, st)).toBe(0);
    expect(t.mem.read(st + 48n, 8).readBigInt64LE()).toBe(4n);
  });

  it('statfs and fstatfs describe the filesystem', async () => {
    const { vfs } = makeVfs({ 'f': '' });
    const t = fakeTask(vfs);
    const buf = t.mem.alloc(120);
    expect(await call(t, s.statfs, t.mem.cstring('/'), buf)).toBe(0);
    expect(t.mem.read(buf + 64n, 8).readBigInt64LE()).toBeGreaterThan(0n);
  });
});

describe('directory family', () => {
  it('mkdir, getdents64, rename, link, unlink and rmdir', async () => {
    const { vfs } = makeVfs({});
    const t = fakeTask(vfs);
    expect(await call(t, d.mkdir, t.mem.cstring('/d'), 0o755)).toBe(0);
    expect(await call(t, d.mkdir, t.mem.cstring('/d'), 0o755)).toBe(-E.EEXIST);
    const fd = await call(t, f.open, t.mem.cstring('/d/a'), O.CREAT | O.WRONLY, 0o644);
    await call(t, f.close, fd);
    expect(await call(t, d.link, t.mem.cstring('/d/a'), t.mem.cstring('/d/b'))).toBe(0);
    expect(await call(t, d.rename, t.mem.cstring('/d/b'), t.mem.cstring('/d/c'))).toBe(0);
    expect(await call(t, d.renameat2, AT_FDCWD, t.mem.cstring('/d/a'), AT_FDCWD, t.mem.cstring('/d/c'), 1)).toBe(-E.EEXIST);
    expect(await call(t, d.renameat2, AT_FDCWD, t.mem.cstring('/d/a'), AT_FDCWD, t.mem.cstring('/d/c'), 3)).toBe(-E.EINVAL);
    const dfd = await call(t, f.open, t.mem.cstring('/d'), O.RDONLY | O.DIRECTORY);
    const buf = t.mem.alloc(4096);
    const n = await call(t, d.getdents64, dfd, buf, 4096);
    expect(direntNames(t.mem.read(buf, n), n).sort()).toEqual(['.', '..', 'a', 'c']);
    expect(await call(t, d.getdents64, dfd, buf, 4096)).toBe(0);
    const again = await call(t, f.open, t.mem.cstring('/d'), O.RDONLY | O.DIRECTORY);
    expect(await call(t, d.getdents64, again, buf, 10)).toBe(-E.EINVAL);
    const file = await call(t, f.open, t.mem.cstring('/d/a'), O.RDONLY);
    expect(await call(t, d.getdents64, file, buf, 4096)).toBe(-E.ENOTDIR);
    expect(await call(t, d.rmdir, t.mem.cstring('/d'))).toBe(-E.ENOTEMPTY);
    expect(await call(t, d.unlink, t.mem.cstring('/d'))).toBe(-E.EISDIR);
    expect(await call(t, d.unlinkat, AT_FDCWD, t.mem.cstring('/d/a'), 0x1)).toBe(-E.EINVAL);
    expect(await call(t, d.unlink, t.mem.cstring('/d/a'))).toBe(0);
    expect(await call(t, d.unlinkat, dfd, t.mem.cstring('c'), 0)).toBe(0);
    expect(await call(t, d.unlinkat, AT_FDCWD, t.mem.cstring('/d'), AT.REMOVEDIR)).toBe(0);
  });

  it('symlink and readlink truncate to the buffer without a NUL', async () => {
    const { vfs } = makeVfs({});
    const t = fakeTask(vfs);
    expect(await call(t, d.symlink, t.mem.cstring('target/path'), t.mem.cstring('/l'))).toBe(0);
    const buf = t.mem.alloc(64);
    expect(await call(t, d.readlink, t.mem.cstring('/l'), buf, 64)).toBe(11);
    expect(t.mem.read(buf, 11).toString()).toBe('target/path');
    expect(await call(t, d.readlink, t.mem.cstring('/l'), buf, 3)).toBe(3);
    expect(await call(t, d.readlink, t.mem.cstring('/l'), buf, 0)).toBe(-E.EINVAL);
    expect(await call(t, d.readlinkat, AT_FDCWD, t.mem.cstring('/'), buf, 64)).toBe(-E.EINVAL);
  });

  it('chdir, fchdir and getcwd; chroot needs CAP_SYS_CHROOT', async () => {
    const { vfs } = makeVfs({ 'a/b/': null, 'file': '' });
    const t = fakeTask(vfs);
    expect(await call(t, d.chdir, t.mem.cstring('/a/b'))).toBe(0);
    const buf = t.mem.alloc(64);
    expect(await call(t, d.getcwd, buf, 64)).toBe(5);
    expect(t.mem.read(buf, 5).toString()).toBe('/a/b\0');
    expect(await call(t, d.getcwd, buf, 4)).toBe(-E.ERANGE);
    expect(await call(t, d.chdir, t.mem.cstring('/file'))).toBe(-E.ENOTDIR);
    const fd = await call(t, f.open, t.mem.cstring('/a'), O.RDONLY | O.DIRECTORY);
    expect(await call(t, d.fchdir, fd)).toBe(0);
    await call(t, d.getcwd, buf, 64);
    expect(t.mem.read(buf, 3).toString()).toBe('/a\0');
    expect(await call(t, d.mkdir, t.mem.cstring('/gone'), 0o755)).toBe(0);
    expect(await call(t, d.chdir, t.mem.cstring('/gone'))).toBe(0);
    expect(await call(t, d.rmdir, t.mem.cstring('/gone'))).toBe(0);
    expect(await call(t, d.getcwd, buf, 64)).toBe(-E.ENOENT);
    await call(t, d.chdir, t.mem.cstring('/'));
    const user = fakeTask(vfs, rootCreds(1000, 1000));
    expect(await call(user, d.chroot, user.mem.cstring('/a'))).toBe(-E.EPERM);
    expect(await call(t, d.chroot, t.mem.cstring('/a'))).toBe(0);
    expect(await call(t, d.chdir, t.mem.cstring('/b'))).toBe(0);
  });

  it('mknod makes fifos and regular files, refuses directories', async () => {
    const { vfs } = makeVfs({});
    const t = fakeTask(vfs);
    expect(await call(t, d.mknod, t.mem.cstring('/fifo'), S.IFIFO | 0o644, 0)).toBe(0);
    expect(await call(t, d.mknodat, AT_FDCWD, t.mem.cstring('/reg'), 0o644, 0)).toBe(0);
    expect(await call(t, d.mknod, t.mem.cstring('/dir'), S.IFDIR | 0o755, 0)).toBe(-E.EPERM);
    const st = t.mem.alloc(144);
    await call(t, s.stat, t.mem.cstring('/fifo'), st);
    expect(t.mem.read(st + 24n, 4).readUInt32LE() & S.IFMT).toBe(S.IFIFO);
  });
});

describe('xattr family', () => {
  it('sets, gets, lists and removes user attributes', async () => {
    const { vfs } = makeVfs({ 'f': '' });
    const t = fakeTask(vfs);
    const path = t.mem.cstring('/f');
    const name = t.mem.cstring('user.color');
    const value = t.mem.cstring('blue');
    expect(await call(t, x.setxattr, path, name, value, 4, 0)).toBe(0);
    expect(await call(t, x.setxattr, path, name, value, 4, 1)).toBe(-E.EEXIST);
    expect(await call(t, x.getxattr, path, name, 0, 0)).toBe(4);
    const buf = t.mem.alloc(64);
    expect(await call(t, x.getxattr, path, name, buf, 2)).toBe(-E.ERANGE);
    expect(await call(t, x.getxattr, path, name, buf, 64)).toBe(4);
    expect(t.mem.read(buf, 4).toString()).toBe('blue');
    expect(await call(t, x.listxattr, path, buf, 64)).toBe(11);
    expect(t.mem.read(buf, 11).toString('latin1')).toBe('user.color\0');
    expect(await call(t, x.getxattr, path, t.mem.cstring(''), buf, 64)).toBe(-E.ERANGE);
    expect(await call(t, x.removexattr, path, name)).toBe(0);
    expect(await call(t, x.getxattr, path, name, buf, 64)).toBe(-E.ENODATA);
    const fd = await call(t, f.open, path, O.RDONLY);
    expect(await call(t, x.fsetxattr, fd, name, value, 4, 0)).toBe(0);
    expect(await call(t, x.fgetxattr, fd, name, buf, 64)).toBe(4);
  });
});
