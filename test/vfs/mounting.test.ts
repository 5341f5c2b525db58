// Mounts made inside the sandbox (src/vfs/mounting.ts): new filesystems, binds, remounts,
// propagation types, unmounts of busy and detached mounts, the spec's locked mounts, and
// mount namespaces as copies of the tree a process can hold.

import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import { MNT, MS } from '../../src/abi/linux-mount.js';
import { MOUNT_MAX } from '../../src/vfs/mounting.js';
import type { FsContext, Location, Vfs } from '../../src/vfs/index.js';
import { errnoOf, listDir, readAll, writeFile } from './helpers.js';
import { SPEC_MOUNTS, makeSandbox } from './synthetic/sandbox.js';

function setup(mounts: object[] = []) {
  const sb = makeSandbox({ mounts: [...SPEC_MOUNTS, ...mounts], tree: { 'mnt/keep': 'rootfs file', 'b/keep': 'b', 'file': 'f', 'ro/x': 'x' } });
  sb.addProcess(1);
  const ctx = sb.ctx();
  const at = (path: string): Location => sb.vfs.resolve(ctx, undefined, path, { follow: true });
  return Object.assign(sb, { caller: ctx, at });
}

/** The mount table's lines for mount points under /mnt and /b, without ids and devices. */
function mountTable(vfs: Vfs, ctx: FsContext): string[] {
  return readAll(vfs, ctx, '/proc/self/mountinfo')
    .split('\n')
    .filter((line) => / \/(mnt|b)(\/\S*)? /.test(line))
    .map((line) => line.split(' ').slice(3).join(' '));
}

describe('mount(2) of a new filesystem', () => {
  it('mounts a tmpfs with size, mode and owner, shows it, and unmounts it', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, 'size=1m,mode=700,uid=5,gid=6');
    expect(listDir(vfs, ctx, '/mnt')).toEqual(['.', '..']);
    expect(vfs.stat(ctx, undefined, '/mnt', 0)).toMatchObject({ mode: 0o40700, uid: 5, gid: 6 });
    writeFile(vfs, ctx, '/mnt/f', 'in tmpfs');
    expect(mountTable(vfs, ctx)).toEqual(['/ /mnt rw,relatime - tmpfs x rw,size=1024k,mode=700,uid=5,gid=6']);
    expect(readAll(vfs, ctx, '/proc/mounts')).toContain('x /mnt tmpfs rw,relatime,size=1024k,mode=700,uid=5,gid=6 0 0\n');
    expect(vfs.statfs(ctx, undefined, '/mnt').blocks).toBe(256);
    vfs.unmount(ctx, at('/mnt'), 0);
    expect(readAll(vfs, ctx, '/mnt/keep')).toBe('rootfs file');
    expect(mountTable(vfs, ctx)).toEqual([]);
  });

  it('takes proc, sysfs, mqueue and devpts, with their flags, and refuses what it does not know', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'proc', 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC, '');
    expect(readAll(vfs, ctx, '/mnt/self/comm')).toBeDefined();
    vfs.mountNew(ctx, at('/b'), 'devpts', 'devpts', MS.RDONLY, 'gid=5,mode=620');
    expect(mountTable(vfs, ctx)).toEqual(['/ /mnt rw,nosuid,nodev,noexec,relatime - proc proc rw', '/ /b ro,relatime - devpts devpts ro,gid=5,mode=620,ptmxmode=000']);
    // A block filesystem needs a block device, named by the sandbox's own path: none is ever opened.
    expect(errnoOf(() => vfs.mountNew(ctx, at('/mnt'), 'ext4', '/dev/sda1', 0, ''))).toBe(E.ENOENT);
    expect(errnoOf(() => vfs.mountNew(ctx, at('/mnt'), 'ext4', '/dev/null', 0, ''))).toBe(E.ENOTBLK);
    expect(errnoOf(() => vfs.mountNew(ctx, at('/mnt'), 'overlay', 'x', 0, ''))).toBe(E.ENODEV);
    expect(errnoOf(() => vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, 'bogus=1'))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, 'size=lots'))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.mountNew(ctx, at('/mnt'), 'sysfs', 'x', 0, 'mode=1'))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.mountNew(ctx, at('/file'), 'tmpfs', 'x', 0, ''))).toBe(E.ENOTDIR);
  });

  it('MS_NOSYMFOLLOW: a symlink on the mount is not followed', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', MS.NOSYMFOLLOW, '');
    writeFile(vfs, ctx, '/mnt/f', 'x');
    vfs.symlink(ctx, 'f', undefined, '/mnt/l');
    expect(errnoOf(() => readAll(vfs, ctx, '/mnt/l'))).toBe(E.ELOOP);
    expect(vfs.readlink(ctx, undefined, '/mnt/l')).toBe('f');
  });
});

