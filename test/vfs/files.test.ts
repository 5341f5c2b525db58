// Open file descriptions: open flags, reads and writes at offsets, sparse files, seek,
// getdents cookies, reference counts, O_TMPFILE, O_PATH, anonymous files and memfd.

import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { AT, FALLOC, O, SEEK } from '../../src/abi/linux-fcntl.js';
import { POLL, S, type DirEntry, type FileImpl, type Inode } from '../../src/vfs/index.js';
import { buildVfs, errnoOf, listDir, makeBundle, readAll, rootCtx, userCtx, writeFile } from './helpers.js';

function setup() {
  const { bundle, rootfs } = makeBundle({ 'etc/motd': 'hello world', 'dir/a': 'a', 'tmp': null, 'link': { link: 'etc/motd' } });
  const vfs = buildVfs(bundle, { mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=64k'] }] });
  return { vfs, ctx: rootCtx(vfs), rootfs, bundle };
}

describe('open flags', () => {
  it('O_CREAT|O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW', () => {
    const { vfs, ctx } = setup();
    writeFile(vfs, ctx, '/tmp/f', 'abc');
    expect(errnoOf(() => vfs.open(ctx, undefined, '/tmp/f', O.CREAT | O.EXCL | O.WRONLY, 0o644))).toBe(E.EEXIST);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/link', O.CREAT | O.EXCL | O.WRONLY, 0o644))).toBe(E.EEXIST);
    const append = vfs.open(ctx, undefined, '/tmp/f', O.WRONLY | O.APPEND, 0);
    append.write(Buffer.from('def'), 0);
    append.unref();
    expect(readAll(vfs, ctx, '/tmp/f')).toBe('abcdef');
    vfs.open(ctx, undefined, '/tmp/f', O.WRONLY | O.TRUNC, 0).unref();
    expect(readAll(vfs, ctx, '/tmp/f')).toBe('');
    expect(errnoOf(() => vfs.open(ctx, undefined, '/tmp/f', O.RDONLY | O.DIRECTORY, 0))).toBe(E.ENOTDIR);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/link', O.RDONLY | O.NOFOLLOW, 0))).toBe(E.ELOOP);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/dir', O.WRONLY, 0))).toBe(E.EISDIR);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/tmp/new/', O.CREAT | O.WRONLY, 0o644))).toBe(E.EISDIR);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/tmp', O.CREAT | O.WRONLY, 0o644))).toBe(E.EISDIR);
  });

  it('O_CREAT through a dangling symlink creates its target', () => {
    const { vfs, ctx } = setup();
    vfs.symlink(ctx, 'target', undefined, '/tmp/dangling');
    writeFile(vfs, ctx, '/tmp/dangling', 'via link', O.CREAT | O.WRONLY);
    expect(readAll(vfs, ctx, '/tmp/target')).toBe('via link');
  });

  it('applies the umask and the creator ids; the creator may write a file created 0444', () => {
    const { vfs, ctx } = setup();
    const user = { ...userCtx(vfs), umask: 0o027 };
    const fd = vfs.open(user, undefined, '/tmp/mine', O.CREAT | O.RDWR, 0o444);
    expect(fd.write(Buffer.from('x'))).toBe(1);
    fd.unref();
    const st = vfs.stat(ctx, undefined, '/tmp/mine', 0);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o440, 1000, 1000]);
    expect(errnoOf(() => vfs.open(user, undefined, '/tmp/mine', O.WRONLY, 0))).toBe(E.EACCES);
    expect(errnoOf(() => vfs.open(userCtx(vfs, 2000), undefined, '/etc/motd', O.RDONLY | O.NOATIME, 0))).toBe(E.EPERM);
    vfs.open(user, undefined, '/tmp/mine', O.RDONLY | O.NOATIME, 0).unref();
  });

  it('O_PATH opens without permission to read and allows only fstat-like use', () => {
    const { vfs, ctx } = setup();
    writeFile(vfs, ctx, '/tmp/secret', 's', O.CREAT | O.WRONLY, 0o000);
    const user = userCtx(vfs);
    const fd = vfs.open(user, undefined, '/tmp/secret', O.PATH, 0);
    expect(fd.isPath).toBe(true);
    expect(fd.stat().size).toBe(1);
    expect(errnoOf(() => fd.read(Buffer.alloc(1)))).toBe(E.EBADF);
    const linkFd = vfs.open(ctx, undefined, '/link', O.PATH | O.NOFOLLOW, 0);
    expect(vfs.readlink(ctx, linkFd.location, '')).toBe('etc/motd');
  });

  it('O_TMPFILE makes an unnamed file that linkat can name (not with O_EXCL)', () => {
    const { vfs, ctx } = setup();
    const fd = vfs.open(ctx, undefined, '/tmp', O.TMPFILE | O.RDWR, 0o600);
    fd.write(Buffer.from('anon'));
    expect(listDir(vfs, ctx, '/tmp')).toEqual(['.', '..']);
    vfs.link(ctx, fd.location, '', undefined, '/tmp/named', AT.EMPTY_PATH);
    expect(readAll(vfs, ctx, '/tmp/named')).toBe('anon');
    const excl = vfs.open(ctx, undefined, '/tmp', O.TMPFILE | O.EXCL | O.RDWR, 0o600);
    expect(errnoOf(() => vfs.link(ctx, excl.location, '', undefined, '/tmp/never', AT.EMPTY_PATH))).toBe(E.ENOENT);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/tmp', O.TMPFILE | O.RDONLY, 0o600))).toBe(E.EINVAL);
  });
});

