// The sandbox's memory account (linux.resources.memory.limit) as the memory filesystems and
// the sentry's buffers charge it: a tmpfs or overlay write past the limit fails with ENOSPC
// as a full tmpfs does, names and attributes count too, and what is freed comes back.

import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import { MemoryAccount, memoryAsSeen } from '../../src/accounting/memory-account.js';
import { Pipe } from '../../src/sentry/kernel/files/pipe.js';
import { PAGE_SIZE } from '../../src/vfs/memfs/pages.js';
import { buildVfs, errnoOf, listDir, makeBundle, readAll, rootCtx, writeFile } from './helpers.js';

const MiB = 1 << 20;

function setup(limit: number) {
  const account = new MemoryAccount(limit);
  const { bundle } = makeBundle({ 'etc/motd': 'hello world', 'tmp': null, 'data/keep': 'lower' });
  const vfs = buildVfs(bundle, { mounts: [{ destination: '/tmp', type: 'tmpfs', source: 'tmpfs' }] }, { account });
  return { vfs, ctx: rootCtx(vfs), account };
}

describe('the memory account', () => {
  it('stops a tmpfs writer short of the limit with a short write, then ENOSPC; unlink gives the pages back', () => {
    const { vfs, ctx, account } = setup(MiB);
    const file = vfs.open(ctx, undefined, '/tmp/fill', O.CREAT | O.WRONLY, 0o644);
    const chunk = Buffer.alloc(256 * 1024, 1);
    let written = 0;
    for (;;) {
      const n = file.write(chunk);
      written += n;
      if (n < chunk.length) break;
    }
    expect(errnoOf(() => file.write(chunk))).toBe(E.ENOSPC);
    file.unref();
    // An eighth of the limit stays for the tasks to go on with.
    expect(written).toBeGreaterThan((MiB * 7) / 8 - 16 * PAGE_SIZE);
    expect(written).toBeLessThanOrEqual((MiB * 7) / 8);
    expect(account.usage).toBeLessThanOrEqual((MiB * 7) / 8);
    vfs.unlink(ctx, undefined, '/tmp/fill', 0);
    expect(account.charged).toBe(0);
  });

  it('counts the overlay root\'s copies and new files against the same limit', () => {
    const { vfs, ctx, account } = setup(MiB);
    writeFile(vfs, ctx, '/tmp/half', 'x'.repeat(MiB / 2));
    expect(errnoOf(() => writeFile(vfs, ctx, '/big', 'y'.repeat(MiB)))).toBe(0);
    // The write above was short: what did not fit is not there.
    expect(readAll(vfs, ctx, '/big').length).toBeLessThan(MiB / 2);
    // A change to a lower file needs its copy in memory first: no room, no change.
    expect(errnoOf(() => writeFile(vfs, ctx, '/etc/motd', ' changed', O.WRONLY | O.APPEND))).toBe(E.ENOSPC);
    expect(readAll(vfs, ctx, '/etc/motd')).toBe('hello world');
    expect(account.usage).toBeLessThanOrEqual(MiB);
    vfs.unlink(ctx, undefined, '/big', 0);
    writeFile(vfs, ctx, '/etc/motd', ' changed', O.WRONLY | O.APPEND);
    expect(readAll(vfs, ctx, '/etc/motd')).toBe('hello world changed');
  });

  it('charges a tmpfs mounted inside the sandbox to the same account as the spec\'s', () => {
    const { vfs, ctx, account } = setup(MiB);
    writeFile(vfs, ctx, '/tmp/half', 'x'.repeat(MiB / 2));
    vfs.mountNew(ctx, vfs.resolve(ctx, undefined, '/data', { follow: true }), 'tmpfs', 'inside', 0, 'size=1g');
    // Its own size= is far above the limit: the account stops it first.
    writeFile(vfs, ctx, '/data/more', 'y'.repeat(MiB / 2));
    const more = readAll(vfs, ctx, '/data/more').length;
    expect(more).toBeGreaterThan(0);
    expect(more).toBeLessThan(MiB / 2);
    expect(account.usage).toBeLessThanOrEqual(MiB);
    expect(errnoOf(() => writeFile(vfs, ctx, '/data/again', 'z'.repeat(PAGE_SIZE)))).toBe(E.ENOSPC);
    vfs.unlink(ctx, undefined, '/data/more', 0);
    vfs.unlink(ctx, undefined, '/tmp/half', 0);
    expect(account.charged).toBeLessThan(16 * 1024);
  });

  it('charges names, symlinks and extended attributes, and gives them back when they go', () => {
    const { vfs, ctx, account } = setup(64 * 1024);
    let created = 0;
    while (errnoOf(() => vfs.mknod(ctx, undefined, `/tmp/f${created}`, 0o100644, 0)) === 0) created++;
    expect(errnoOf(() => vfs.mkdir(ctx, undefined, '/tmp/d', 0o755))).toBe(E.ENOSPC);
    expect(errnoOf(() => vfs.symlink(ctx, 'target', undefined, '/tmp/l'))).toBe(E.ENOSPC);
    expect(created).toBeGreaterThan(30);
    expect(created).toBeLessThanOrEqual(64);
    for (let i = 0; i < created; i++) vfs.unlink(ctx, undefined, `/tmp/f${i}`, 0);
    expect(account.charged).toBe(0);
    writeFile(vfs, ctx, '/tmp/x', '');
    expect(errnoOf(() => vfs.setxattr(ctx, undefined, '/tmp/x', 'user.big', new Uint8Array(65536), 0, 0))).toBe(E.ENOSPC);
    vfs.setxattr(ctx, undefined, '/tmp/x', 'user.small', new Uint8Array(1000), 0, 0);
    const withAttribute = account.charged;
    vfs.removexattr(ctx, undefined, '/tmp/x', 'user.small', 0);
    expect(account.charged).toBe(withAttribute - 1010);
    vfs.setxattr(ctx, undefined, '/tmp/x', 'user.small', new Uint8Array(1000), 0, 0);
    vfs.unlink(ctx, undefined, '/tmp/x', 0);
    expect(account.charged).toBe(0);
  });

  it('keeps names created and removed in a lower directory from growing anything, and whiteouts right', () => {
    const { vfs, ctx, account } = setup(MiB);
    for (let i = 0; i < 2000; i++) {
      writeFile(vfs, ctx, `/data/tmp${i}`, '');
      vfs.unlink(ctx, undefined, `/data/tmp${i}`, 0);
      expect(errnoOf(() => vfs.stat(ctx, undefined, `/data/missing${i}`, 0))).toBe(E.ENOENT);
    }
    expect(account.charged).toBe(0);
    vfs.unlink(ctx, undefined, '/data/keep', 0);
    writeFile(vfs, ctx, '/data/keep', 'new');
    expect(readAll(vfs, ctx, '/data/keep')).toBe('new');
    vfs.rename(ctx, undefined, '/data/keep', undefined, '/data/moved', 0);
    expect(listDir(vfs, ctx, '/data')).toEqual(['.', '..', 'moved']);
    vfs.unlink(ctx, undefined, '/data/moved', 0);
    expect(listDir(vfs, ctx, '/data')).toEqual(['.', '..']);
    expect(account.charged).toBe(0);
  });

  it('fails a pipe write that the limit cannot hold with ENOMEM and frees what the pipe held when it closes', () => {
    const account = new MemoryAccount(8192);
    const pipe = new Pipe({ uid: 0, gid: 0, groups: [], caps: 0n }, account.buffers);
    const reader = pipe.open(O.RDONLY);
    const writer = pipe.open(O.WRONLY);
    expect(writer.write!(Buffer.alloc(6000), -1, O.WRONLY)).toBe(6000);
    expect(errnoOf(() => writer.write!(Buffer.alloc(4000), -1, O.WRONLY))).toBe(E.ENOMEM);
    expect(reader.read!(Buffer.alloc(1000), -1, O.RDONLY)).toBe(1000);
    expect(account.charged).toBe(5000);
    expect(writer.write!(Buffer.alloc(3000), -1, O.WRONLY)).toBe(3000);
    reader.release!();
    writer.release!();
    expect(account.charged).toBe(0);
  });

  it('takes a buffer past the tasks\' memory after asking for room, as a memory cgroup takes kernel memory', () => {
    const account = new MemoryAccount(64 * MiB);
    const asked: boolean[] = [];
    account.pressure = (reclaim) => {
      asked.push(reclaim);
      if (reclaim) account.tasksBytes = 0;
    };
    account.tasksBytes = 64 * MiB;
    expect(account.tryCharge(PAGE_SIZE)).toBe(false);
    expect(account.buffers.tryCharge(PAGE_SIZE)).toBe(true);
    expect(asked).toEqual([false, true]);
    expect(account.buffers.tryCharge(64 * MiB)).toBe(false);
  });

  it('shows the limit as the memory the sandbox has, and what is left of it as free', () => {
    const account = new MemoryAccount(64 * MiB);
    expect(account.tryCharge(16 * MiB)).toBe(true);
    account.tasksBytes = 8 * MiB;
    expect(memoryAsSeen(account)).toEqual({ totalBytes: 64 * MiB, freeBytes: 40 * MiB });
    expect(account.tryCharge(41 * MiB)).toBe(false);
    expect(account.usage).toBe(24 * MiB);
  });
});