describe('bind mounts', () => {
  it('bind a subdirectory (and with MS_REC the mounts below it) elsewhere', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, '');
    vfs.mkdir(ctx, undefined, '/mnt/sub', 0o755);
    vfs.mkdir(ctx, undefined, '/mnt/sub/deeper', 0o755);
    vfs.mountNew(ctx, at('/mnt/sub/deeper'), 'tmpfs', 'y', 0, '');
    writeFile(vfs, ctx, '/mnt/sub/deeper/in-y', 'y');
    vfs.mountBind(ctx, at('/mnt/sub'), at('/b'), false);
    expect(listDir(vfs, ctx, '/b/deeper')).toEqual(['.', '..']);
    vfs.unmount(ctx, at('/b'), 0);
    vfs.mountBind(ctx, at('/mnt/sub'), at('/b'), true);
    expect(readAll(vfs, ctx, '/b/deeper/in-y')).toBe('y');
    expect(mountTable(vfs, ctx)).toEqual([
      '/ /mnt rw,relatime - tmpfs x rw',
      '/ /mnt/sub/deeper rw,relatime - tmpfs y rw',
      '/sub /b rw,relatime - tmpfs x rw',
      '/ /b/deeper rw,relatime - tmpfs y rw',
    ]);
    // Busy with a mount below it; detached with it.
    expect(errnoOf(() => vfs.unmount(ctx, at('/b'), 0))).toBe(E.EBUSY);
    vfs.unmount(ctx, at('/b'), MNT.DETACH);
    expect(mountTable(vfs, ctx)).toHaveLength(2);
  });

  it('binds files onto files only, and never past a locked mount of the spec', () => {
    const { vfs, caller: ctx, at } = setup([{ destination: '/ro', type: 'tmpfs', source: 'tmpfs', options: ['ro'] }]);
    vfs.mountBind(ctx, at('/file'), at('/mnt/keep'), false);
    expect(readAll(vfs, ctx, '/mnt/keep')).toBe('f');
    expect(errnoOf(() => vfs.mountBind(ctx, at('/b'), at('/file'), false))).toBe(E.ENOTDIR);
    expect(errnoOf(() => vfs.mountBind(ctx, at('/file'), at('/b'), false))).toBe(E.ENOTDIR);
    // A plain bind of / would show the rootfs's /ro under the spec's tmpfs.
    expect(errnoOf(() => vfs.mountBind(ctx, at('/'), at('/b'), false))).toBe(E.EINVAL);
    vfs.mountBind(ctx, at('/'), at('/b'), true);
    expect(listDir(vfs, ctx, '/b/ro')).toEqual(['.', '..']);
    expect(errnoOf(() => writeFile(vfs, ctx, '/b/ro/new', 'x'))).toBe(E.EROFS);
  });
});

