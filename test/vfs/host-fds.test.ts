// Host directory fds stay bounded on large trees, and a directory renamed through the
// sandbox is still found after its fd was closed.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildVfs, listDir, makeBundle, readAll, rootCtx } from './helpers.js';

const DIRS = 700;

function bigTree() {
  const { bundle, rootfs } = makeBundle();
  for (let i = 0; i < DIRS; i++) {
    fs.mkdirSync(path.join(rootfs, `d${i}`));
    fs.writeFileSync(path.join(rootfs, `d${i}`, 'f'), `file ${i}`);
  }
  return { bundle, rootfs };
}

const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe.each(['memory', 'none'] as const)('host directory fds (overlay %s)', (overlay) => {
  it('stay bounded while every directory of a large tree is read', () => {
    const { bundle } = bigTree();
    const before = openFds();
    const vfs = buildVfs(bundle, {}, { overlay });
    const ctx = rootCtx(vfs);
    for (let i = 0; i < DIRS; i++) {
      expect(listDir(vfs, ctx, `/d${i}`)).toEqual(['.', '..', 'f']);
      expect(readAll(vfs, ctx, `/d${i}/f`)).toBe(`file ${i}`);
    }
    // Unbounded, this would be one fd per directory and per file read (1400).
    expect(openFds() - before).toBeLessThanOrEqual(512 + 128 + 1);
    for (let i = 0; i < DIRS; i += 97) expect(readAll(vfs, ctx, `/d${i}/f`)).toBe(`file ${i}`);
  });

  it('finds a renamed directory again after its fd was recycled', () => {
    const { bundle } = bigTree();
    const vfs = buildVfs(bundle, {}, { overlay });
    const ctx = rootCtx(vfs);
    const cwd = vfs.resolve(ctx, undefined, '/d0', { follow: true });
    expect(readAll(vfs, ctx, '/d0/f')).toBe('file 0');
    vfs.rename(ctx, undefined, '/d0', undefined, '/moved', 0);
    for (let i = 1; i < DIRS; i++) listDir(vfs, ctx, `/d${i}`);
    expect(readAll(vfs, { ...ctx, cwd }, 'f')).toBe('file 0');
    expect(readAll(vfs, ctx, '/moved/f')).toBe('file 0');
  });
});
