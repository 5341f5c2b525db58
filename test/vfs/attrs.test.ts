// Attributes and permissions: chmod/chown/utimens rules, capabilities, sticky and setgid
// directories, access(2), truncate, xattrs, rename flags and link rules.

import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { ACCESS, AT, O, RENAME } from '../../src/abi/linux-fcntl.js';
import { CAP, S, UTIME_NOW, UTIME_OMIT, type FsContext, type Vfs } from '../../src/vfs/index.js';
import { buildVfs, errnoOf, makeBundle, readAll, rootCtx, userCtx, writeFile } from './helpers.js';

function setup() {
  const { bundle } = makeBundle({ tmp: null, other: null });
  const vfs = buildVfs(bundle, {
    mounts: [
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: [] },
      { destination: '/other', type: 'tmpfs', source: 'tmpfs', options: [] },
    ],
  });
  return { vfs, ctx: rootCtx(vfs), user: userCtx(vfs), other: userCtx(vfs, 2000, 2000) };
}

function withCaps(ctx: FsContext, ...caps: number[]): FsContext {
  return { ...ctx, creds: { ...ctx.creds, caps: caps.reduce((mask, cap) => mask | (1n << BigInt(cap)), 0n) } };
}

function mode(vfs: Vfs, ctx: FsContext, path: string): number {
  return vfs.stat(ctx, undefined, path, AT.SYMLINK_NOFOLLOW).mode & 0o7777;
}

describe('chmod, chown, utimens', () => {
  it('chmod: the owner or CAP_FOWNER; setgid dropped for non-members; EOPNOTSUPP on links', () => {
    const { vfs, ctx, user, other } = setup();
    writeFile(vfs, user, '/tmp/f', 'x');
    vfs.chmod(user, undefined, '/tmp/f', 0o2755, 0);
    expect(mode(vfs, ctx, '/tmp/f')).toBe(0o2755);
    expect(errnoOf(() => vfs.chmod(other, undefined, '/tmp/f', 0o777, 0))).toBe(E.EPERM);
    vfs.chmod(withCaps(other, CAP.FOWNER), undefined, '/tmp/f', 0o2777, 0);
    expect(mode(vfs, ctx, '/tmp/f')).toBe(0o777);
    vfs.symlink(ctx, 'f', undefined, '/tmp/l');
    expect(errnoOf(() => vfs.chmod(ctx, undefined, '/tmp/l', 0o700, AT.SYMLINK_NOFOLLOW))).toBe(E.EOPNOTSUPP);
  });

  it('chown: CAP_CHOWN for owners; owners may pick one of their groups; setuid bits drop', () => {
    const { vfs, ctx, user } = setup();
    writeFile(vfs, user, '/tmp/f', 'x');
    vfs.chmod(user, undefined, '/tmp/f', 0o6755, 0);
    expect(errnoOf(() => vfs.chown(user, undefined, '/tmp/f', 0, -1, 0))).toBe(E.EPERM);
    expect(errnoOf(() => vfs.chown(user, undefined, '/tmp/f', -1, 5, 0))).toBe(E.EPERM);
    const member = { ...user, creds: { ...user.creds, groups: [5] } };
    vfs.chown(member, undefined, '/tmp/f', -1, 5, 0);
    const st = vfs.stat(ctx, undefined, '/tmp/f', 0);
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([1000, 5, 0o755]);
    vfs.chown(withCaps(user, CAP.CHOWN), undefined, '/tmp/f', 42, 43, 0);
    expect(vfs.stat(ctx, undefined, '/tmp/f', 0).uid).toBe(42);
  });

  it('utimens: explicit times need ownership, UTIME_NOW needs write access, OMIT leaves a time', () => {
    const { vfs, ctx, user, other } = setup();
    writeFile(vfs, user, '/tmp/f', 'x');
    vfs.chmod(user, undefined, '/tmp/f', 0o666, 0);
    vfs.utimens(user, undefined, '/tmp/f', { sec: 100, nsec: 5 }, { sec: 200, nsec: 0 }, 0);
    let st = vfs.stat(ctx, undefined, '/tmp/f', 0);
    expect([st.atime.sec, st.atime.nsec, st.mtime.sec]).toEqual([100, 5, 200]);
    expect(errnoOf(() => vfs.utimens(other, undefined, '/tmp/f', { sec: 1, nsec: 0 }, { sec: 1, nsec: 0 }, 0))).toBe(E.EPERM);
    vfs.utimens(other, undefined, '/tmp/f', { sec: 0, nsec: UTIME_OMIT }, { sec: 0, nsec: UTIME_NOW }, 0);
    st = vfs.stat(ctx, undefined, '/tmp/f', 0);
    expect(st.atime.sec).toBe(100);
    expect(st.mtime.sec).toBeGreaterThan(1_000_000_000);
    vfs.chmod(user, undefined, '/tmp/f', 0o644, 0);
    expect(errnoOf(() => vfs.utimens(other, undefined, '/tmp/f', undefined, undefined, 0))).toBe(E.EACCES);
    expect(errnoOf(() => vfs.utimens(user, undefined, '/tmp/f', { sec: 0, nsec: 1e9 }, undefined, 0))).toBe(E.EINVAL);
  });
});