describe('remounts', () => {
  it('MS_REMOUNT|MS_BIND changes the mount\'s own flags; going read-only with a writer is EBUSY', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, '');
    vfs.mountBind(ctx, at('/mnt'), at('/b'), false);
    const writer = vfs.open(ctx, undefined, '/b/w', O.CREAT | O.WRONLY, 0o644);
    expect(errnoOf(() => vfs.remount(ctx, at('/b'), MS.RDONLY | MS.BIND | MS.REMOUNT, '', true))).toBe(E.EBUSY);
    writer.unref();
    vfs.remount(ctx, at('/b'), MS.RDONLY | MS.NOSUID | MS.BIND | MS.REMOUNT, '', true);
    expect(errnoOf(() => writeFile(vfs, ctx, '/b/f', 'x'))).toBe(E.EROFS);
    writeFile(vfs, ctx, '/mnt/f', 'still writable here');
    expect(mountTable(vfs, ctx)).toEqual(['/ /mnt rw,relatime - tmpfs x rw', '/ /b ro,nosuid,relatime - tmpfs x rw']);
  });

  it('MS_REMOUNT reconfigures the filesystem: read-only everywhere, and a tmpfs size', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, 'size=64k');
    vfs.mountBind(ctx, at('/mnt'), at('/b'), false);
    writeFile(vfs, ctx, '/mnt/f', 'x'.repeat(40_000));
    expect(errnoOf(() => vfs.remount(ctx, at('/mnt'), MS.REMOUNT, 'size=16k', false))).toBe(E.EINVAL);
    vfs.remount(ctx, at('/mnt'), MS.REMOUNT, 'size=128k', false);
    vfs.remount(ctx, at('/mnt'), MS.REMOUNT | MS.RDONLY, '', false);
    expect(errnoOf(() => writeFile(vfs, ctx, '/b/g', 'x'))).toBe(E.EROFS);
    expect(mountTable(vfs, ctx)).toEqual(['/ /mnt ro,relatime - tmpfs x ro,size=128k', '/ /b rw,relatime - tmpfs x ro,size=128k']);
    vfs.remount(ctx, at('/mnt'), MS.REMOUNT, '', false);
    writeFile(vfs, ctx, '/b/g', 'x');
  });

  it('a mount the spec made read-only or nosuid stays so; it is never unmounted', () => {
    const { vfs, caller: ctx, at } = setup([{ destination: '/ro', type: 'tmpfs', source: 'tmpfs', options: ['ro', 'nosuid'] }]);
    expect(errnoOf(() => vfs.remount(ctx, at('/ro'), MS.REMOUNT | MS.BIND | MS.NOSUID, '', true))).toBe(E.EPERM);
    expect(errnoOf(() => vfs.remount(ctx, at('/ro'), MS.REMOUNT | MS.RDONLY, '', false))).toBe(E.EPERM);
    vfs.remount(ctx, at('/ro'), MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NOEXEC, '', true);
    expect(errnoOf(() => vfs.unmount(ctx, at('/ro'), 0))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.unmount(ctx, at('/proc'), MNT.DETACH))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.unmount(ctx, at('/'), MNT.DETACH))).toBe(E.EINVAL);
    // A copy keeps the locks.
    vfs.mountBind(ctx, at('/ro'), at('/b'), false);
    expect(errnoOf(() => vfs.remount(ctx, at('/b'), MS.REMOUNT | MS.BIND, '', true))).toBe(E.EPERM);
  });
});

describe('unmounts', () => {
  it('a mount with an open file, a cwd or a mount on it is busy; MNT_DETACH takes it anyway', () => {
    const sb = setup();
    const { vfs, caller: ctx, at } = sb;
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, '');
    writeFile(vfs, ctx, '/mnt/f', 'kept open');
    const file = vfs.open(ctx, undefined, '/mnt/f', O.RDONLY, 0);
    expect(errnoOf(() => vfs.unmount(ctx, at('/mnt'), 0))).toBe(E.EBUSY);
    vfs.unmount(ctx, at('/mnt'), MNT.DETACH);
    expect(readAll(vfs, ctx, '/mnt/keep')).toBe('rootfs file');
    const buf = Buffer.alloc(20);
    expect(buf.subarray(0, file.read(buf)).toString()).toBe('kept open');
    file.unref();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, '');
    sb.addProcess(7, { fsContext: { ...ctx, cwd: at('/mnt') } });
    expect(errnoOf(() => vfs.unmount(ctx, at('/mnt'), 0))).toBe(E.EBUSY);
    sb.processes.delete(7);
    writeFile(vfs, ctx, '/mnt/g', 'x');
    expect(errnoOf(() => vfs.unmount(ctx, at('/mnt/g'), 0))).toBe(E.EINVAL);
    // MNT_EXPIRE: marked by the first call, unmounted by the second.
    expect(errnoOf(() => vfs.unmount(ctx, at('/mnt'), MNT.EXPIRE | MNT.DETACH))).toBe(E.EINVAL);
    expect(errnoOf(() => vfs.unmount(ctx, at('/mnt'), MNT.EXPIRE))).toBe(E.EAGAIN);
    vfs.unmount(ctx, at('/mnt'), MNT.EXPIRE);
    expect(mountTable(vfs, ctx)).toEqual([]);
  });
});

