import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { O } from '../../../src/abi/linux-fcntl.js';
import { ROOTFS_META_FILE, S, makedev } from '../../../src/vfs/index.js';
import { errnoOf, listDir, readAll, rootCtx, userCtx } from '../helpers.js';
import { bytes, makeSandbox, makeSandboxOver } from './sandbox.js';

describe('/dev', () => {
  it('is a tmpfs holding the device nodes, the fd links and pts/ shm/', () => {
    const sb = makeSandbox();
    sb.addProcess(1);
    const ctx = sb.ctx();
    expect(listDir(sb.vfs, ctx, '/dev').sort()).toEqual(['.', '..', 'fd', 'full', 'null', 'ptmx', 'pts', 'random', 'shm', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero']);
    const numbers: Record<string, [number, number]> = { null: [1, 3], zero: [1, 5], full: [1, 7], random: [1, 8], urandom: [1, 9], tty: [5, 0], ptmx: [5, 2] };
    for (const [name, [major, minor]] of Object.entries(numbers)) {
      const st = sb.vfs.stat(ctx, undefined, `/dev/${name}`, 0);
      expect(st.mode).toBe(S.IFCHR | 0o666);
      expect(st.rdev).toBe(makedev(major, minor));
    }
    expect(sb.vfs.readlink(ctx, undefined, '/dev/fd')).toBe('/proc/self/fd');
    expect(sb.vfs.readlink(ctx, undefined, '/dev/stderr')).toBe('/proc/self/fd/2');
    expect(sb.vfs.stat(ctx, undefined, '/dev/shm', 0).mode).toBe(S.IFDIR | 0o1777);
    expect(sb.vfs.mounts().find((m) => m.mountPoint === '/dev')?.fsType).toBe('tmpfs');
  });

  it('is there without a /dev mount, as the runtime spec requires, on a read-only rootfs without /dev too', () => {
    const sb = makeSandbox({ mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }], readonly: true, tree: { etc: null } });
    sb.addProcess(1);
    const ctx = userCtx(sb.vfs);
    expect(sb.vfs.stat(ctx, undefined, '/dev/null', 0).rdev).toBe(makedev(1, 3));
    const nul = sb.vfs.open(ctx, undefined, '/dev/null', O.WRONLY | O.CREAT | O.TRUNC, 0o644);
    expect(nul.write(bytes('discarded'))).toBe(9);
    expect(errnoOf(() => sb.vfs.open(ctx, undefined, '/etc/new', O.WRONLY | O.CREAT, 0o644))).toBe(E.EROFS);
    expect(fs.existsSync(path.join(sb.rootfs, 'dev'))).toBe(false);
    expect(sb.vfs.mounts().find((m) => m.mountPoint === '/dev')?.fsType).toBe('tmpfs');
  });

  it('a spec /dev mount is used as it is: no second /dev', () => {
    const sb = makeSandbox();
    expect(sb.vfs.mounts().filter((m) => m.mountPoint === '/dev')).toHaveLength(1);
  });

  it('null, zero, full and urandom read and write as on Linux', () => {
    const sb = makeSandbox();
    sb.addProcess(1);
    const ctx = userCtx(sb.vfs);
    const buf = new Uint8Array(16).fill(7);
    const nul = sb.vfs.open(ctx, undefined, '/dev/null', O.RDWR, 0);
    expect(nul.read(buf)).toBe(0);
    expect(nul.write(bytes('discarded'))).toBe(9);
    const zero = sb.vfs.open(ctx, undefined, '/dev/zero', O.RDWR, 0);
    expect(zero.read(buf)).toBe(16);
    expect([...buf]).toEqual(new Array(16).fill(0));
    expect(zero.write(bytes('x'))).toBe(1);
    const full = sb.vfs.open(ctx, undefined, '/dev/full', O.RDWR, 0);
    expect(errnoOf(() => full.write(bytes('x')))).toBe(E.ENOSPC);
    buf.fill(7);
    expect(full.read(buf)).toBe(16);
    expect(buf.every((b) => b === 0)).toBe(true);
    const random = sb.vfs.open(ctx, undefined, '/dev/urandom', O.RDONLY, 0);
    const a = new Uint8Array(32);
    const b = new Uint8Array(32);
    expect(random.read(a)).toBe(32);
    expect(random.read(b)).toBe(32);
    expect(Buffer.compare(a, b)).not.toBe(0);
    expect(sb.vfs.open(ctx, undefined, '/dev/random', O.WRONLY, 0).write(bytes('seed'))).toBe(4);
  });

  it('/dev/tty is ENXIO for a process without a controlling terminal', () => {
    const sb = makeSandbox();
    sb.addProcess(1);
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/dev/tty', O.RDWR, 0))).toBe(E.ENXIO);
  });

  it('/dev/tty opens a host terminal the sentry says controls the session', () => {
    const written: string[] = [];
    const hostTerminal = {
      seekable: false,
      write: (buf: Uint8Array) => {
        written.push(Buffer.from(buf).toString());
        return buf.length;
      },
    };
    const sb = makeSandbox({ openOtherTerminal: (sid) => (sid === 1 ? hostTerminal : undefined) });
    sb.addProcess(1);
    sb.addProcess(5, { sid: 5, pgid: 5 });
    sb.vfs.open(sb.ctx(), undefined, '/dev/tty', O.WRONLY, 0).write(bytes('hello'));
    expect(written).toEqual(['hello']);
    sb.current = 5;
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/dev/tty', O.WRONLY, 0))).toBe(E.ENXIO);
  });

  it('takes new files like any tmpfs, and shm/ is writable by everyone', () => {
    const sb = makeSandbox();
    sb.addProcess(1);
    const root = sb.ctx();
    sb.vfs.open(root, undefined, '/dev/newfile', O.CREAT | O.WRONLY, 0o644).write(bytes('hello'));
    expect(readAll(sb.vfs, root, '/dev/newfile')).toBe('hello');
    const user = userCtx(sb.vfs);
    sb.vfs.open(user, undefined, '/dev/shm/seg', O.CREAT | O.RDWR, 0o600).write(bytes('shared'));
    expect(readAll(sb.vfs, user, '/dev/shm/seg')).toBe('shared');
    expect(errnoOf(() => sb.vfs.open(user, undefined, '/dev/other', O.CREAT | O.WRONLY, 0o644))).toBe(E.EACCES);
  });

  it('opens any node with a known rdev as that device, wherever it is', () => {
    const sb = makeSandbox();
    sb.addProcess(1);
    const ctx = sb.ctx();
    sb.vfs.mknod(ctx, undefined, '/tmp/mynull', S.IFCHR | 0o666, makedev(1, 3));
    const file = sb.vfs.open(ctx, undefined, '/tmp/mynull', O.RDWR, 0);
    expect(file.write(bytes('gone'))).toBe(4);
    expect(file.read(new Uint8Array(4))).toBe(0);
    sb.vfs.mknod(ctx, undefined, '/tmp/unknown', S.IFCHR | 0o666, makedev(8, 0));
    expect(errnoOf(() => sb.vfs.open(ctx, undefined, '/tmp/unknown', O.RDWR, 0))).toBe(E.ENXIO);
  });

  it('/dev/stdin resolves to the calling process fd 0', () => {
    const sb = makeSandbox();
    sb.addProcess(1);
    sb.openFd(1, '/etc/hostname', O.RDONLY, 0);
    expect(readAll(sb.vfs, sb.ctx(), '/dev/stdin')).toBe('box\n');
    expect(readAll(sb.vfs, sb.ctx(), '/dev/fd/0')).toBe('box\n');
  });

  it('makes a device node from the bundle side file the sandbox device, never the host file', () => {
    const sb = makeSandbox({ tree: { 'etc/hostname': 'box\n', 'opt/null': 'placeholder', 'opt/zero': 'placeholder', tmp: null, proc: null, dev: null, sys: null } });
    sb.addProcess(1);
    // The side file is read when the VFS is built: build a second one over the same bundle.
    fs.writeFileSync(
      path.join(sb.bundle, ROOTFS_META_FILE),
      JSON.stringify({ version: 1, entries: { '/opt/null': { type: 'c', major: 1, minor: 3, mode: 0o666 }, '/opt/zero': { type: 'c', major: 1, minor: 5, mode: 0o666 } } }),
    );
    const again = makeSandboxOver(sb.bundle);
    const ctx = rootCtx(again);
    expect(again.stat(ctx, undefined, '/opt/null', 0).mode).toBe(S.IFCHR | 0o666);
    const nul = again.open(ctx, undefined, '/opt/null', O.RDWR, 0);
    expect(nul.write(bytes('discarded'))).toBe(9);
    expect(nul.read(new Uint8Array(8))).toBe(0);
    const zero = new Uint8Array(4).fill(9);
    expect(again.open(ctx, undefined, '/opt/zero', O.RDONLY, 0).read(zero)).toBe(4);
    expect([...zero]).toEqual([0, 0, 0, 0]);
    expect(fs.readFileSync(path.join(sb.rootfs, 'opt/null'), 'utf8')).toBe('placeholder');
  });
});
