// Resolution limits (FsContext.limits, openat2's RESOLVE_* and WASI's rule) at the VFS:
// what the e2e fixture cannot show natively, such as a bind mount's lookups never being
// cached, and WASI's error for a path leaving its directory coming from the same walk.

import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import type { FsContext, ResolveLimits, Vfs } from '../../src/vfs/index.js';
import { errnoOf } from '../sentry/errno-of.js';
import { buildVfs, makeBundle, rootCtx, tempDir, writeTree } from './helpers.js';

const EXDEV: ResolveLimits['escaped'] = () => {
  throw Object.assign(new Error('escaped'), { escaped: true });
};

function setup(): { vfs: Vfs; ctx: FsContext } {
  const source = tempDir('tssc-limits-bind-');
  writeTree(source, { 'b/f': 'in bind' });
  const { bundle } = makeBundle({ 'a/f': 'root', 'a/up': { link: '../a/f' }, mnt: null });
  const vfs = buildVfs(bundle, { mounts: [{ destination: '/mnt', type: 'bind', source: path.resolve(source), options: ['rbind', 'rw'] }] });
  return { vfs, ctx: rootCtx(vfs) };
}

function openWith(vfs: Vfs, ctx: FsContext, limits: Omit<ResolveLimits, 'escaped'>, target: string, start?: string): number | undefined {
  const dir = start === undefined ? undefined : vfs.resolve(ctx, undefined, start, { follow: true });
  return errnoOf(() => vfs.open({ ...ctx, limits: { ...limits, escaped: EXDEV } }, dir, target, O.RDONLY, 0).unref());
}

describe('resolution limits', () => {
  it('RESOLVE_CACHED: memory directories answer, a bind mount (which asks the host) is EAGAIN', () => {
    const { vfs, ctx } = setup();
    expect(openWith(vfs, ctx, { cached: true }, '/a/f')).toBeUndefined();
    expect(openWith(vfs, ctx, { cached: true }, '/mnt/b/f')).toBe(E.EAGAIN);
    expect(openWith(vfs, ctx, {}, '/mnt/b/f')).toBeUndefined();
  });

  it('RESOLVE_NO_XDEV: into and out of a bind mount', () => {
    const { vfs, ctx } = setup();
    expect(openWith(vfs, ctx, { noXdev: true }, '/mnt/b/f')).toBe(E.EXDEV);
    expect(openWith(vfs, ctx, { noXdev: true }, 'b/f', '/mnt')).toBeUndefined();
    expect(openWith(vfs, ctx, { noXdev: true }, '../a/f', '/mnt')).toBe(E.EXDEV);
    expect(openWith(vfs, ctx, { noXdev: true }, '/a/up')).toBeUndefined();
  });

  it('beneath: the caller\'s escaped() decides the error (WASI\'s ENOTCAPABLE, openat2\'s EXDEV)', () => {
    const { vfs, ctx } = setup();
    expect(() => openWith(vfs, ctx, { beneath: true }, 'up', '/a')).toThrow('escaped');
    expect(openWith(vfs, ctx, { beneath: true }, 'f', '/a')).toBeUndefined();
  });
});
