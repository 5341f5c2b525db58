// Escape attempts against a host directory with a marker file outside the sandbox: no
// path, symlink or race may read the marker or change anything outside the rootfs.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, afterEach } from 'vitest';
import { isSysError } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import { hostTestHooks, type FsContext, type Vfs } from '../../src/vfs/index.js';
import { buildVfs, rootCtx, tempDir, writeTree } from './helpers.js';
import { snapshotHost } from './property-ops.js';

const SECRET = 'SECRET-MARKER-CONTENT';

interface Fixture {
  outer: string;
  marker: string;
  bundle: string;
  rootfs: string;
  bindSource: string;
}

function fixture(): Fixture {
  const outer = tempDir('tssc-escape-');
  const marker = path.join(outer, 'marker');
  fs.writeFileSync(marker, SECRET);
  const bundle = path.join(outer, 'bundle');
  const rootfs = path.join(bundle, 'rootfs');
  const bindSource = path.join(outer, 'bind-src');
  writeTree(rootfs, {
    'etc/passwd': 'root:x:0:0::/root:/bin/sh\n',
    'a/f': 'inside',
    'abs-marker': { link: marker },
    'abs-outer': { link: outer },
    'rel-marker': { link: '../../marker' },
    'rel-up': { link: '../..' },
    'deep/er/rel': { link: '../../../../../../marker' },
    'loop1': { link: 'loop2' },
    'loop2': { link: 'loop1' },
    'self': { link: 'self' },
    'proc-root': { link: '/proc/self/root' + marker },
    'proc-cwd': { link: '/proc/self/cwd/../marker' },
    'fd-trick': { link: '/proc/self/fd/3/marker' },
    'dotdot-dir': { link: '..' },
  });
  writeTree(bindSource, { 'inbind': 'bound', 'out': { link: '../marker' }, 'abs': { link: marker } });
  return { outer, marker, bundle, rootfs, bindSource };
}

const READ_ATTEMPTS = [
  '/../../marker',
  '../../../../../../marker',
  '/a/../../../marker',
  '/abs-marker',
  '/abs-outer/marker',
  '/rel-marker',
  '/rel-up/marker',
  '/rel-up/rel-up/rel-up/marker',
  '/deep/er/rel',
  '/loop1',
  '/self',
  '/proc-root',
  '/proc-cwd',
  '/fd-trick',
  '/dotdot-dir/dotdot-dir/marker',
  '/mnt/out',
  '/mnt/abs',
  '/mnt/../../marker',
  '/mnt/../rel-marker',
];

function attemptRead(vfs: Vfs, ctx: FsContext, target: string): string {
  try {
    const fd = vfs.open(ctx, undefined, target, O.RDONLY, 0);
    const buf = Buffer.alloc(256);
    const n = fd.read(buf);
    fd.unref();
    return buf.subarray(0, n).toString('latin1');
  } catch (error) {
    if (isSysError(error)) return `errno ${error.errno}`;
    throw error;
  }
}

function attemptWrites(vfs: Vfs, ctx: FsContext): void {
  const tries: (() => void)[] = [
    () => vfs.open(ctx, undefined, '/abs-marker', O.WRONLY | O.TRUNC, 0).unref(),
    () => vfs.open(ctx, undefined, '/rel-marker', O.WRONLY | O.CREAT, 0o644).unref(),
    () => vfs.open(ctx, undefined, '/abs-outer/new', O.WRONLY | O.CREAT, 0o644).unref(),
    () => vfs.mkdir(ctx, undefined, '/rel-up/newdir', 0o755),
    () => vfs.symlink(ctx, '/x', undefined, '/abs-outer/newlink'),
    () => vfs.unlink(ctx, undefined, '/abs-outer/marker', 0),
    () => vfs.unlink(ctx, undefined, '/../../marker', 0),
    () => vfs.rename(ctx, undefined, '/etc/passwd', undefined, '/../../marker', 0),
    () => vfs.chmod(ctx, undefined, '/abs-marker', 0o777, 0),
    () => vfs.chmod(ctx, undefined, '/rel-up', 0o777, 0),
    () => vfs.truncate(ctx, undefined, '/rel-marker', 0),
    () => vfs.link(ctx, undefined, '/abs-marker', undefined, '/hard', 0),
    () => vfs.utimens(ctx, undefined, '/abs-outer', { sec: 0, nsec: 0 }, { sec: 0, nsec: 0 }, 0),
    () => vfs.open(ctx, undefined, '/mnt/out', O.WRONLY | O.TRUNC, 0).unref(),
    () => vfs.unlink(ctx, undefined, '/mnt/../../marker', 0),
  ];
  for (const attempt of tries) {
    try {
      attempt();
    } catch (error) {
      if (!isSysError(error)) throw error;
    }
  }
}

