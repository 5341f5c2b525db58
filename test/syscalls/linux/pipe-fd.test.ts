import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { F, FD_CLOEXEC, LOCK, O } from '../../../src/abi/linux-fcntl.js';
import { IOCTL } from '../../../src/abi/linux-ioctl.js';
import { fileSyscalls as f } from '../../../src/syscalls/linux/fs.js';
import { ioctlSyscalls } from '../../../src/syscalls/linux/ioctl.js';
import { dirSyscalls } from '../../../src/syscalls/linux/dir.js';
import { fdSyscalls as d } from '../../../src/syscalls/linux/fd.js';
import { pipeSyscalls as p } from '../../../src/syscalls/linux/pipe.js';
import { call, fakeTask, makeVfs, type FakeTask } from './harness.js';

const mknod = dirSyscalls.mknod;

async function makePipe(t: FakeTask, flags = 0): Promise<[number, number]> {
  const fds = t.mem.alloc(8);
  expect(await call(t, p.pipe2, fds, flags)).toBe(0);
  const b = t.mem.read(fds, 8);
  return [b.readInt32LE(0), b.readInt32LE(4)];
}

const SIGPIPE = 13;

describe('pipes', () => {
  it('carry bytes from the write end to the read end, then EOF', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    expect([r, w]).toEqual([0, 1]);
    expect(await call(t, f.write, w, t.mem.cstring('hello'), 5)).toBe(5);
    const buf = t.mem.alloc(16);
    expect(await call(t, f.read, r, buf, 16)).toBe(5);
    expect(t.mem.read(buf, 5).toString()).toBe('hello');
    expect(await call(t, f.close, w)).toBe(0);
    expect(await call(t, f.read, r, buf, 16)).toBe(0);
  });

  it('blocks a reader until a writer writes', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    const buf = t.mem.alloc(16);
    const pending = call(t, f.read, r, buf, 16);
    await new Promise((resolve) => setTimeout(resolve, 5));
    await call(t, f.write, w, t.mem.cstring('late'), 4);
    expect(await pending).toBe(4);
  });

  it('a blocking write larger than the pipe waits for the reader until all of it went', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    const size = 200_000;
    const writing = call(t, f.write, w, t.mem.put(Buffer.alloc(size, 0x62)), size);
    const buf = t.mem.alloc(65536);
    let received = 0;
    while (received < size) received += await call(t, f.read, r, buf, 65536);
    expect(await writing).toBe(size);
    expect(received).toBe(size);
  });

  it('O_NONBLOCK: EAGAIN when empty or full; small writes are atomic', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t, O.NONBLOCK | O.CLOEXEC);
    expect(t.fds.entry(r)?.cloexec).toBe(true);
    expect(await call(t, f.read, r, t.mem.alloc(4), 4)).toBe(-E.EAGAIN);
    const big = t.mem.alloc(70000);
    expect(await call(t, f.write, w, big, 70000)).toBe(65536);
    expect(await call(t, f.write, w, big, 10)).toBe(-E.EAGAIN);
    expect(await call(t, f.read, r, t.mem.alloc(100), 100)).toBe(100);
    // 100 bytes of room: a 200-byte write (under PIPE_BUF) must not be split.
    expect(await call(t, f.write, w, big, 200)).toBe(-E.EAGAIN);
    expect(await call(t, f.write, w, big, 100)).toBe(100);
  });

  it('EPIPE and SIGPIPE when no reader is left', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    await call(t, f.close, r);
    expect(await call(t, f.write, w, t.mem.cstring('x'), 1)).toBe(-E.EPIPE);
    expect(t.signals).toEqual([SIGPIPE]);
  });

  it('FIONREAD, F_GETPIPE_SZ and F_SETPIPE_SZ', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    await call(t, f.write, w, t.mem.cstring('abc'), 3);
    const n = t.mem.alloc(4);
    expect(await call(t, ioctlSyscalls.ioctl, r, IOCTL.FIONREAD, n)).toBe(0);
    expect(t.mem.read(n, 4).readInt32LE()).toBe(3);
    expect(await call(t, d.fcntl, r, F.GETPIPE_SZ)).toBe(65536);
    expect(await call(t, d.fcntl, w, F.SETPIPE_SZ, 5000)).toBe(8192);
    expect(await call(t, d.fcntl, r, F.GETPIPE_SZ)).toBe(8192);
    expect(await call(t, ioctlSyscalls.ioctl, r, IOCTL.TCGETS, t.mem.alloc(64))).toBe(-E.ENOTTY);
  });

  it('pipe with a bad address takes its fds back', async () => {
    const t = fakeTask(makeVfs().vfs);
    expect(await call(t, p.pipe, 8)).toBe(-E.EFAULT);
    expect(t.fds.count).toBe(0);
    expect(await call(t, p.pipe2, t.mem.alloc(8), 0o40000)).toBe(-E.EINVAL);
  });
});