describe('reading and writing', () => {
  it('reads and writes at offsets, sparse files cost no pages, SEEK_DATA/SEEK_HOLE find them', () => {
    const { vfs, ctx } = setup();
    const fd = vfs.open(ctx, undefined, '/tmp/sparse', O.CREAT | O.RDWR, 0o644);
    expect(fd.write(Buffer.from('end'), 1_000_000)).toBe(3);
    const st = fd.stat();
    expect(st.size).toBe(1_000_003);
    expect(st.blocks).toBe(8);
    const buf = Buffer.alloc(4, 0xff);
    expect(fd.read(buf, 10)).toBe(4);
    expect([...buf]).toEqual([0, 0, 0, 0]);
    expect(fd.seek(0, SEEK.DATA)).toBe(999_424);
    expect(fd.seek(999_424, SEEK.HOLE)).toBe(1_000_003);
    expect(fd.seek(5, SEEK.HOLE)).toBe(5);
    expect(errnoOf(() => fd.seek(2_000_000, SEEK.DATA))).toBe(E.ENXIO);
    expect(fd.seek(-3, SEEK.END)).toBe(1_000_000);
    expect(errnoOf(() => fd.seek(-1, SEEK.SET))).toBe(E.EINVAL);
    fd.allocate(FALLOC.PUNCH_HOLE | FALLOC.KEEP_SIZE, 999_000, 2000);
    expect(fd.stat().size).toBe(1_000_003);
    fd.unref();
  });

  it('tmpfs size= gives ENOSPC past the limit, and frees pages on unlink', () => {
    const { vfs, ctx } = setup();
    const fd = vfs.open(ctx, undefined, '/tmp/big', O.CREAT | O.RDWR, 0o644);
    expect(fd.write(Buffer.alloc(100_000, 1))).toBe(65536);
    expect(errnoOf(() => fd.write(Buffer.alloc(10, 1)))).toBe(E.ENOSPC);
    expect(vfs.statfs(ctx, undefined, '/tmp').bfree).toBe(0);
    fd.unref();
    vfs.unlink(ctx, undefined, '/tmp/big', 0);
    expect(vfs.statfs(ctx, undefined, '/tmp').bfree).toBe(16);
  });

  it('an unlinked file keeps its data while open, on every filesystem', () => {
    const { vfs, bundle } = setup();
    const writeThrough = buildVfs(bundle, {}, { overlay: 'none' });
    for (const [fsys, file] of [[vfs, '/tmp/u'], [vfs, '/etc/motd'], [writeThrough, '/etc/motd']] as const) {
      const ctx = rootCtx(fsys);
      writeFile(fsys, ctx, file, 'still here');
      const fd = fsys.open(ctx, undefined, file, O.RDONLY, 0);
      fd.ref();
      fsys.unlink(ctx, undefined, file, 0);
      fd.unref();
      const buf = Buffer.alloc(20);
      expect(buf.subarray(0, fd.read(buf)).toString()).toBe('still here');
      expect(fd.stat().nlink).toBe(0);
      expect(fsys.pathOf(ctx, fd.location)).toBe(`${file} (deleted)`);
      fd.unref();
    }
  });


  it('shares the offset between references and EBADF on the wrong access mode', () => {
    const { vfs, ctx } = setup();
    const fd = vfs.open(ctx, undefined, '/etc/motd', O.RDONLY, 0);
    const buf = Buffer.alloc(5);
    fd.read(buf);
    expect(fd.offset).toBe(5);
    expect(errnoOf(() => fd.write(Buffer.from('x')))).toBe(E.EBADF);
    expect(errnoOf(() => fd.truncate(0))).toBe(E.EINVAL);
    fd.setStatusFlags(O.NONBLOCK | O.WRONLY);
    expect(fd.statusFlags & (O.ACCMODE | O.NONBLOCK)).toBe(O.RDONLY | O.NONBLOCK);
    expect(fd.readiness(POLL.IN | POLL.OUT)).toBe(POLL.IN | POLL.OUT);
    expect(errnoOf(() => fd.ioctl(0x5401, 0n, { read: () => new Uint8Array(), write: () => {} }))).toBe(E.ENOTTY);
    fd.unref();
  });
});

