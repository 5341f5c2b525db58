// The mount tree built from a spec: read-only roots and binds, noexec/nodev, file binds,
// tmpfs options, filesystem types from the registry, the rootfs side file, --overlay=none.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E, SysError } from '../../src/abi/errno.js';
import { ACCESS, AT, O } from '../../src/abi/linux-fcntl.js';
import { MemFs, TMPFS_MAGIC } from '../../src/vfs/memfs/fs.js';
import { MS, Registry, S, makedev, openBeneathHost, type FileImpl, type OpenBeneath } from '../../src/vfs/index.js';
import { buildVfs, errnoOf, listDir, makeBundle, providers, readAll, rootCtx, tempDir, writeFile } from './helpers.js';
import { createVfs } from '../../src/vfs/index.js';

describe('read-only mounts', () => {
  it('a read-only root gives EROFS for every write and leaves the host alone', () => {
    const { bundle, rootfs } = makeBundle({ 'etc/f': 'x', 'd': null, 'l': { link: 'etc/f' } });
    const vfs = buildVfs(bundle, { root: { path: 'rootfs', readonly: true } });
    const ctx = rootCtx(vfs);
    const writes: (() => unknown)[] = [
      () => vfs.open(ctx, undefined, '/etc/f', O.WRONLY, 0),
      () => vfs.open(ctx, undefined, '/etc/f', O.RDONLY | O.TRUNC, 0),
      () => vfs.open(ctx, undefined, '/new', O.CREAT | O.WRONLY, 0o644),
      () => vfs.mkdir(ctx, undefined, '/d2', 0o755),
      () => vfs.unlink(ctx, undefined, '/etc/f', 0),
      () => vfs.unlink(ctx, undefined, '/d', AT.REMOVEDIR),
      () => vfs.rename(ctx, undefined, '/etc/f', undefined, '/g', 0),
      () => vfs.symlink(ctx, 'x', undefined, '/s'),
      () => vfs.link(ctx, undefined, '/etc/f', undefined, '/h', 0),
      () => vfs.chmod(ctx, undefined, '/etc/f', 0o777, 0),
      () => vfs.chown(ctx, undefined, '/etc/f', 5, 5, 0),
      () => vfs.utimens(ctx, undefined, '/etc/f', undefined, undefined, 0),
      () => vfs.truncate(ctx, undefined, '/etc/f', 0),
      () => vfs.access(ctx, undefined, '/etc/f', ACCESS.W_OK, 0),
      () => vfs.mknod(ctx, undefined, '/p', S.IFIFO | 0o644, 0),
    ];
    const before = fs.statSync(path.join(rootfs, 'etc/f'));
    for (const write of writes) expect(errnoOf(write)).toBe(E.EROFS);
    expect(readAll(vfs, ctx, '/l')).toBe('x');
    expect(vfs.statfs(ctx, undefined, '/').flags & MS.RDONLY).toBe(MS.RDONLY);
    const after = fs.statSync(path.join(rootfs, 'etc/f'));
    expect([after.mode, after.mtimeMs, after.size]).toEqual([before.mode, before.mtimeMs, before.size]);
  });

  it('ro binds are EROFS, rw binds write through, file binds work, noexec refuses exec', () => {
    const { bundle } = makeBundle({ mnt: null });
    const source = tempDir();
    fs.writeFileSync(path.join(source, 'tool'), '#!/bin/sh\n');
    fs.chmodSync(path.join(source, 'tool'), 0o755);
    const hostFile = path.join(tempDir(), 'hosts');
    fs.writeFileSync(hostFile, '127.0.0.1 localhost\n');
    const vfs = buildVfs(bundle, {
      mounts: [
        { destination: '/mnt/ro', type: 'bind', source, options: ['rbind', 'ro'] },
        { destination: '/mnt/rw', type: 'bind', source, options: ['bind', 'noexec'] },
        { destination: '/etc/hosts', type: 'bind', source: hostFile, options: ['bind', 'ro'] },
      ],
    });
    const ctx = rootCtx(vfs);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/mnt/ro/new', O.CREAT | O.WRONLY, 0o644))).toBe(E.EROFS);
    writeFile(vfs, ctx, '/mnt/rw/new', 'through');
    expect(fs.readFileSync(path.join(source, 'new'), 'utf8')).toBe('through');
    expect(readAll(vfs, ctx, '/mnt/ro/new')).toBe('through');
    expect(readAll(vfs, ctx, '/etc/hosts')).toBe('127.0.0.1 localhost\n');
    expect(errnoOf(() => vfs.open(ctx, undefined, '/etc/hosts', O.WRONLY, 0))).toBe(E.EROFS);
    vfs.openExecutable(ctx, undefined, '/mnt/ro/tool', 0).unref();
    expect(errnoOf(() => vfs.openExecutable(ctx, undefined, '/mnt/rw/tool', 0))).toBe(E.EACCES);
    expect(errnoOf(() => vfs.access(ctx, undefined, '/mnt/rw/tool', ACCESS.X_OK, 0))).toBe(E.EACCES);
    expect(errnoOf(() => vfs.rename(ctx, undefined, '/mnt/rw/new', undefined, '/mnt/ro/new2', 0))).toBe(E.EXDEV);
  });
});