describe('permissions', () => {
  it('CAP_DAC_OVERRIDE reads and writes anything, executes only with an exec bit', () => {
    const { vfs, ctx, user } = setup();
    writeFile(vfs, ctx, '/tmp/locked', 'x', O.CREAT | O.WRONLY, 0o000);
    expect(errnoOf(() => vfs.open(user, undefined, '/tmp/locked', O.RDONLY, 0))).toBe(E.EACCES);
    expect(readAll(vfs, withCaps(user, CAP.DAC_OVERRIDE), '/tmp/locked')).toBe('x');
    expect(errnoOf(() => vfs.access(ctx, undefined, '/tmp/locked', ACCESS.X_OK, 0))).toBe(E.EACCES);
    expect(errnoOf(() => vfs.openExecutable(ctx, undefined, '/tmp/locked', 0))).toBe(E.EACCES);
    vfs.chmod(ctx, undefined, '/tmp/locked', 0o001, 0);
    expect(errnoOf(() => vfs.access(ctx, undefined, '/tmp/locked', ACCESS.X_OK, 0))).toBe(0);
    expect(readAll(vfs, withCaps(user, CAP.DAC_READ_SEARCH), '/tmp/locked')).toBe('x');
    expect(errnoOf(() => vfs.open(withCaps(user, CAP.DAC_READ_SEARCH), undefined, '/tmp/locked', O.WRONLY, 0))).toBe(E.EACCES);
    expect(errnoOf(() => vfs.access(user, undefined, '/tmp/locked', 8, 0))).toBe(E.EINVAL);
  });

  it('sticky directories: only the owner of the file or directory removes or renames it', () => {
    const { vfs, ctx, user, other } = setup();
    expect(mode(vfs, ctx, '/tmp')).toBe(0o1777);
    writeFile(vfs, user, '/tmp/mine', 'x');
    expect(errnoOf(() => vfs.unlink(other, undefined, '/tmp/mine', 0))).toBe(E.EPERM);
    expect(errnoOf(() => vfs.rename(other, undefined, '/tmp/mine', undefined, '/tmp/theirs', 0))).toBe(E.EPERM);
    expect(errnoOf(() => vfs.unlink(withCaps(other, CAP.FOWNER), undefined, '/tmp/mine', 0))).toBe(0);
  });

  it('setgid directories pass their group and the setgid bit down', () => {
    const { vfs, ctx, user } = setup();
    vfs.mkdir(ctx, undefined, '/tmp/shared', 0o777);
    vfs.chown(ctx, undefined, '/tmp/shared', 0, 50, 0);
    vfs.chmod(ctx, undefined, '/tmp/shared', 0o2777, 0);
    writeFile(vfs, user, '/tmp/shared/f', 'x');
    vfs.mkdir(user, undefined, '/tmp/shared/d', 0o755);
    expect(vfs.stat(ctx, undefined, '/tmp/shared/f', 0).gid).toBe(50);
    const d = vfs.stat(ctx, undefined, '/tmp/shared/d', 0);
    expect([d.gid, d.mode & S.ISGID]).toEqual([50, S.ISGID]);
  });

  it('truncate needs write permission and a regular file', () => {
    const { vfs, ctx, user } = setup();
    writeFile(vfs, ctx, '/tmp/f', 'hello', O.CREAT | O.WRONLY, 0o644);
    expect(errnoOf(() => vfs.truncate(user, undefined, '/tmp/f', 1))).toBe(E.EACCES);
    expect(errnoOf(() => vfs.truncate(ctx, undefined, '/tmp', 1))).toBe(E.EISDIR);
    expect(errnoOf(() => vfs.truncate(ctx, undefined, '/tmp/f', -1))).toBe(E.EINVAL);
    vfs.truncate(ctx, undefined, '/tmp/f', 2);
    expect(readAll(vfs, ctx, '/tmp/f')).toBe('he');
  });
});

describe('xattrs on memory filesystems', () => {
  it('set, get, list, remove with XATTR_CREATE/REPLACE and namespace rules', () => {
    const { vfs, ctx, user } = setup();
    writeFile(vfs, user, '/tmp/f', 'x');
    const value = Buffer.from('v1');
    vfs.setxattr(user, undefined, '/tmp/f', 'user.k', value, 0, 0);
    expect(Buffer.from(vfs.getxattr(user, undefined, '/tmp/f', 'user.k', 0)).toString()).toBe('v1');
    expect(errnoOf(() => vfs.setxattr(user, undefined, '/tmp/f', 'user.k', value, 1, 0))).toBe(E.EEXIST);
    expect(errnoOf(() => vfs.setxattr(user, undefined, '/tmp/f', 'user.n', value, 2, 0))).toBe(E.ENODATA);
    expect(errnoOf(() => vfs.setxattr(user, undefined, '/tmp/f', 'trusted.k', value, 0, 0))).toBe(E.EPERM);
    expect(errnoOf(() => vfs.setxattr(user, undefined, '/tmp/f', 'bogus', value, 0, 0))).toBe(E.EOPNOTSUPP);
    vfs.setxattr(ctx, undefined, '/tmp/f', 'trusted.k', value, 0, 0);
    expect(vfs.listxattr(user, undefined, '/tmp/f', 0)).toEqual(['user.k']);
    expect(vfs.listxattr(ctx, undefined, '/tmp/f', 0)).toEqual(['user.k', 'trusted.k']);
    vfs.removexattr(user, undefined, '/tmp/f', 'user.k', 0);
    expect(errnoOf(() => vfs.getxattr(user, undefined, '/tmp/f', 'user.k', 0))).toBe(E.ENODATA);
    vfs.symlink(ctx, 'f', undefined, '/tmp/l');
    expect(errnoOf(() => vfs.setxattr(ctx, undefined, '/tmp/l', 'user.k', value, 0, AT.SYMLINK_NOFOLLOW))).toBe(E.EPERM);
  });
});