describe('getdents', () => {
  it('lists . and .. and keeps its place across concurrent changes', () => {
    const { vfs, ctx } = setup();
    for (const name of ['a', 'b', 'c', 'd', 'e']) writeFile(vfs, ctx, `/tmp/${name}`, name);
    const fd = vfs.open(ctx, undefined, '/tmp', O.RDONLY | O.DIRECTORY, 0);
    const seen: DirEntry[] = [];
    let budget = 4;
    fd.getdents((entry) => (budget-- > 0 ? (seen.push(entry), true) : false));
    expect(seen.map((e) => e.name)).toEqual(['.', '..', 'a', 'b']);
    vfs.unlink(ctx, undefined, '/tmp/a', 0);
    vfs.unlink(ctx, undefined, '/tmp/c', 0);
    writeFile(vfs, ctx, '/tmp/f', 'f');
    fd.getdents((entry) => (seen.push(entry), true));
    expect(seen.map((e) => e.name)).toEqual(['.', '..', 'a', 'b', 'd', 'e', 'f']);
    const resumeAt = (seen[3] as DirEntry).offset;
    fd.seek(resumeAt, SEEK.SET);
    const again: string[] = [];
    fd.getdents((entry) => (again.push(entry.name), true));
    expect(again).toEqual(['d', 'e', 'f']);
    expect((seen[2] as DirEntry).type).toBe(8);
    fd.unref();
  });

  it('merges the overlay: lower names, whiteouts, opaque directory after rmdir+mkdir', () => {
    const { vfs, ctx, rootfs } = setup();
    expect(listDir(vfs, ctx, '/dir')).toEqual(['.', '..', 'a']);
    writeFile(vfs, ctx, '/dir/b', 'b');
    vfs.unlink(ctx, undefined, '/dir/a', 0);
    expect(listDir(vfs, ctx, '/dir')).toEqual(['.', '..', 'b']);
    vfs.unlink(ctx, undefined, '/dir/b', 0);
    vfs.unlink(ctx, undefined, '/dir', AT.REMOVEDIR);
    vfs.mkdir(ctx, undefined, '/dir', 0o755);
    expect(listDir(vfs, ctx, '/dir')).toEqual(['.', '..']);
    expect(errnoOf(() => vfs.stat(ctx, undefined, '/dir/a', 0))).toBe(E.ENOENT);
    expect(listDir(vfs, ctx, '/').sort()).toEqual(['.', '..', 'dir', 'etc', 'link', 'tmp']);
    expect(readAll(vfs, ctx, '/link')).toBe('hello world');
    expect(rootfs).toBeTruthy();
  });
});

describe('anonymous files and memfd', () => {
  it('wraps a foreign inode with the VFS description and names it', () => {
    const { vfs, ctx } = setup();
    let released = 0;
    const impl: FileImpl = { seekable: false, read: () => 0, release: () => void released++ };
    const inode: Inode = {
      fs: vfs.root.mount.fs,
      ino: 77,
      stat: () => ({ ...vfs.statAt(vfs.root), mode: S.IFIFO | 0o600, ino: 77 }),
      open: () => impl,
    };
    const fd = vfs.openAnonymous(inode, 'pipe:[77]', O.RDONLY, ctx);
    expect(vfs.pathOf(ctx, fd.location)).toBe('pipe:[77]');
    expect(errnoOf(() => fd.read(Buffer.alloc(1), 0))).toBe(E.ESPIPE);
    expect(errnoOf(() => fd.seek(0, SEEK.SET))).toBe(E.ESPIPE);
    fd.ref();
    fd.unref();
    expect(released).toBe(0);
    fd.unref();
    expect(released).toBe(1);
    const memfd = vfs.memfd(ctx, 'buf', O.CLOEXEC);
    memfd.write(Buffer.from('mem'));
    expect(memfd.stat().size).toBe(3);
    expect(vfs.pathOf(ctx, memfd.location)).toBe('/memfd:buf (deleted)');
  });
});
