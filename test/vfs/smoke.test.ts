import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { buildVfs, errnoOf, listDir, makeBundle, readAll, rootCtx, writeFile } from './helpers.js';

describe('smoke', () => {
  it('reads the rootfs through the overlay and writes only to memory', () => {
    const { bundle, rootfs } = makeBundle({ 'etc/hostname': 'box\n', 'bin/sh': '#!', 'lib': null, 'usr/lib/x': 'x', 'l': { link: '/usr/lib' } });
    const vfs = buildVfs(bundle);
    const ctx = rootCtx(vfs);
    expect(readAll(vfs, ctx, '/etc/hostname')).toBe('box\n');
    expect(readAll(vfs, ctx, '/l/x')).toBe('x');
    writeFile(vfs, ctx, '/etc/hostname', 'changed');
    expect(readAll(vfs, ctx, '/etc/hostname')).toBe('changed');
    expect(fs.readFileSync(path.join(rootfs, 'etc/hostname'), 'utf8')).toBe('box\n');
    vfs.unlink(ctx, undefined, '/bin/sh', 0);
    expect(errnoOf(() => vfs.stat(ctx, undefined, '/bin/sh', 0))).toBe(E.ENOENT);
    expect(fs.existsSync(path.join(rootfs, 'bin/sh'))).toBe(true);
    expect(listDir(vfs, ctx, '/').sort()).toEqual(['.', '..', 'bin', 'etc', 'l', 'lib', 'usr']);
  });
});
