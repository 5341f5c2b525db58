// The host file behind a file's contents, which the sentry maps shared into a workload:
// a memory file (tmpfs, the overlay's upper layer) moves into a host memory file and from
// then on the VFS and that host file see each other's changes; a lower file nobody changed
// gives its read-only host file; a bind mount gives its own host fd, opened as the
// description is. The memory file factory here is an unlinked scratch file.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import type { FileDescription, MemoryFileFactory } from '../../src/vfs/api.js';
import { buildVfs, errnoOf, makeBundle, readAll, rootCtx, tempDir, writeFile } from './helpers.js';

/** Scratch host files standing in for memfds; counts how many were made. */
function scratchMemoryFiles(): { create: MemoryFileFactory; made: () => number } {
  const dir = tempDir('tssc-memfd-');
  let count = 0;
  return {
    create: () => {
      const file = path.join(dir, `memory-${count++}`);
      const fd = fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      fs.unlinkSync(file);
      return fd;
    },
    made: () => count,
  };
}

function hostRead(fd: number, position: number, length: number): string {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n).toString('latin1');
}

describe('sharedHostFile of memory files', () => {
  function setup(spec = {}) {
    const { bundle } = makeBundle({ 'etc/lower.txt': 'lower contents\n' });
    const vfs = buildVfs(bundle, spec);
    return { vfs, ctx: rootCtx(vfs) };
  }

  it('moves an upper-layer file into one host memory file that read, write, truncate and stat use', () => {
    const { vfs, ctx } = setup();
    const memory = scratchMemoryFiles();
    writeFile(vfs, ctx, '/data.txt', 'hello world');
    const file = vfs.open(ctx, undefined, '/data.txt', O.RDWR, 0);
    const fd = file.sharedHostFile(memory.create);
    expect(hostRead(fd, 0, 64)).toBe('hello world');
    // What the host file gets (a mapping's writes) the VFS reads at once, and back.
    fs.writeSync(fd, Buffer.from('HELLO'), 0, 5, 0);
    expect(readAll(vfs, ctx, '/data.txt')).toBe('HELLO world');
    file.write(Buffer.from('!!'), 11);
    expect(hostRead(fd, 0, 64)).toBe('HELLO world!!');
    expect(file.stat().size).toBe(13);
    file.truncate(5);
    expect(fs.fstatSync(fd).size).toBe(5);
    expect(readAll(vfs, ctx, '/data.txt')).toBe('HELLO');
    // A second description (another process opening the file) gets the same host file.
    const again = vfs.open(ctx, undefined, '/data.txt', O.RDWR, 0);
    expect(again.sharedHostFile(memory.create)).toBe(fd);
    expect(memory.made()).toBe(1);
    again.unref();
    file.unref();
    expect(readAll(vfs, ctx, '/data.txt')).toBe('HELLO');
  });

  it('gives a read-only description a read-only host fd', () => {
    const { vfs, ctx } = setup();
    const memory = scratchMemoryFiles();
    writeFile(vfs, ctx, '/data.txt', 'contents');
    const file = vfs.open(ctx, undefined, '/data.txt', O.RDONLY, 0);
    const fd = file.sharedHostFile(memory.create);
    expect(hostRead(fd, 0, 8)).toBe('contents');
    expect(() => fs.writeSync(fd, 'x', 0)).toThrow(/EBADF/);
    file.unref();
  });

  it('gives a lower file nobody changed its read-only host file, and copies it up for writing', () => {
    const { vfs, ctx } = setup();
    const memory = scratchMemoryFiles();
    const reader = vfs.open(ctx, undefined, '/etc/lower.txt', O.RDONLY, 0);
    const lowerFd = reader.sharedHostFile(memory.create);
    expect(hostRead(lowerFd, 0, 64)).toBe('lower contents\n');
    expect(() => fs.writeSync(lowerFd, 'x', 0)).toThrow(/EBADF/);
    expect(memory.made()).toBe(0);
    const writer = vfs.open(ctx, undefined, '/etc/lower.txt', O.RDWR, 0);
    const fd = writer.sharedHostFile(memory.create);
    expect(memory.made()).toBe(1);
    fs.writeSync(fd, Buffer.from('LOWER'), 0, 5, 0);
    expect(readAll(vfs, ctx, '/etc/lower.txt')).toBe('LOWER contents\n');
    reader.unref();
    writer.unref();
  });

  it('keeps a tmpfs size= limit: the host memory file cannot grow past it', () => {
    const { vfs, ctx } = setup({ mounts: [{ destination: '/small', type: 'tmpfs', source: 'tmpfs', options: ['size=16k'] }] });
    const memory = scratchMemoryFiles();
    writeFile(vfs, ctx, '/small/f', 'x'.repeat(4096));
    const file = vfs.open(ctx, undefined, '/small/f', O.RDWR, 0);
    file.sharedHostFile(memory.create);
    expect(errnoOf(() => file.truncate(64 * 1024))).toBe(E.ENOSPC);
    file.truncate(16 * 1024);
    expect(file.stat().size).toBe(16 * 1024);
    expect(errnoOf(() => file.write(Buffer.from('y'), 16 * 1024))).toBe(E.ENOSPC);
    file.unref();
  });

  it('refuses files with no host file behind them and descriptions not open for reading', () => {
    const { vfs, ctx } = setup();
    const memory = scratchMemoryFiles();
    writeFile(vfs, ctx, '/w.txt', 'w');
    const writeOnly = vfs.open(ctx, undefined, '/w.txt', O.WRONLY, 0);
    expect(errnoOf(() => writeOnly.sharedHostFile(memory.create))).toBe(E.EACCES);
    writeOnly.unref();
    const dir = vfs.open(ctx, undefined, '/etc', O.RDONLY | O.DIRECTORY, 0);
    expect(errnoOf(() => dir.sharedHostFile(memory.create))).toBe(E.ENODEV);
    dir.unref();
    expect(memory.made()).toBe(0);
  });
});

describe('sharedHostFile of bind-mounted host files', () => {
  it('is the host file itself, opened as the description is', () => {
    const { bundle } = makeBundle({ mnt: null });
    const shared = tempDir('tssc-bind-');
    fs.writeFileSync(path.join(shared, 'f.txt'), 'on the host');
    const vfs = buildVfs(bundle, { mounts: [{ destination: '/mnt', type: 'bind', source: shared, options: ['rbind', 'rw'] }] });
    const ctx = rootCtx(vfs);
    const memory = scratchMemoryFiles();
    const file: FileDescription = vfs.open(ctx, undefined, '/mnt/f.txt', O.RDWR, 0);
    const fd = file.sharedHostFile(memory.create);
    fs.writeSync(fd, Buffer.from('ON'), 0, 2, 0);
    expect(fs.readFileSync(path.join(shared, 'f.txt'), 'utf8')).toBe('ON the host');
    expect(memory.made()).toBe(0);
    file.unref();
    const reader = vfs.open(ctx, undefined, '/mnt/f.txt', O.RDONLY, 0);
    expect(() => fs.writeSync(reader.sharedHostFile(memory.create), 'x', 0)).toThrow(/EBADF/);
    reader.unref();
  });
});
