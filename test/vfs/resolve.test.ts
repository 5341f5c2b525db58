// Path resolution: the errno Linux gives for each kind of bad path, mount crossing, `..`
// at the sandbox root, chroot-style roots, AT_EMPTY_PATH and dirfd-relative lookups.

import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { AT, O } from '../../src/abi/linux-fcntl.js';
import { S } from '../../src/vfs/index.js';
import { buildVfs, errnoOf, makeBundle, readAll, rootCtx, userCtx, writeFile } from './helpers.js';

function setup() {
  const { bundle } = makeBundle({
    'etc/passwd': 'pw',
    'dir/sub/file': 'deep',
    'file': 'top',
    'link-dir': { link: 'dir' },
    'link-file': { link: 'file' },
    'dangling': { link: 'nowhere' },
    'abs': { link: '/dir/sub' },
    'empty-target': null,
    'tmp': null,
  });
  const vfs = buildVfs(bundle, { mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }] });
  return { vfs, ctx: rootCtx(vfs) };
}

describe('path resolution errno', () => {
  const cases: [string, number][] = [
    ['', E.ENOENT],
    ['/nowhere', E.ENOENT],
    ['/file/', E.ENOTDIR],
    ['/file/x', E.ENOTDIR],
    ['/file/.', E.ENOTDIR],
    ['/dangling', E.ENOENT],
    ['/link-file/', E.ENOTDIR],
    ['/' + 'x'.repeat(256), E.ENAMETOOLONG],
    ['/' + 'a/'.repeat(2048), E.ENAMETOOLONG],
  ];
  it.each(cases)('stat %j gives %i', (path, errno) => {
    const { vfs, ctx } = setup();
    expect(errnoOf(() => vfs.stat(ctx, undefined, path, 0))).toBe(errno);
  });

  it('40 links resolve, 41 give ELOOP', () => {
    const { vfs, ctx } = setup();
    vfs.symlink(ctx, '/file', undefined, '/tmp/l0');
    for (let i = 1; i <= 40; i++) vfs.symlink(ctx, `l${i - 1}`, undefined, `/tmp/l${i}`);
    expect(readAll(vfs, ctx, '/tmp/l39')).toBe('top');
    expect(errnoOf(() => vfs.stat(ctx, undefined, '/tmp/l40', 0))).toBe(E.ELOOP);
  });

  it('.. stops at the root and at a chroot-style ctx.root', () => {
    const { vfs, ctx } = setup();
    expect(readAll(vfs, ctx, '/../../../etc/passwd')).toBe('pw');
    const jail = { ...ctx, root: vfs.resolve(ctx, undefined, '/dir', { follow: true }) };
    jail.cwd = jail.root;
    expect(readAll(vfs, jail, '/sub/file')).toBe('deep');
    expect(readAll(vfs, jail, '../../sub/file')).toBe('deep');
    expect(errnoOf(() => vfs.stat(jail, undefined, '/etc/passwd', 0))).toBe(E.ENOENT);
    // An absolute link inside the jail resolves from the jail's root.
    expect(errnoOf(() => vfs.stat(jail, undefined, '/../abs', 0))).toBe(E.ENOENT);
    expect(vfs.pathOf(jail, vfs.resolve(jail, undefined, 'sub', { follow: true }))).toBe('/sub');
  });

  it('crosses mounts both ways and reports st_dev per mount', () => {
    const { vfs, ctx } = setup();
    const rootDev = vfs.stat(ctx, undefined, '/', 0).dev;
    const tmpDev = vfs.stat(ctx, undefined, '/tmp', 0).dev;
    expect(tmpDev).not.toBe(rootDev);
    expect(vfs.stat(ctx, undefined, '/tmp/..', 0).ino).toBe(vfs.stat(ctx, undefined, '/', 0).ino);
    expect(vfs.stat(ctx, undefined, '/tmp/../etc/passwd', 0).size).toBe(2);
    expect(vfs.statfs(ctx, undefined, '/tmp').type).toBe(0x01021994);
  });

  it('resolves relative to a dirfd Location and honours AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW', () => {
    const { vfs, ctx } = setup();
    const dir = vfs.resolve(ctx, undefined, '/dir', { follow: true });
    expect(vfs.stat(ctx, dir, 'sub/file', 0).size).toBe(4);
    expect(errnoOf(() => vfs.stat(ctx, dir, '', 0))).toBe(E.ENOENT);
    expect(vfs.stat(ctx, dir, '', AT.EMPTY_PATH).mode & S.IFMT).toBe(S.IFDIR);
    expect(vfs.stat(ctx, undefined, '/link-dir', AT.SYMLINK_NOFOLLOW).mode & S.IFMT).toBe(S.IFLNK);
    expect(vfs.stat(ctx, undefined, '/link-dir', 0).mode & S.IFMT).toBe(S.IFDIR);
    expect(vfs.stat(ctx, undefined, '/link-dir/', AT.SYMLINK_NOFOLLOW).mode & S.IFMT).toBe(S.IFDIR);
    expect(vfs.resolve(ctx, undefined, '/abs', { follow: true }).dentry.name).toBe('sub');
    expect(errnoOf(() => vfs.resolve(ctx, undefined, '/file', { follow: true, directory: true }))).toBe(E.ENOTDIR);
  });

  it('needs search permission on every directory', () => {
    const { vfs, ctx } = setup();
    vfs.mkdir(ctx, undefined, '/tmp/closed', 0o700);
    vfs.open(ctx, undefined, '/tmp/closed/f', O.CREAT | O.WRONLY, 0o666).unref();
    const user = userCtx(vfs);
    expect(errnoOf(() => vfs.stat(user, undefined, '/tmp/closed/f', 0))).toBe(E.EACCES);
    expect(errnoOf(() => vfs.stat(user, undefined, '/tmp/closed', 0))).toBe(0);
    vfs.chmod(ctx, undefined, '/tmp/closed', 0o711, 0);
    expect(errnoOf(() => vfs.stat(user, undefined, '/tmp/closed/f', 0))).toBe(0);
    const readSearch = { ...user, creds: { ...user.creds, caps: 1n << 2n } };
    vfs.chmod(ctx, undefined, '/tmp/closed', 0o700, 0);
    expect(errnoOf(() => vfs.stat(readSearch, undefined, '/tmp/closed/f', 0))).toBe(0);
  });

  it('shows paths for getcwd and /proc/PID/fd, with (deleted) for unlinked files', () => {
    const { vfs, ctx } = setup();
    const fd = vfs.open(ctx, undefined, '/tmp/gone', O.CREAT | O.RDWR, 0o600);
    expect(vfs.pathOf(ctx, fd.location)).toBe('/tmp/gone');
    vfs.unlink(ctx, undefined, '/tmp/gone', 0);
    expect(vfs.pathOf(ctx, fd.location)).toBe('/tmp/gone (deleted)');
    fd.unref();
    expect(vfs.pathOf(ctx, vfs.resolve(ctx, undefined, '/link-dir/sub', { follow: true }))).toBe('/dir/sub');
    expect(vfs.mounts().map((m) => [m.mountPoint, m.fsType])).toEqual([
      ['/', 'overlay'],
      ['/tmp', 'tmpfs'],
    ]);
  });

  it('a kept directory location follows renames of its ancestors, for paths and ..', () => {
    const { vfs, ctx } = setup();
    vfs.mkdir(ctx, undefined, '/tmp/a', 0o755);
    vfs.mkdir(ctx, undefined, '/tmp/a/b', 0o755);
    const cwd = vfs.resolve(ctx, undefined, '/tmp/a/b', { follow: true, directory: true });
    vfs.rename(ctx, undefined, '/tmp/a', undefined, '/tmp/c', 0);
    expect(vfs.pathOf(ctx, cwd)).toBe('/tmp/c/b');
    const inCwd = { ...ctx, cwd };
    writeFile(vfs, inCwd, '../marker', 'm');
    expect(readAll(vfs, ctx, '/tmp/c/marker')).toBe('m');
    vfs.rename(ctx, undefined, '/tmp/c/b', undefined, '/tmp/moved', 0);
    expect(vfs.pathOf(ctx, cwd)).toBe('/tmp/moved');
    vfs.unlink(ctx, undefined, '/tmp/moved', AT.REMOVEDIR);
    expect(vfs.pathOf(ctx, cwd)).toBe('/tmp/moved (deleted)');
    expect(errnoOf(() => vfs.open(inCwd, undefined, 'new', O.CREAT | O.WRONLY, 0o644))).toBe(E.ENOENT);
  });
});

describe('getdents in a chroot', () => {
  it('lists .. of the chroot root as the root itself', () => {
    const { vfs, ctx } = setup();
    const jailRoot = vfs.resolve(ctx, undefined, '/dir', { follow: true });
    const jail = { ...ctx, root: jailRoot, cwd: jailRoot };
    const fd = vfs.open(jail, undefined, '/', O.RDONLY | O.DIRECTORY, 0);
    const inodes = new Map<string, number>();
    fd.getdents((entry) => (inodes.set(entry.name, entry.ino), true));
    expect(inodes.get('..')).toBe(inodes.get('.'));
    expect([...inodes.keys()]).toEqual(['.', '..', 'sub']);
  });
});
