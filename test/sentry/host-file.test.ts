import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import { S } from '../../src/abi/linux-stat.js';
import { openHostStdio } from '../../src/sentry/kernel/files/host-file.js';
import { fileSyscalls as f } from '../../src/syscalls/linux/fs.js';
import { pollSyscalls } from '../../src/syscalls/linux/poll.js';
import { statSyscalls } from '../../src/syscalls/linux/stat.js';
import { ioctlSyscalls } from '../../src/syscalls/linux/ioctl.js';
import { IOCTL } from '../../src/abi/linux-ioctl.js';
import { call, fakeTask, makeVfs } from '../syscalls/linux/harness.js';

const opened: number[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const fd of opened.splice(0)) fs.closeSync(fd);
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-host-'));
  dirs.push(dir);
  return dir;
}

/** Both ends of a fresh host fifo, closed after the test; the write end is pushed last so a test can close it early with opened.pop(). */
function hostFifo(): { readFd: number; writeFd: number } {
  const fifo = path.join(scratch(), 'fifo');
  execFileSync('mkfifo', [fifo]);
  const readFd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  const writeFd = fs.openSync(fifo, fs.constants.O_WRONLY);
  opened.push(readFd, writeFd);
  return { readFd, writeFd };
}

describe('host stdio files', () => {
  it('stdout and stderr over one host file write at the host offset, in order', async () => {
    const out = path.join(scratch(), 'out');
    const hostFd = fs.openSync(out, 'w');
    opened.push(hostFd);
    const { vfs } = makeVfs();
    const t = fakeTask(vfs);
    t.fds.installAt(1, openHostStdio(vfs, t.fs, hostFd, O.WRONLY));
    t.fds.installAt(2, openHostStdio(vfs, t.fs, hostFd, O.WRONLY));
    expect(await call(t, f.write, 1, t.mem.cstring('one '), 4)).toBe(4);
    expect(await call(t, f.write, 2, t.mem.cstring('two '), 4)).toBe(4);
    expect(await call(t, f.write, 1, t.mem.cstring('three'), 5)).toBe(5);
    expect(fs.readFileSync(out, 'utf8')).toBe('one two three');
    const st = t.mem.alloc(144);
    expect(await call(t, statSyscalls.fstat, 1, st)).toBe(0);
    expect(t.mem.read(st + 24n, 4).readUInt32LE() & S.IFMT).toBe(S.IFREG);
    expect(await call(t, ioctlSyscalls.ioctl, 1, IOCTL.TCGETS, t.mem.alloc(64))).toBe(-E.ENOTTY);
    expect(await call(t, f.lseek, 1, 0, 0)).toBe(-E.ESPIPE);
  });

  it('stdin from a host pipe: EAGAIN-free blocking read, then EOF', async () => {
    const { readFd, writeFd } = hostFifo();
    const { vfs } = makeVfs();
    const t = fakeTask(vfs);
    t.fds.installAt(0, openHostStdio(vfs, t.fs, readFd, O.RDONLY));
    const st = t.mem.alloc(144);
    await call(t, statSyscalls.fstat, 0, st);
    expect(t.mem.read(st + 24n, 4).readUInt32LE() & S.IFMT).toBe(S.IFIFO);
    const buf = t.mem.alloc(64);
    const pending = call(t, f.read, 0, buf, 64);
    setTimeout(() => fs.writeSync(writeFd, 'typed\n'), 10);
    expect(await pending).toBe(6);
    expect(t.mem.read(buf, 6).toString()).toBe('typed\n');
    fs.closeSync(opened.pop()!);
    expect(await call(t, f.read, 0, buf, 64)).toBe(0);
  });

  it('stdin from a host pipe takes no more than the workload reads', async () => {
    const { readFd, writeFd } = hostFifo();
    fs.writeSync(writeFd, 'a\nrest\n');
    const { vfs } = makeVfs();
    const t = fakeTask(vfs);
    t.fds.installAt(0, openHostStdio(vfs, t.fs, readFd, O.RDONLY));
    const buf = t.mem.alloc(2);
    // busybox's `read` polls before each byte it reads.
    const pollfd = Buffer.alloc(8);
    pollfd.writeUInt16LE(1, 4);
    expect(await call(t, pollSyscalls.poll, t.mem.put(pollfd), 1, -1)).toBe(1);
    expect(await call(t, f.read, 0, buf, 2)).toBe(2);
    expect(t.mem.read(buf, 2).toString()).toBe('a\n');
    const left = Buffer.alloc(16);
    expect(left.toString('utf8', 0, fs.readSync(readFd, left))).toBe('rest\n');
  });

  it('stdin from a regular file reads it through', async () => {
    const input = path.join(scratch(), 'in');
    fs.writeFileSync(input, 'abc');
    const hostFd = fs.openSync(input, 'r');
    opened.push(hostFd);
    const { vfs } = makeVfs();
    const t = fakeTask(vfs);
    t.fds.installAt(0, openHostStdio(vfs, t.fs, hostFd, O.RDONLY));
    const buf = t.mem.alloc(8);
    expect(await call(t, f.read, 0, buf, 8)).toBe(3);
    expect(await call(t, f.read, 0, buf, 8)).toBe(0);
    expect(await call(t, f.write, 0, buf, 1)).toBe(-E.EBADF);
  });
});

describe('host stdout pipes', () => {
  it('a full pipe makes the writer wait without blocking the event loop', async () => {
    const { readFd, writeFd } = hostFifo();
    const { vfs } = makeVfs();
    const t = fakeTask(vfs);
    t.fds.installAt(1, openHostStdio(vfs, t.fs, writeFd, O.WRONLY));
    const size = 200_000;
    const data = t.mem.put(Buffer.alloc(size, 0x61));
    const writing = call(t, f.write, 1, data, size);
    // This loop only runs if the write left the event loop free.
    let received = 0;
    const chunk = Buffer.alloc(65536);
    while (received < size) {
      await new Promise((resolve) => setTimeout(resolve, 2));
      try {
        received += fs.readSync(readFd, chunk);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      }
    }
    expect(await writing).toBe(size);
    expect(received).toBe(size);
  });
});