const VARIANTS = [
  { name: 'memory overlay', root: { readonly: false }, overlay: 'memory' as const },
  { name: 'write-through', root: { readonly: false }, overlay: 'none' as const },
  { name: 'read-only root', root: { readonly: true }, overlay: 'memory' as const },
];

afterEach(() => {
  delete hostTestHooks.beforeOpen;
});

describe.each(VARIANTS)('escape attempts ($name)', ({ root, overlay }) => {
  function setup() {
    const f = fixture();
    fs.mkdirSync(path.join(f.rootfs, 'mnt'));
    const vfs = buildVfs(f.bundle, { root: { path: 'rootfs', ...root }, mounts: [{ destination: '/mnt', type: 'bind', source: f.bindSource, options: ['rbind', 'rw'] }] }, { overlay });
    return { f, vfs, ctx: rootCtx(vfs) };
  }

  it.each(READ_ATTEMPTS)('reading %s never reaches the marker', (target) => {
    const { vfs, ctx } = setup();
    expect(attemptRead(vfs, ctx, target)).not.toContain(SECRET);
  });

  it('symlink loops give ELOOP', () => {
    const { vfs, ctx } = setup();
    expect(attemptRead(vfs, ctx, '/loop1')).toBe('errno 40');
    expect(attemptRead(vfs, ctx, '/self')).toBe('errno 40');
  });

  it('absolute links resolve inside the sandbox', () => {
    const { vfs, ctx } = setup();
    expect(attemptRead(vfs, ctx, '/rel-up/etc/passwd')).toContain('root:x:0:0');
    expect(attemptRead(vfs, ctx, '/mnt/inbind')).toBe('bound');
  });

  it('writes through hostile links leave everything outside the rootfs unchanged', () => {
    const { f, vfs, ctx } = setup();
    const outsideBefore = snapshotHost(f.outer).filter((line) => !line.startsWith('/bundle'));
    attemptWrites(vfs, ctx);
    const outsideAfter = snapshotHost(f.outer).filter((line) => !line.startsWith('/bundle') && !line.startsWith('/bind-src'));
    expect(outsideAfter).toEqual(outsideBefore.filter((line) => !line.startsWith('/bind-src')));
    expect(fs.readFileSync(f.marker, 'utf8')).toBe(SECRET);
  });

  it('a directory swapped for a symlink between lookup and open is not followed', () => {
    const { f, vfs, ctx } = setup();
    let swapped = false;
    hostTestHooks.beforeOpen = (_dirFd, name) => {
      if (name !== 'a' || swapped) return;
      swapped = true;
      fs.renameSync(path.join(f.rootfs, 'a'), path.join(f.rootfs, 'a-old'));
      fs.symlinkSync(f.outer, path.join(f.rootfs, 'a'));
    };
    // "marker" lives in the outer directory the symlink points to.
    const got = attemptRead(vfs, ctx, '/a/marker');
    expect(swapped).toBe(true);
    expect(got).not.toContain(SECRET);
  });

  it('a file swapped for a symlink between lookup and open is not followed', () => {
    const { f, vfs, ctx } = setup();
    let swapped = false;
    hostTestHooks.beforeOpen = (_dirFd, name) => {
      if (name !== 'f' || swapped) return;
      swapped = true;
      fs.renameSync(path.join(f.rootfs, 'a/f'), path.join(f.rootfs, 'a/f-old'));
      fs.symlinkSync(f.marker, path.join(f.rootfs, 'a/f'));
    };
    const got = attemptRead(vfs, ctx, '/a/f');
    expect(swapped).toBe(true);
    expect(got).not.toContain(SECRET);
  });

  it('a bind-mounted file swapped for a symlink is not followed', () => {
    const { f, vfs, ctx } = setup();
    let swapped = false;
    hostTestHooks.beforeOpen = (_dirFd, name) => {
      if (name !== 'inbind' || swapped) return;
      swapped = true;
      fs.unlinkSync(path.join(f.bindSource, 'inbind'));
      fs.symlinkSync(f.marker, path.join(f.bindSource, 'inbind'));
    };
    const got = attemptRead(vfs, ctx, '/mnt/inbind');
    expect(swapped).toBe(true);
    expect(got).not.toContain(SECRET);
  });
});