describe('propagation and moves', () => {
  it('records shared and unbindable mounts; a slave without a master is private', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, '');
    vfs.setPropagation(ctx, at('/mnt'), MS.SHARED, false);
    expect(mountTable(vfs, ctx)[0]).toMatch(/^\/ \/mnt rw,relatime shared:\d+ - tmpfs x rw$/);
    vfs.setPropagation(ctx, at('/mnt'), MS.SLAVE, false);
    expect(mountTable(vfs, ctx)[0]).toBe('/ /mnt rw,relatime - tmpfs x rw');
    vfs.setPropagation(ctx, at('/mnt'), MS.UNBINDABLE, false);
    expect(mountTable(vfs, ctx)[0]).toBe('/ /mnt rw,relatime unbindable - tmpfs x rw');
    expect(errnoOf(() => vfs.mountBind(ctx, at('/mnt'), at('/b'), false))).toBe(E.EINVAL);
    writeFile(vfs, ctx, '/mnt/g', 'x');
    expect(errnoOf(() => vfs.setPropagation(ctx, at('/mnt/g'), MS.PRIVATE, false))).toBe(E.EINVAL);
  });

  it('MS_MOVE moves a mount with what is below it, never into itself', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'x', 0, '');
    vfs.mkdir(ctx, undefined, '/mnt/d', 0o755);
    vfs.mountNew(ctx, at('/mnt/d'), 'tmpfs', 'y', 0, '');
    expect(errnoOf(() => vfs.moveMount(ctx, at('/mnt'), at('/mnt/d')))).toBe(E.ELOOP);
    vfs.moveMount(ctx, at('/mnt'), at('/b'));
    expect(mountTable(vfs, ctx)).toEqual(['/ /b rw,relatime - tmpfs x rw', '/ /b/d rw,relatime - tmpfs y rw']);
    expect(readAll(vfs, ctx, '/mnt/keep')).toBe('rootfs file');
  });
});

describe('mount namespaces', () => {
  it('a copy of the tree is a namespace of its own: mounts in one are not in the other', () => {
    const sb = setup();
    const { vfs, caller: ctx, at } = sb;
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'before', 0, '');
    const inner = vfs.unshareMounts({ ...ctx, cwd: at('/mnt') });
    const innerAt = (path: string) => vfs.resolve(inner, undefined, path, { follow: true });
    // /proc/self/mountinfo shows the namespace of the process reading it.
    sb.addProcess(2, { fsContext: inner });
    const table = (vfs: Vfs, of: FsContext) => {
      sb.current = of === inner ? 2 : 1;
      return mountTable(vfs, of);
    };
    // The copy has the mounts of the original, and its cwd moved into them.
    expect(table(vfs, inner)).toEqual(['/ /mnt rw,relatime - tmpfs before rw']);
    writeFile(vfs, inner, 'shared-file', 'one tmpfs, two mounts');
    expect(readAll(vfs, ctx, '/mnt/shared-file')).toBe('one tmpfs, two mounts');
    vfs.mountNew(inner, innerAt('/b'), 'tmpfs', 'inside', 0, '');
    // Its cwd is in the copy of /mnt: busy there, not in the original.
    expect(errnoOf(() => vfs.unmount(inner, innerAt('/mnt'), 0))).toBe(E.EBUSY);
    inner.cwd = innerAt('/');
    vfs.unmount(inner, innerAt('/mnt'), 0);
    expect(table(vfs, inner)).toEqual(['/ /b rw,relatime - tmpfs inside rw']);
    expect(table(vfs, ctx)).toEqual(['/ /mnt rw,relatime - tmpfs before rw']);
    expect(listDir(vfs, ctx, '/b')).toEqual(['.', '..', 'keep']);
    // A mount of the other namespace is not the caller's to change.
    expect(errnoOf(() => vfs.unmount(inner, at('/mnt'), 0))).toBe(E.EINVAL);
    // The spec's mounts stay locked in the copy.
    expect(errnoOf(() => vfs.unmount(inner, innerAt('/proc'), MNT.DETACH))).toBe(E.EINVAL);
  });
});

