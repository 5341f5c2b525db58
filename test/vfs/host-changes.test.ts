// What the sandbox changes on a read-write host mount reaches that host file and nothing
// else: every change goes through an fd held beneath the mount, never a host path (a
// grep of src/vfs/host says so), a name swapped on the host for a symlink is never
// followed, and host device nodes, fifos and sockets are never changed at all.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import { hostTestHooks, type FsContext, type Vfs } from '../../src/vfs/index.js';
import { errnoOf } from '../sentry/errno-of.js';
import { buildVfs, makeBundle, rootCtx, tempDir, writeTree } from './helpers.js';

const HOST_DIR = path.join(import.meta.dirname, '..', '..', 'src', 'vfs', 'host');
const isRoot = process.getuid?.() === 0;

afterEach(() => {
  delete hostTestHooks.beforeOpen;
});

describe('src/vfs/host', () => {
  it('makes no host call by path: only fd calls of node:fs, and the native *at calls', () => {
    // Node's fs calls that take an fd; every other one takes a path the host kernel resolves.
    const fdCalls = new Set(['readSync', 'writeSync', 'ftruncateSync', 'fsyncSync', 'closeSync']);
    for (const file of fs.readdirSync(HOST_DIR)) {
      const text = fs.readFileSync(path.join(HOST_DIR, file), 'utf8');
      const calls = [...text.matchAll(/(?<![.\w])fs\.(\w+)\(/g)].map((m) => m[1] as string);
      expect(calls.filter((call) => !fdCalls.has(call)), file).toEqual([]);
      expect(text, file).not.toMatch(/\/proc\/self|node:path|from 'node:fs\/promises'|require\(/);
    }
  });
});

/** Attributes of a host file that a change through the sandbox would show in. */
function hostAttrs(file: string) {
  const st = fs.lstatSync(file, { bigint: true });
  return { mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, mtime: st.mtimeNs, atime: st.atimeNs };
}

function attemptAttributeChanges(vfs: Vfs, ctx: FsContext, target: string): number[] {
  const epoch = { sec: 1, nsec: 0 };
  return [
    errnoOf(() => vfs.chmod(ctx, undefined, target, 0o600, 0)),
    errnoOf(() => vfs.chown(ctx, undefined, target, 65534, 65534, 0)),
    errnoOf(() => vfs.utimens(ctx, undefined, target, epoch, epoch, 0)),
  ];
}

describe('a read-write bind mount', () => {
  function setup(tree: Record<string, string | null | { link: string }>) {
    const outer = tempDir('tssc-host-changes-');
    const source = path.join(outer, 'bind');
    writeTree(source, tree);
    writeTree(outer, { 'outside/secret': 'keep me', 'outside/d/f': 'keep me too' });
    const { bundle } = makeBundle({ mnt: null });
    const vfs = buildVfs(bundle, { mounts: [{ destination: '/mnt', type: 'bind', source, options: ['rbind', 'rw'] }] });
    return { outer, source, vfs, ctx: rootCtx(vfs) };
  }

  it('changes a file\'s mode, owner and times (to the nanosecond) on the host', () => {
    const { source, vfs, ctx } = setup({ f: 'data', d: null });
    vfs.chmod(ctx, undefined, '/mnt/f', 0o640, 0);
    vfs.utimens(ctx, undefined, '/mnt/f', { sec: 1000, nsec: 123456789 }, { sec: 2000, nsec: 987654321 }, 0);
    vfs.utimens(ctx, undefined, '/mnt/d', undefined, { sec: 3000, nsec: 1 }, 0);
    const st = fs.statSync(path.join(source, 'f'), { bigint: true });
    expect(st.mode & 0o7777n).toBe(0o640n);
    expect(st.atimeNs).toBe(1000_123456789n);
    expect(st.mtimeNs).toBe(2000_987654321n);
    expect(vfs.stat(ctx, undefined, '/mnt/f', 0).mtime).toEqual({ sec: 2000, nsec: 987654321 });
    expect(fs.statSync(path.join(source, 'd'), { bigint: true }).mtimeNs).toBe(3000_000000001n);
    if (isRoot) {
      vfs.chown(ctx, undefined, '/mnt/f', 4321, 8765, 0);
      expect(fs.statSync(path.join(source, 'f'))).toMatchObject({ uid: 4321, gid: 8765 });
    }
  });

  it('exchanges two names atomically (renameat2 RENAME_EXCHANGE)', () => {
    const { source, vfs, ctx } = setup({ a: 'A', b: 'B' });
    vfs.rename(ctx, undefined, '/mnt/a', undefined, '/mnt/b', 2);
    expect(fs.readFileSync(path.join(source, 'a'), 'utf8')).toBe('B');
    expect(fs.readFileSync(path.join(source, 'b'), 'utf8')).toBe('A');
    expect(fs.readdirSync(source).sort()).toEqual(['a', 'b']);
  });

  it.each(['f', 'd'])('a name (%s) swapped on the host for a symlink out of the mount is never followed', (name) => {
    const { outer, source, vfs, ctx } = setup({ f: 'data', 'd/f': 'data' });
    const outside = path.join(outer, 'outside');
    const before = [hostAttrs(path.join(outside, 'secret')), hostAttrs(outside), hostAttrs(path.join(outside, 'd'))];
    const target = name === 'f' ? path.join(outside, 'secret') : path.join(outside, 'd');
    // The sandbox looks the name up, then the host swaps it before the change is made.
    vfs.stat(ctx, undefined, `/mnt/${name}`, 0);
    let swaps = 0;
    hostTestHooks.beforeOpen = (_dirFd, opened) => {
      if (opened !== name) return;
      swaps++;
      fs.rmSync(path.join(source, name), { recursive: true, force: true });
      fs.symlinkSync(target, path.join(source, name));
    };
    const results = [
      ...attemptAttributeChanges(vfs, ctx, `/mnt/${name}`),
      errnoOf(() => vfs.truncate(ctx, undefined, `/mnt/${name}`, 0)),
      errnoOf(() => vfs.open(ctx, undefined, `/mnt/${name}/f`, O.WRONLY | O.TRUNC, 0).unref()),
    ];
    expect(swaps).toBeGreaterThan(0);
    expect(results.every((errno) => errno !== 0)).toBe(true);
    expect([hostAttrs(path.join(outside, 'secret')), hostAttrs(outside), hostAttrs(path.join(outside, 'd'))]).toEqual(before);
    expect(fs.readFileSync(path.join(outside, 'secret'), 'utf8')).toBe('keep me');
    expect(fs.readFileSync(path.join(outside, 'd', 'f'), 'utf8')).toBe('keep me too');
  });
});

describe.skipIf(!isRoot)('host device nodes, fifos and sockets', () => {
  /** A scratch copy of the null device (1, 3), so no test ever aims at the host's own /dev/null. */
  function nodes() {
    const dir = tempDir('tssc-host-nodes-');
    const made = spawnSync('sh', ['-c', 'mknod null c 1 3 && chmod 666 null && mkfifo fifo && chmod 666 fifo', 'sh'], { cwd: dir });
    expect(made.status).toBe(0);
    return dir;
  }

  it('are never changed through a bind mount of their directory or of the node itself', () => {
    const dir = nodes();
    const { bundle } = makeBundle({ 'devdir': null });
    const vfs = buildVfs(bundle, {
      mounts: [
        { destination: '/devdir', type: 'bind', source: dir, options: ['rbind', 'rw'] },
        { destination: '/null', type: 'bind', source: path.join(dir, 'null'), options: ['bind', 'rw'] },
      ],
    });
    const ctx = rootCtx(vfs);
    const before = ['null', 'fifo'].map((name) => hostAttrs(path.join(dir, name)));
    for (const target of ['/devdir/null', '/devdir/fifo', '/null']) {
      expect(attemptAttributeChanges(vfs, ctx, target), target).toEqual([E.EPERM, E.EPERM, E.EPERM]);
    }
    expect(['null', 'fifo'].map((name) => hostAttrs(path.join(dir, name)))).toEqual(before);
    // The sandbox still sees them, with the host's attributes.
    expect(vfs.stat(ctx, undefined, '/null', 0).mode).toBe(0o20666);
  });
});
