// A host tree that spans host filesystems (a rootfs or bind source with mounts below it,
// here the host's own /): inode numbers repeat across them, and the sandbox must still
// see distinct files and reach the mounts its spec puts there.

import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { O } from '../../src/abi/linux-fcntl.js';
import { buildVfs, listDir, readAll, rootCtx, tempDir } from './helpers.js';

describe('a host root spanning host filesystems', () => {
  const bundle = tempDir('tssc-bundle-');
  // procfs and sysfs both number their root directory 1 on the host.
  const hostProc = fs.statSync('/proc');
  const hostSys = fs.statSync('/sys');

  it('shows /proc and /sys of the host as two directories, not one', () => {
    expect(hostProc.ino).toBe(hostSys.ino);
    const vfs = buildVfs(bundle, { root: { path: '/', readonly: true } });
    const ctx = rootCtx(vfs);
    const proc = vfs.stat(ctx, undefined, '/proc', 0);
    const sys = vfs.stat(ctx, undefined, '/sys', 0);
    expect(proc.ino).not.toBe(sys.ino);
    expect(listDir(vfs, ctx, '/sys').includes('kernel')).toBe(true);
  });

  it('mounts the spec puts on such directories are where they belong', () => {
    const vfs = buildVfs(bundle, {
      root: { path: '/', readonly: true },
      mounts: [
        { destination: '/proc', type: 'tmpfs', source: 'tmpfs' },
        { destination: '/sys', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] },
      ],
    });
    const ctx = rootCtx(vfs);
    const procMount = vfs.open(ctx, undefined, '/proc/here', O.CREAT | O.WRONLY, 0o644);
    procMount.unref();
    expect(listDir(vfs, ctx, '/proc')).toContain('here');
    expect(listDir(vfs, ctx, '/sys')).not.toContain('here');
    expect(readAll(vfs, ctx, '/proc/here')).toBe('');
  });
});
