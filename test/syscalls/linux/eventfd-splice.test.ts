import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { O } from '../../../src/abi/linux-fcntl.js';
import { POLL } from '../../../src/abi/linux-poll.js';
import { fileSyscalls as f } from '../../../src/syscalls/linux/fs.js';
import { pipeSyscalls as p } from '../../../src/syscalls/linux/pipe.js';
import { pollSyscalls as s } from '../../../src/syscalls/linux/poll.js';
import { call, fakeTask, makeVfs, type FakeTask } from './harness.js';

async function makePipe(t: FakeTask, flags = 0): Promise<[number, number]> {
  const fds = t.mem.alloc(8);
  await call(t, p.pipe2, fds, flags);
  const b = t.mem.read(fds, 8);
  return [b.readInt32LE(0), b.readInt32LE(4)];
}

function u64(t: FakeTask, value: bigint): bigint {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(value);
  return t.mem.put(b);
}

describe('eventfd', () => {
  it('adds on write, drains on read, and is readable only while non-zero', async () => {
    const t = fakeTask(makeVfs().vfs);
    const efd = await call(t, s.eventfd2, 3, O.NONBLOCK | O.CLOEXEC);
    expect(t.fds.entry(efd)?.cloexec).toBe(true);
    expect(await call(t, f.write, efd, u64(t, 4n), 8)).toBe(8);
    const out = t.mem.alloc(8);
    expect(await call(t, f.read, efd, out, 8)).toBe(8);
    expect(t.mem.read(out, 8).readBigUInt64LE()).toBe(7n);
    expect(await call(t, f.read, efd, out, 8)).toBe(-E.EAGAIN);
    expect(await call(t, f.read, efd, out, 4)).toBe(-E.EINVAL);
    expect(await call(t, f.write, efd, u64(t, 0xffffffffffffffffn), 8)).toBe(-E.EINVAL);
    const pfd = Buffer.alloc(8);
    pfd.writeInt32LE(efd, 0);
    pfd.writeUInt16LE(POLL.IN | POLL.OUT, 4);
    const pfdAddr = t.mem.put(pfd);
    expect(await call(t, s.poll, pfdAddr, 1, 0)).toBe(1);
    expect(t.mem.read(pfdAddr + 6n, 2).readUInt16LE()).toBe(POLL.OUT);
    expect(await call(t, s.eventfd2, 0, 0x80)).toBe(-E.EINVAL);
  });

  it('semaphore mode hands out one unit per read; a blocking read waits for a write', async () => {
    const t = fakeTask(makeVfs().vfs);
    const efd = await call(t, s.eventfd2, 2, 1);
    const out = t.mem.alloc(8);
    expect(await call(t, f.read, efd, out, 8)).toBe(8);
    expect(t.mem.read(out, 8).readBigUInt64LE()).toBe(1n);
    await call(t, f.read, efd, out, 8);
    const pending = call(t, f.read, efd, out, 8);
    setTimeout(() => void call(t, f.write, efd, u64(t, 5n), 8), 5);
    expect(await pending).toBe(8);
    expect(t.mem.read(out, 8).readBigUInt64LE()).toBe(1n);
  });

  it('a blocking write bigger than the room left waits for a read, though the eventfd is writable', async () => {
    const t = fakeTask(makeVfs().vfs);
    const efd = await call(t, s.eventfd2, 0, 0);
    expect(await call(t, f.write, efd, u64(t, 0xfffffffffffffffdn), 8)).toBe(8);
    // Room for 1: POLLOUT, yet a write of 2 must wait (it used to retry without end).
    let written: number | bigint | undefined;
    const pending = call(t, f.write, efd, u64(t, 2n), 8).then((n) => (written = n));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(written).toBeUndefined();
    const out = t.mem.alloc(8);
    expect(await call(t, f.read, efd, out, 8)).toBe(8);
    expect(await pending).toBe(8);
    expect(await call(t, f.read, efd, out, 8)).toBe(8);
    expect(t.mem.read(out, 8).readBigUInt64LE()).toBe(2n);
  });
});