describe('no way out', () => {
  it('a bind source is a sandbox path: .. stops at the caller\'s root, and no host path shows', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountBind(ctx, at('/../../..'), at('/b'), true);
    expect(listDir(vfs, ctx, '/b')).toEqual(listDir(vfs, ctx, '/'));
    vfs.unmount(ctx, at('/b'), MNT.DETACH);
    // A caller chrooted at /mnt names nothing above it.
    const jailed: FsContext = { ...ctx, root: at('/mnt'), cwd: at('/mnt') };
    const inJail = (path: string) => vfs.resolve(jailed, undefined, path, { follow: true });
    vfs.mountBind(jailed, inJail('/../..'), at('/b'), false);
    expect(listDir(vfs, ctx, '/b')).toEqual(['.', '..', 'keep']);
    // The rootfs and host bind sources show as "none", never as host paths.
    expect(readAll(vfs, ctx, '/proc/self/mountinfo')).not.toMatch(/ \/(tmp|work|home|root)\//);
  });

  it('fs.mount-max bounds a namespace: a recursive bind into itself doubles it until ENOSPC', () => {
    const { vfs, caller: ctx, at } = setup();
    let binds = 0;
    let errno = 0;
    while (errno === 0 && binds < 40) {
      errno = errnoOf(() => vfs.mountBind(ctx, at('/'), at('/b'), true));
      binds++;
    }
    expect(errno).toBe(E.ENOSPC);
    const count = vfs.mounts(ctx).length;
    expect(count).toBeLessThanOrEqual(MOUNT_MAX);
    expect(count * 2).toBeGreaterThan(MOUNT_MAX);
    // Still usable: the top of the stack unmounts with everything below it.
    vfs.unmount(ctx, at('/b'), MNT.DETACH);
    expect(vfs.mounts(ctx).length).toBeLessThan(count);
  });
});

describe('pivot_root(2)', () => {
  it('makes a mount the root, puts the old one at put_old, and moves every root and cwd that was the old root', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'new', 0, '');
    vfs.mkdir(ctx, undefined, '/mnt/old', 0o755);
    writeFile(vfs, ctx, '/mnt/marker', 'new root');
    const other: FsContext = { ...ctx, cwd: at('/b') };
    const oldRoot = ctx.root;
    vfs.pivotRoot(ctx, at('/mnt'), at('/mnt/old'), [ctx, other]);
    // Both roots moved; the cwd that was elsewhere stays, now below /old.
    for (const held of [ctx, other]) expect(readAll(vfs, held, '/marker')).toBe('new root');
    expect(vfs.pathOf(other, other.cwd)).toBe('/old/b');
    expect(readAll(vfs, ctx, '/old/mnt/keep')).toBe('rootfs file');
    // The lock moved with the root: the new root stays, the old one may go, and the spec's mounts below it with it.
    expect(errnoOf(() => vfs.unmount(ctx, ctx.root, MNT.DETACH))).toBe(E.EINVAL);
    vfs.unmount(ctx, at('/old'), MNT.DETACH);
    expect(listDir(vfs, ctx, '/old')).toEqual(['.', '..']);
    // The old root, still held, leads nowhere but into its own tree.
    expect(listDir(vfs, { ...ctx, root: oldRoot, cwd: oldRoot }, '/..').sort()).toEqual(listDir(vfs, { ...ctx, root: oldRoot, cwd: oldRoot }, '/').sort());
  });

  it('refuses what Linux refuses', () => {
    const { vfs, caller: ctx, at } = setup();
    vfs.mountNew(ctx, at('/mnt'), 'tmpfs', 'new', 0, '');
    vfs.mkdir(ctx, undefined, '/mnt/old', 0o755);
    const pivot = (newRoot: string, putOld: string) => errnoOf(() => vfs.pivotRoot(ctx, at(newRoot), at(putOld), [ctx]));
    expect(pivot('/b', '/b')).toBe(E.EINVAL); // not a mount point
    expect(pivot('/mnt', '/proc')).toBe(E.EINVAL); // put_old not below new_root
    expect(pivot('/mnt', '/b')).toBe(E.EBUSY); // put_old on the root's mount
    expect(pivot('/mnt', '/')).toBe(E.EBUSY);
    expect(pivot('/proc', '/proc/self')).toBe(E.EINVAL); // a spec mount is locked
    vfs.setPropagation(ctx, at('/mnt'), MS.SHARED, false);
    expect(pivot('/mnt', '/mnt/old')).toBe(E.EINVAL); // put_old's mount is shared
    // Chrooted below a mount's root: the root is not a mount point.
    vfs.setPropagation(ctx, at('/mnt'), MS.PRIVATE, false);
    expect(errnoOf(() => vfs.pivotRoot({ ...ctx, root: at('/b') }, at('/mnt'), at('/mnt/old'), []))).toBe(E.EINVAL);
    // Nothing moved.
    expect(listDir(vfs, ctx, '/mnt').sort()).toEqual(['.', '..', 'old']);
    expect(readAll(vfs, ctx, '/b/keep')).toBe('b');
  });
});