describe('named fifos', () => {
  it('non-blocking ends: a lone reader sees EOF, a lone writer cannot open', async () => {
    const { vfs } = makeVfs();
    const t = fakeTask(vfs);
    expect(await call(t, mknod, t.mem.cstring('/fifo'), 0o010644, 0)).toBe(0);
    const r = await call(t, f.open, t.mem.cstring('/fifo'), O.RDONLY | O.NONBLOCK);
    expect(await call(t, f.read, r, t.mem.alloc(4), 4)).toBe(0);
    await call(t, f.close, r);
    expect(await call(t, f.open, t.mem.cstring('/fifo'), O.WRONLY | O.NONBLOCK)).toBe(-E.ENXIO);
  });

  it('a blocking reader waits for a writer, gets its data, then EOF', async () => {
    const { vfs } = makeVfs();
    const t = fakeTask(vfs);
    await call(t, mknod, t.mem.cstring('/fifo'), 0o010644, 0);
    const r = await call(t, f.open, t.mem.cstring('/fifo'), O.RDONLY);
    const buf = t.mem.alloc(16);
    const pending = call(t, f.read, r, buf, 16);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const w = await call(t, f.open, t.mem.cstring('/fifo'), O.WRONLY);
    expect(await call(t, f.write, w, t.mem.cstring('via fifo'), 8)).toBe(8);
    expect(await pending).toBe(8);
    expect(t.mem.read(buf, 8).toString()).toBe('via fifo');
    await call(t, f.close, w);
    expect(await call(t, f.read, r, buf, 16)).toBe(0);
  });

  it('a blocking writer waits for a reader; a writer whose reader left gets EPIPE', async () => {
    const { vfs } = makeVfs();
    const t = fakeTask(vfs);
    await call(t, mknod, t.mem.cstring('/fifo'), 0o010644, 0);
    const w = await call(t, f.open, t.mem.cstring('/fifo'), O.WRONLY);
    const pending = call(t, f.write, w, t.mem.cstring('early'), 5);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const r = await call(t, f.open, t.mem.cstring('/fifo'), O.RDONLY);
    expect(await pending).toBe(5);
    const buf = t.mem.alloc(8);
    expect(await call(t, f.read, r, buf, 8)).toBe(5);
    await call(t, f.close, r);
    expect(await call(t, f.write, w, t.mem.cstring('x'), 1)).toBe(-E.EPIPE);
  });
});

