import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { O } from '../../../src/abi/linux-fcntl.js';
import { errnoOf, readAll } from '../helpers.js';
import { makeSandbox } from './sandbox.js';

/** A sandbox whose bundle holds a marker file beside (outside) the rootfs. */
function sandboxWithMarker() {
  const sb = makeSandbox({ tree: { 'etc/hostname': 'box\n', 'jail/etc/hostname': 'jailed\n', tmp: null, 'etc/escape': { link: '../../../secret.txt' } } });
  fs.writeFileSync(path.join(sb.bundle, 'secret.txt'), 'MARKER');
  fs.writeFileSync(path.join(sb.bundle, '..', 'secret.txt'), 'MARKER');
  sb.addProcess(1);
  return sb;
}

describe('/proc/PID magic links', () => {
  it('fd links show sandbox paths and open the very file', () => {
    const sb = sandboxWithMarker();
    const fd = sb.openFd(1, '/etc/hostname', O.RDONLY);
    const shown = sb.vfs.readlink(sb.ctx(), undefined, `/proc/self/fd/${fd}`);
    expect(shown).toBe('/etc/hostname');
    expect(shown).not.toContain(sb.rootfs);
    expect(readAll(sb.vfs, sb.ctx(), `/proc/self/fd/${fd}`)).toBe('box\n');
    expect(sb.vfs.stat(sb.ctx(), undefined, `/proc/1/fd/${fd}`, 0).ino).toBe(sb.vfs.stat(sb.ctx(), undefined, '/etc/hostname', 0).ino);
  });

  it('show an unlinked open file as deleted, and still reach it', () => {
    const sb = sandboxWithMarker();
    const ctx = sb.ctx();
    sb.vfs.open(ctx, undefined, '/tmp/b', O.CREAT | O.WRONLY, 0o644).unref();
    const fd = sb.openFd(1, '/tmp/b', O.RDWR);
    sb.vfs.unlink(ctx, undefined, '/tmp/b', 0);
    expect(sb.vfs.readlink(ctx, undefined, `/proc/self/fd/${fd}`)).toBe('/tmp/b (deleted)');
    // Like Linux, the deleted file stays reachable through its fd link.
    expect(errnoOf(() => sb.vfs.open(ctx, undefined, `/proc/self/fd/${fd}`, O.RDONLY, 0).unref())).toBe(0);
  });

  it('never lead outside the sandbox through root, cwd or a directory fd', () => {
    const sb = sandboxWithMarker();
    const ctx = sb.ctx();
    const dirFd = sb.openFd(1, '/etc', O.RDONLY | O.DIRECTORY);
    const attempts = [
      '/proc/self/root/../secret.txt',
      '/proc/self/root/../../secret.txt',
      '/proc/self/root/../../../../../secret.txt',
      `/proc/self/fd/${dirFd}/../../secret.txt`,
      `/proc/self/fd/${dirFd}/../../../../secret.txt`,
      '/proc/self/cwd/../../secret.txt',
      '/proc/1/root/proc/self/root/../secret.txt',
      '/proc/self/root/etc/escape',
    ];
    for (const attempt of attempts) {
      expect({ attempt, errno: errnoOf(() => readAll(sb.vfs, ctx, attempt)) }).toEqual({ attempt, errno: E.ENOENT });
    }
    expect(readAll(sb.vfs, ctx, '/proc/self/root/../../etc/hostname')).toBe('box\n');
    expect(readAll(sb.vfs, ctx, `/proc/self/fd/${dirFd}/../etc/hostname`)).toBe('box\n');
    expect(sb.vfs.readlink(ctx, undefined, '/proc/self/root')).toBe('/');
  });

  it('root and cwd follow a chrooted process inside its jail', () => {
    const sb = sandboxWithMarker();
    const outside = sb.ctx();
    const jail = sb.vfs.resolve(outside, undefined, '/jail', { follow: true, directory: true });
    const etc = sb.vfs.resolve(outside, undefined, '/jail/etc', { follow: true, directory: true });
    sb.addProcess(5, { fsContext: { ...outside, root: jail, cwd: etc } });
    expect(sb.vfs.readlink(outside, undefined, '/proc/5/root')).toBe('/jail');
    expect(sb.vfs.readlink(outside, undefined, '/proc/5/cwd')).toBe('/jail/etc');
    expect(readAll(sb.vfs, outside, '/proc/5/cwd/hostname')).toBe('jailed\n');
    expect(readAll(sb.vfs, outside, '/proc/5/root/etc/hostname')).toBe('jailed\n');
    // Seen by the jailed process itself, paths start at its own root.
    sb.current = 5;
    expect(sb.vfs.readlink(outside, undefined, '/proc/self/cwd')).toBe('/etc');
  });

  it('exe points at the program the process runs', () => {
    const sb = sandboxWithMarker();
    const exe = sb.vfs.resolve(sb.ctx(), undefined, '/etc/hostname', { follow: true });
    sb.processes.get(1)!.exe = exe;
    expect(sb.vfs.readlink(sb.ctx(), undefined, '/proc/1/exe')).toBe('/etc/hostname');
    sb.processes.get(1)!.exe = undefined;
    expect(errnoOf(() => sb.vfs.readlink(sb.ctx(), undefined, '/proc/1/exe'))).toBe(E.ENOENT);
  });

  it('are refused to another user without CAP_SYS_PTRACE', () => {
    const sb = sandboxWithMarker();
    const fd = sb.openFd(1, '/etc/hostname', O.RDONLY);
    const base = sb.ctx(1);
    sb.addProcess(9, { uid: 1000, euid: 1000, gid: 1000, egid: 1000, fsContext: { ...base, creds: { uid: 1000, gid: 1000, groups: [], caps: 0n } } });
    sb.current = 9;
    const user = sb.ctx(9);
    expect(errnoOf(() => sb.vfs.readlink(user, undefined, `/proc/1/fd/${fd}`))).toBe(E.EACCES);
    expect(errnoOf(() => sb.vfs.readlink(user, undefined, '/proc/1/root'))).toBe(E.EACCES);
    expect(errnoOf(() => readAll(sb.vfs, user, '/proc/1/root/etc/hostname'))).toBe(E.EACCES);
    expect(errnoOf(() => readAll(sb.vfs, user, '/proc/1/environ'))).toBe(E.EACCES);
    expect(readAll(sb.vfs, user, '/proc/1/cmdline')).toBe('/bin/sh\0-c\0echo hi\0');
    expect(readAll(sb.vfs, user, '/proc/self/environ')).toBe('PATH=/bin\0HOME=/root\0');
  });

  it('show anonymous files by name and still open them', () => {
    const sb = sandboxWithMarker();
    const ctx = sb.ctx();
    const entry = sb.synthetic.mqueues.open('q', O.CREAT | O.RDWR, 0o600, undefined, ctx.creds);
    const file = sb.vfs.openAnonymous(sb.synthetic.mqueueInode(entry), 'anon_inode:[mqueue]', O.RDWR, ctx);
    sb.processes.get(1)!.fdTable.set(4, file);
    expect(sb.vfs.readlink(ctx, undefined, '/proc/self/fd/4')).toBe('anon_inode:[mqueue]');
    expect(sb.vfs.stat(ctx, undefined, '/proc/self/fd/4', 0).ino).toBe(file.inode.ino);
    expect(readAll(sb.vfs, ctx, '/proc/self/fd/4')).toMatch(/^QSIZE:0 /);
    expect(errnoOf(() => sb.vfs.stat(ctx, undefined, '/proc/self/fd/4/x', 0))).toBe(E.ENOTDIR);
  });
});