describe('rename and link', () => {
  it('RENAME_NOREPLACE, RENAME_EXCHANGE, EXDEV, loops, busy mount points', () => {
    const { vfs, ctx } = setup();
    writeFile(vfs, ctx, '/tmp/a', 'A');
    vfs.mkdir(ctx, undefined, '/tmp/d', 0o755);
    writeFile(vfs, ctx, '/tmp/d/b', 'B');
    expect(errnoOf(() => vfs.rename(ctx, undefined, '/tmp/a', undefined, '/tmp/d/b', RENAME.NOREPLACE))).toBe(E.EEXIST);
    vfs.rename(ctx, undefined, '/tmp/a', undefined, '/tmp/d/b', RENAME.EXCHANGE);
    expect([readAll(vfs, ctx, '/tmp/a'), readAll(vfs, ctx, '/tmp/d/b')]).toEqual(['B', 'A']);
    expect(errnoOf(() => vfs.rename(ctx, undefined, '/tmp/a', undefined, '/tmp/none', RENAME.EXCHANGE))).toBe(E.ENOENT);
    expect(errnoOf(() => vfs.rename(ctx, undefined, '/tmp/a', undefined, '/tmp/x', RENAME.EXCHANGE | RENAME.NOREPLACE))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.rename(ctx, undefined, '/tmp/a', undefined, '/other/a', 0))).toBe(E.EXDEV);
    expect(errnoOf(() => vfs.rename(ctx, undefined, '/tmp/d', undefined, '/tmp/d/sub', 0))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.rename(ctx, undefined, '/tmp', undefined, '/tmp2', 0))).toBe(E.EBUSY);
    expect(errnoOf(() => vfs.unlink(ctx, undefined, '/tmp', AT.REMOVEDIR))).toBe(E.EBUSY);
    vfs.rename(ctx, undefined, '/tmp/d', undefined, '/tmp/e', 0);
    expect(readAll(vfs, ctx, '/tmp/e/b')).toBe('A');
  });

  it('link: EXDEV across mounts, EPERM on directories, protected hard links', () => {
    const { vfs, ctx, user } = setup();
    writeFile(vfs, ctx, '/tmp/rootfile', 'r', O.CREAT | O.WRONLY, 0o644);
    expect(errnoOf(() => vfs.link(ctx, undefined, '/tmp/rootfile', undefined, '/other/x', 0))).toBe(E.EXDEV);
    expect(errnoOf(() => vfs.link(ctx, undefined, '/tmp', undefined, '/tmp/x', 0))).toBe(E.EPERM);
    expect(errnoOf(() => vfs.link(user, undefined, '/tmp/rootfile', undefined, '/tmp/mine', 0))).toBe(E.EPERM);
    vfs.link(ctx, undefined, '/tmp/rootfile', undefined, '/tmp/second', 0);
    expect(vfs.stat(ctx, undefined, '/tmp/second', 0).nlink).toBe(2);
    expect(vfs.stat(ctx, undefined, '/tmp/second', 0).ino).toBe(vfs.stat(ctx, undefined, '/tmp/rootfile', 0).ino);
  });

  it('mknod: devices need CAP_MKNOD; fifos and sockets are nodes; bad types are EINVAL', () => {
    const { vfs, ctx, user } = setup();
    expect(errnoOf(() => vfs.mknod(user, undefined, '/tmp/null', S.IFCHR | 0o666, 0x103))).toBe(E.EPERM);
    vfs.mknod(ctx, undefined, '/tmp/null', S.IFCHR | 0o666, 0x103);
    vfs.mknod(user, undefined, '/tmp/fifo', S.IFIFO | 0o644, 0);
    expect(vfs.stat(ctx, undefined, '/tmp/null', 0).rdev).toBe(0x103);
    expect(vfs.stat(ctx, undefined, '/tmp/fifo', 0).mode & S.IFMT).toBe(S.IFIFO);
    expect(errnoOf(() => vfs.mknod(ctx, undefined, '/tmp/d', S.IFDIR | 0o755, 0))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/tmp/null', O.RDWR, 0))).toBe(E.ENXIO);
    expect(errnoOf(() => vfs.readlink(ctx, undefined, '/tmp/fifo'))).toBe(E.EINVAL);
  });
});