describe('devices and registered filesystem types', () => {
  it('opens character devices through the registry, and not on nodev mounts', () => {
    const registry = new Registry();
    const impl: FileImpl = { seekable: false, read: () => 0, write: (buf) => buf.length };
    registry.registerCharDevice(1, 3, () => impl);
    const { bundle } = makeBundle({ dev: null, nodev: null });
    const vfs = buildVfs(bundle, { mounts: [{ destination: '/nodev', type: 'tmpfs', source: 'tmpfs', options: ['nodev'] }] }, { registry });
    const ctx = rootCtx(vfs);
    vfs.mknod(ctx, undefined, '/null', S.IFCHR | 0o666, makedev(1, 3));
    vfs.mknod(ctx, undefined, '/nodev/null', S.IFCHR | 0o666, makedev(1, 3));
    const fd = vfs.open(ctx, undefined, '/null', O.RDWR, 0);
    expect(fd.write(Buffer.from('gone'))).toBe(4);
    expect(fd.read(Buffer.alloc(4))).toBe(0);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/nodev/null', O.RDWR, 0))).toBe(E.EACCES);
  });

  it('mounts proc/sysfs through the registry; /dev tmpfs becomes the "dev" type when registered', () => {
    const registry = new Registry();
    const seen: string[] = [];
    for (const name of ['proc', 'dev']) {
      registry.register({
        name,
        mount: (request) => {
          seen.push(`${name} ${request.destination} ${request.options.join(',')}`);
          return new MemFs({ type: name, magic: TMPFS_MAGIC, dev: request.dev, sizeLimit: Infinity, account: request.account, rootMode: 0o555, rootOwner: { uid: 0, gid: 0 } });
        },
      });
    }
    const { bundle, rootfs } = makeBundle({ proc: null });
    const vfs = buildVfs(
      bundle,
      {
        mounts: [
          { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid'] },
          { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['mode=755'] },
        ],
      },
      { registry },
    );
    expect(seen).toEqual(['proc /proc nosuid', 'dev /dev mode=755']);
    expect(vfs.mounts().map((m) => m.fsType)).toEqual(['overlay', 'proc', 'dev']);
    expect(fs.existsSync(path.join(rootfs, 'dev'))).toBe(false);
  });

  it('names the mount when its type is unknown or its options are bad', () => {
    const { bundle } = makeBundle();
    expect(() => buildVfs(bundle, { mounts: [{ destination: '/sys', type: 'sysfs', source: 'sysfs', options: [] }] })).toThrow(/mount \/sys: unsupported filesystem type "sysfs"/);
    expect(() => buildVfs(bundle, { mounts: [{ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['size=lots'] }] })).toThrow(/mount \/t: invalid size "lots"/);
    expect(() => buildVfs(bundle, { mounts: [{ destination: '/b', type: 'bind', source: '/nonexistent-source', options: ['bind'] }] })).toThrow(/mount \/b: bind source/);
  });

  it('makes a missing mount point of a read-only root in memory, as runc does before its read-only remount', () => {
    const { bundle, rootfs } = makeBundle();
    const vfs = buildVfs(bundle, { root: { path: 'rootfs', readonly: true }, mounts: [{ destination: '/etc/missing', type: 'tmpfs', source: 'tmpfs', options: [] }] });
    expect(vfs.stat(rootCtx(vfs), undefined, '/etc/missing', 0).mode & S.IFMT).toBe(S.IFDIR);
    expect(() => vfs.mkdir(rootCtx(vfs), undefined, '/elsewhere', 0o755)).toThrow(/EROFS/);
    vfs.mkdir(rootCtx(vfs), undefined, '/etc/missing/inside', 0o755);
    expect(fs.existsSync(path.join(rootfs, 'etc', 'missing'))).toBe(false);
  });

  it('tmpfs mode=, uid=, gid= set the root directory', () => {
    const { bundle } = makeBundle();
    const vfs = buildVfs(bundle, { mounts: [{ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['mode=0750', 'uid=5', 'gid=6'] }] });
    const st = vfs.stat(rootCtx(vfs), undefined, '/run', 0);
    expect([st.mode & 0o7777, st.uid, st.gid]).toEqual([0o750, 5, 6]);
  });
});

describe('host files', () => {
  it('presents owners, modes and device nodes from tssc-rootfs-meta.json', () => {
    const { bundle } = makeBundle({ 'bin/su': 'elf', 'dev/null': '', 'run/fifo': '' });
    fs.writeFileSync(
      path.join(bundle, 'tssc-rootfs-meta.json'),
      JSON.stringify({
        version: 1,
        entries: {
          '/bin/su': { mode: 0o4755, uid: 0, gid: 0 },
          '/bin': { uid: 7, gid: 8 },
          '/dev/null': { type: 'c', mode: 0o666, major: 1, minor: 3 },
          '/run/fifo': { type: 'p', mode: 0o600, uid: 1000 },
        },
      }),
    );
    for (const overlay of ['memory', 'none'] as const) {
      const vfs = buildVfs(bundle, {}, { overlay });
      const ctx = rootCtx(vfs);
      expect(vfs.stat(ctx, undefined, '/bin/su', 0).mode & 0o7777).toBe(0o4755);
      expect([vfs.stat(ctx, undefined, '/bin', 0).uid, vfs.stat(ctx, undefined, '/bin', 0).gid]).toEqual([7, 8]);
      const dev = vfs.stat(ctx, undefined, '/dev/null', 0);
      expect([dev.mode, dev.rdev, dev.size]).toEqual([S.IFCHR | 0o666, makedev(1, 3), 0]);
      const fifo = vfs.stat(ctx, undefined, '/run/fifo', 0);
      expect([fifo.mode, fifo.uid]).toEqual([S.IFIFO | 0o600, 1000]);
    }
  });

  it('writes through to the host rootfs with overlay none', () => {
    const { bundle, rootfs } = makeBundle({ 'etc/f': 'old' });
    const vfs = buildVfs(bundle, {}, { overlay: 'none' });
    const ctx = rootCtx(vfs);
    writeFile(vfs, ctx, '/etc/f', 'new');
    vfs.mkdir(ctx, undefined, '/made', 0o700);
    vfs.rename(ctx, undefined, '/etc/f', undefined, '/made/g', 0);
    expect(fs.readFileSync(path.join(rootfs, 'made/g'), 'utf8')).toBe('new');
    expect(fs.statSync(path.join(rootfs, 'made')).mode & 0o7777).toBe(0o700);
  });

  it('the overlay copies up on chmod and write, and never touches the host rootfs', () => {
    const { bundle, rootfs } = makeBundle({ 'etc/f': 'old', 'etc/hard': 'h' });
    fs.linkSync(path.join(rootfs, 'etc/hard'), path.join(rootfs, 'etc/hard2'));
    const vfs = buildVfs(bundle);
    const ctx = rootCtx(vfs);
    vfs.chmod(ctx, undefined, '/etc/f', 0o600, 0);
    writeFile(vfs, ctx, '/etc/hard', 'H', O.WRONLY | O.TRUNC);
    expect(readAll(vfs, ctx, '/etc/hard2')).toBe('H');
    expect(vfs.stat(ctx, undefined, '/etc/hard2', 0).nlink).toBe(2);
    expect(vfs.stat(ctx, undefined, '/etc/f', 0).mode & 0o7777).toBe(0o600);
    expect(fs.statSync(path.join(rootfs, 'etc/f')).mode & 0o7777).toBe(0o644);
    expect(fs.readFileSync(path.join(rootfs, 'etc/hard'), 'utf8')).toBe('h');
  });

  it('uses an injected openBeneath (the native openat2 hook) for every host open', () => {
    const { bundle } = makeBundle({ 'a/b/c': 'deep' });
    const calls: string[] = [];
    const openBeneath: OpenBeneath = (dirFd, name, flags, mode) => {
      calls.push(name);
      return openBeneathHost(dirFd, name, flags, mode);
    };
    const vfs = createVfs({ spec: { root: { path: 'rootfs' } }, bundleDir: bundle, registry: new Registry(), providers, openBeneath });
    expect(readAll(vfs, rootCtx(vfs), '/a/b/c')).toBe('deep');
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(() => openBeneathHost(0, '../x', 0, 0)).toThrow(SysError);
  });
});

describe('the rootfs side file', () => {
  it('names the file and the entry when it is malformed', () => {
    const { bundle } = makeBundle();
    fs.writeFileSync(path.join(bundle, 'tssc-rootfs-meta.json'), '{"version":1,"entries":{"/x":{"uid":-1}}}');
    expect(() => buildVfs(bundle)).toThrow(/tssc-rootfs-meta.json: entry "\/x": uid must be a non-negative integer/);
    fs.writeFileSync(path.join(bundle, 'tssc-rootfs-meta.json'), '{"version":1,');
    expect(() => buildVfs(bundle)).toThrow(/tssc-rootfs-meta.json: /);
    fs.writeFileSync(path.join(bundle, 'tssc-rootfs-meta.json'), '{"version":2,"entries":{}}');
    expect(() => buildVfs(bundle)).toThrow(/expected \{"version":1/);
  });
});

describe('non-UTF-8 names', () => {
  it('keeps latin1 byte-string names and side-file keys byte for byte', () => {
    const { bundle, rootfs } = makeBundle();
    const name = Buffer.from([0x63, 0xe9, 0xff]);
    fs.writeFileSync(Buffer.concat([Buffer.from(rootfs + '/'), name]), 'bytes');
    const byteName = '/' + name.toString('latin1');
    fs.writeFileSync(path.join(bundle, 'tssc-rootfs-meta.json'), JSON.stringify({ version: 1, entries: { [byteName]: { mode: 0o600 } } }));
    for (const overlay of ['memory', 'none'] as const) {
      const vfs = buildVfs(bundle, {}, { overlay });
      const ctx = rootCtx(vfs);
      expect(readAll(vfs, ctx, byteName)).toBe('bytes');
      expect(vfs.stat(ctx, undefined, byteName, 0).mode & 0o7777).toBe(0o600);
      writeFile(vfs, ctx, byteName + '2', 'more');
    }
    expect(fs.readFileSync(Buffer.concat([Buffer.from(rootfs + '/'), name, Buffer.from('2')]), 'utf8')).toBe('more');
  });
});

describe('overlay copy-up', () => {
  it('changes attributes and truncates lower files without reading them', () => {
    const { bundle } = makeBundle({ 'big': 'x'.repeat(100_000) });
    const opened: string[] = [];
    const openBeneath: OpenBeneath = (dirFd, name, flags, mode) => {
      opened.push(name);
      return openBeneathHost(dirFd, name, flags, mode);
    };
    const vfs = createVfs({ spec: { root: { path: 'rootfs' } }, bundleDir: bundle, registry: new Registry(), providers, openBeneath });
    const ctx = rootCtx(vfs);
    vfs.chmod(ctx, undefined, '/big', 0o600, 0);
    vfs.chown(ctx, undefined, '/big', 5, 5, 0);
    vfs.setxattr(ctx, undefined, '/big', 'user.a', Buffer.from('1'), 0, 0);
    writeFile(vfs, ctx, '/big', 'small', O.WRONLY | O.TRUNC);
    expect(opened).toEqual([]);
    expect(readAll(vfs, ctx, '/big')).toBe('small');
  });
});

describe('linux.maskedPaths and linux.readonlyPaths', () => {
  it('hides masked paths and makes read-only paths read-only, skipping missing ones', () => {
    const registry = new Registry();
    registry.registerCharDevice(1, 3, () => ({ seekable: false, read: () => 0, write: (buf) => buf.length }));
    const { bundle, rootfs } = makeBundle({ 'secret/key': 'k', 'secret-file': 's', 'rw/sub/f': 'f', 'rw/other': 'o' });
    const vfs = buildVfs(
      bundle,
      { linux: { maskedPaths: ['/secret', '/secret-file', '/missing'], readonlyPaths: ['/rw/sub', '/missing/too'] } },
      { registry },
    );
    const ctx = rootCtx(vfs);
    expect(listDir(vfs, ctx, '/secret')).toEqual(['.', '..']);
    expect(errnoOf(() => vfs.open(ctx, undefined, '/secret/new', O.CREAT | O.WRONLY, 0o644))).toBe(E.EROFS);
    const st = vfs.stat(ctx, undefined, '/secret-file', 0);
    expect([st.mode & S.IFMT, st.rdev]).toEqual([S.IFCHR, makedev(1, 3)]);
    expect(readAll(vfs, ctx, '/secret-file')).toBe('');
    expect(errnoOf(() => vfs.unlink(ctx, undefined, '/secret', AT.REMOVEDIR))).toBe(E.EBUSY);
    expect(readAll(vfs, ctx, '/rw/sub/f')).toBe('f');
    expect(errnoOf(() => vfs.open(ctx, undefined, '/rw/sub/f', O.WRONLY, 0))).toBe(E.EROFS);
    expect(errnoOf(() => vfs.mkdir(ctx, undefined, '/rw/sub/d', 0o755))).toBe(E.EROFS);
    writeFile(vfs, ctx, '/rw/other', 'changed');
    expect(vfs.pathOf(ctx, vfs.resolve(ctx, undefined, '/rw/sub/f', { follow: false }))).toBe('/rw/sub/f');
    expect(vfs.stat(ctx, undefined, '/rw/sub/..', 0).ino).toBe(vfs.stat(ctx, undefined, '/rw', 0).ino);
    expect(fs.readFileSync(path.join(rootfs, 'secret/key'), 'utf8')).toBe('k');
  });
});