describe('splice, tee, vmsplice and memfd_create', () => {
  it('splice moves file bytes into a pipe and out to another file, with offsets', async () => {
    const { vfs } = makeVfs({ src: 'abcdefgh', 'tmp/': null });
    const t = fakeTask(vfs);
    const src = await call(t, f.open, t.mem.cstring('/src'), O.RDONLY);
    const dst = await call(t, f.open, t.mem.cstring('/tmp/dst'), O.WRONLY | O.CREAT, 0o644);
    const [r, w] = await makePipe(t);
    const off = u64(t, 2n);
    expect(await call(t, f.splice, src, off, w, 0, 4, 0)).toBe(4);
    expect(t.mem.read(off, 8).readBigInt64LE()).toBe(6n);
    expect(await call(t, f.splice, r, 0, dst, 0, 100, 0)).toBe(4);
    const back = await call(t, f.open, t.mem.cstring('/tmp/dst'), O.RDONLY);
    const buf = t.mem.alloc(8);
    expect(await call(t, f.read, back, buf, 8)).toBe(4);
    expect(t.mem.read(buf, 4).toString()).toBe('cdef');
    expect(await call(t, f.splice, src, 0, dst, 0, 4, 0)).toBe(-E.EINVAL);
    expect(await call(t, f.splice, r, off, dst, 0, 4, 0)).toBe(-E.ESPIPE);
    expect(await call(t, f.splice, r, 0, dst, 0, 4, 2)).toBe(-E.EAGAIN);
  });

  it('tee copies between pipes without consuming; vmsplice writes and reads a pipe', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r1, w1] = await makePipe(t);
    const [r2, w2] = await makePipe(t);
    const iov = Buffer.alloc(16);
    iov.writeBigUInt64LE(t.mem.cstring('hello'), 0);
    iov.writeBigUInt64LE(5n, 8);
    expect(await call(t, f.vmsplice, w1, t.mem.put(iov), 1, 0)).toBe(5);
    expect(await call(t, f.tee, r1, w2, 100, 0)).toBe(5);
    const a = t.mem.alloc(8);
    expect(await call(t, f.read, r1, a, 8)).toBe(5);
    const riov = Buffer.alloc(16);
    const b = t.mem.alloc(8);
    riov.writeBigUInt64LE(b, 0);
    riov.writeBigUInt64LE(8n, 8);
    expect(await call(t, f.vmsplice, r2, t.mem.put(riov), 1, 0)).toBe(5);
    expect(t.mem.read(b, 5).toString()).toBe('hello');
    expect(await call(t, f.tee, r1, w1, 1, 0)).toBe(-E.EINVAL);
  });

  it('memfd_create gives a read-write anonymous file', async () => {
    const t = fakeTask(makeVfs().vfs);
    const fd = await call(t, f.memfd_create, t.mem.cstring('buf'), 1);
    expect(t.fds.entry(fd)?.cloexec).toBe(true);
    expect(await call(t, f.write, fd, t.mem.cstring('xyz'), 3)).toBe(3);
    const buf = t.mem.alloc(4);
    expect(await call(t, f.pread64, fd, buf, 4, 0)).toBe(3);
    expect(await call(t, f.memfd_create, t.mem.cstring('x'.repeat(250)), 0)).toBe(-E.EINVAL);
    expect(await call(t, f.memfd_create, t.mem.cstring('h'), 4)).toBe(-E.EINVAL);
  });
});

describe('timerfd', () => {
  function itimerspec(t: FakeTask, valueMs: number, intervalMs: number): bigint {
    const b = Buffer.alloc(32);
    b.writeBigInt64LE(BigInt(intervalMs) * 1_000_000n, 8);
    b.writeBigInt64LE(BigInt(valueMs) * 1_000_000n, 24);
    return t.mem.put(b);
  }

  it('expires, counts expirations, reports the time left, and disarms', async () => {
    const t = fakeTask(makeVfs().vfs);
    const fd = await call(t, s.timerfd_create, 1, O.NONBLOCK);
    const out = t.mem.alloc(8);
    expect(await call(t, f.read, fd, out, 8)).toBe(-E.EAGAIN);
    expect(await call(t, s.timerfd_settime, fd, 0, itimerspec(t, 10, 5), 0)).toBe(0);
    const cur = t.mem.alloc(32);
    expect(await call(t, s.timerfd_gettime, fd, cur)).toBe(0);
    expect(t.mem.read(cur, 32).readBigInt64LE(8)).toBe(5_000_000n);
    const pfd = Buffer.alloc(8);
    pfd.writeInt32LE(fd, 0);
    pfd.writeUInt16LE(POLL.IN, 4);
    expect(await call(t, s.poll, t.mem.put(pfd), 1, 1000)).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await call(t, f.read, fd, out, 8)).toBe(8);
    expect(t.mem.read(out, 8).readBigUInt64LE()).toBeGreaterThanOrEqual(2n);
    expect(await call(t, s.timerfd_settime, fd, 0, itimerspec(t, 0, 0), 0)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await call(t, f.read, fd, out, 8)).toBe(-E.EAGAIN);
    expect(await call(t, s.timerfd_create, 8, 0)).toBe(-E.EPERM);
    expect(await call(t, s.timerfd_create, 42, 0)).toBe(-E.EINVAL);
    expect(await call(t, s.timerfd_settime, 99, 0, itimerspec(t, 1, 0), 0)).toBe(-E.EBADF);
  });
});