describe('dup and fcntl', () => {
  it('dup shares the offset; dup2/dup3 replace; F_DUPFD finds the lowest fd above', async () => {
    const { vfs } = makeVfs({ f: '0123456789' });
    const t = fakeTask(vfs);
    const fd = await call(t, f.open, t.mem.cstring('/f'), O.RDONLY);
    const copy = await call(t, d.dup, fd);
    expect(copy).toBe(1);
    const buf = t.mem.alloc(8);
    await call(t, f.read, fd, buf, 3);
    expect(await call(t, f.lseek, copy, 0, 1)).toBe(3);
    expect(await call(t, d.dup2, fd, 7)).toBe(7);
    expect(await call(t, d.dup2, fd, fd)).toBe(fd);
    expect(await call(t, d.dup2, 99, 5)).toBe(-E.EBADF);
    expect(await call(t, d.dup3, fd, fd, 0)).toBe(-E.EINVAL);
    expect(await call(t, d.dup3, fd, 9, O.CLOEXEC)).toBe(9);
    expect(await call(t, d.fcntl, 9, F.GETFD)).toBe(FD_CLOEXEC);
    expect(await call(t, d.fcntl, fd, F.DUPFD, 5)).toBe(5);
    expect(await call(t, d.fcntl, fd, F.DUPFD_CLOEXEC, 5)).toBe(6);
    expect(await call(t, d.fcntl, fd, F.DUPFD, -1)).toBe(-E.EINVAL);
    expect(await call(t, d.dup2, fd, 5000)).toBe(-E.EBADF);
  });

  it('F_GETFL/F_SETFL change only the mutable status flags; FIONBIO and FIOCLEX', async () => {
    const { vfs } = makeVfs({ f: '' });
    const t = fakeTask(vfs);
    const fd = await call(t, f.open, t.mem.cstring('/f'), O.RDWR);
    expect(await call(t, d.fcntl, fd, F.GETFL)).toBe(O.RDWR | O.LARGEFILE);
    expect(await call(t, d.fcntl, fd, F.SETFL, O.NONBLOCK | O.APPEND | O.WRONLY)).toBe(0);
    expect(await call(t, d.fcntl, fd, F.GETFL)).toBe(O.RDWR | O.LARGEFILE | O.NONBLOCK | O.APPEND);
    const zero = t.mem.put(Buffer.alloc(4));
    expect(await call(t, ioctlSyscalls.ioctl, fd, IOCTL.FIONBIO, zero)).toBe(0);
    expect((await call(t, d.fcntl, fd, F.GETFL)) & O.NONBLOCK).toBe(0);
    expect(await call(t, ioctlSyscalls.ioctl, fd, IOCTL.FIOCLEX)).toBe(0);
    expect(await call(t, d.fcntl, fd, F.GETFD)).toBe(FD_CLOEXEC);
    expect(await call(t, d.fcntl, fd, 9999)).toBe(-E.EINVAL);
    expect(await call(t, d.fcntl, fd, F.GETPIPE_SZ)).toBe(-E.EBADF);
  });

  it('record locks conflict between processes, not within one', async () => {
    const { vfs } = makeVfs({ f: 'data' });
    const a = fakeTask(vfs);
    const b = fakeTask(vfs);
    (b as { pid: number }).pid = 2;
    const fa = await call(a, f.open, a.mem.cstring('/f'), O.RDWR);
    const fb = await call(b, f.open, b.mem.cstring('/f'), O.RDWR);
    const flock = (type: number, start: number, len: number) => {
      const s = Buffer.alloc(32);
      s.writeInt16LE(type, 0);
      s.writeBigInt64LE(BigInt(start), 8);
      s.writeBigInt64LE(BigInt(len), 16);
      return s;
    };
    expect(await call(a, d.fcntl, fa, F.SETLK, a.mem.put(flock(1, 0, 10)))).toBe(0);
    expect(await call(a, d.fcntl, fa, F.SETLK, a.mem.put(flock(0, 0, 5)))).toBe(0);
    expect(await call(b, d.fcntl, fb, F.SETLK, b.mem.put(flock(0, 5, 1)))).toBe(-E.EAGAIN);
    expect(await call(b, d.fcntl, fb, F.SETLK, b.mem.put(flock(1, 10, 0)))).toBe(0);
    const q = b.mem.put(flock(1, 0, 0));
    expect(await call(b, d.fcntl, fb, F.GETLK, q)).toBe(0);
    const got = b.mem.read(q, 32);
    expect([got.readInt16LE(0), got.readBigInt64LE(8), got.readBigInt64LE(16), got.readInt32LE(24)]).toEqual([0, 0n, 5n, 1]);
    const waiting = call(b, d.fcntl, fb, F.SETLKW, b.mem.put(flock(1, 0, 1)));
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await call(a, f.close, fa)).toBe(0);
    expect(await waiting).toBe(0);
  });

  it('POSIX locks belong to the fd table: threads share them, the end of the process drops them', async () => {
    const { vfs } = makeVfs({ f: 'data' });
    const a = fakeTask(vfs);
    const thread = fakeTask(vfs, undefined, a.fds);
    (thread as { tid: number }).tid = 2;
    const other = fakeTask(vfs);
    const whole = (type: number) => {
      const s = Buffer.alloc(32);
      s.writeInt16LE(type, 0);
      return s;
    };
    const fa = await call(a, f.open, a.mem.cstring('/f'), O.RDWR);
    const fo = await call(other, f.open, other.mem.cstring('/f'), O.RDWR);
    expect(await call(a, d.fcntl, fa, F.SETLK, a.mem.put(whole(1)))).toBe(0);
    expect(await call(thread, d.fcntl, fa, F.SETLK, thread.mem.put(whole(1)))).toBe(0);
    expect(await call(other, d.fcntl, fo, F.SETLK, other.mem.put(whole(0)))).toBe(-E.EAGAIN);
    a.fds.closeAll();
    expect(await call(other, d.fcntl, fo, F.SETLK, other.mem.put(whole(0)))).toBe(0);
  });

  it('flock locks belong to the open file description', async () => {
    const { vfs } = makeVfs({ f: '' });
    const t = fakeTask(vfs);
    const one = await call(t, f.open, t.mem.cstring('/f'), O.RDONLY);
    const two = await call(t, f.open, t.mem.cstring('/f'), O.RDONLY);
    const dupOfOne = await call(t, d.dup, one);
    expect(await call(t, d.flock, one, LOCK.EX)).toBe(0);
    expect(await call(t, d.flock, dupOfOne, LOCK.EX | LOCK.NB)).toBe(0);
    expect(await call(t, d.flock, two, LOCK.SH | LOCK.NB)).toBe(-E.EWOULDBLOCK);
    await call(t, f.close, one);
    expect(await call(t, d.flock, two, LOCK.SH | LOCK.NB)).toBe(-E.EWOULDBLOCK);
    await call(t, f.close, dupOfOne);
    expect(await call(t, d.flock, two, LOCK.SH | LOCK.NB)).toBe(0);
    expect(await call(t, d.flock, two, 0)).toBe(-E.EINVAL);
  });
});
