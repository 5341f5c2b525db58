import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { O } from '../../../src/abi/linux-fcntl.js';
import { EPOLL, EPOLL_CTL, POLL } from '../../../src/abi/linux-poll.js';
import { fileSyscalls as f } from '../../../src/syscalls/linux/fs.js';
import { pipeSyscalls as p } from '../../../src/syscalls/linux/pipe.js';
import { pollSyscalls as s } from '../../../src/syscalls/linux/poll.js';
import { call, fakeTask, makeVfs, type FakeTask } from './harness.js';

async function makePipe(t: FakeTask): Promise<[number, number]> {
  const fds = t.mem.alloc(8);
  await call(t, p.pipe2, fds, O.NONBLOCK);
  const b = t.mem.read(fds, 8);
  return [b.readInt32LE(0), b.readInt32LE(4)];
}

function pollfds(entries: [number, number][]): Buffer {
  const b = Buffer.alloc(entries.length * 8);
  entries.forEach(([fd, events], i) => {
    b.writeInt32LE(fd, i * 8);
    b.writeUInt16LE(events, i * 8 + 4);
  });
  return b;
}

function revents(t: FakeTask, addr: bigint, n: number): number[] {
  const b = t.mem.read(addr, n * 8);
  return Array.from({ length: n }, (_, i) => b.readUInt16LE(i * 8 + 6));
}

function epollEvent(events: number, data: bigint): Buffer {
  const b = Buffer.alloc(12);
  b.writeUInt32LE(events >>> 0, 0);
  b.writeBigUInt64LE(data, 4);
  return b;
}

describe('poll and select', () => {
  it('poll reports readiness, POLLNVAL for closed fds, and times out with 0', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    const fds = t.mem.put(pollfds([[r, POLL.IN], [w, POLL.OUT], [99, POLL.IN], [-1, POLL.IN]]));
    expect(await call(t, s.poll, fds, 4, 0)).toBe(2);
    expect(revents(t, fds, 4)).toEqual([0, POLL.OUT, POLL.NVAL, 0]);
    const onlyRead = t.mem.put(pollfds([[r, POLL.IN]]));
    expect(await call(t, s.poll, onlyRead, 1, 10)).toBe(0);
  });

  it('poll waits for a writer and sees POLLHUP when writers are gone', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    const fds = t.mem.put(pollfds([[r, POLL.IN]]));
    const pending = call(t, s.poll, fds, 1, -1);
    setTimeout(() => void call(t, f.write, w, t.mem.cstring('x'), 1), 5);
    expect(await pending).toBe(1);
    expect(revents(t, fds, 1)).toEqual([POLL.IN]);
    await call(t, f.close, w);
    expect(await call(t, s.poll, fds, 1, 0)).toBe(1);
    expect(revents(t, fds, 1)).toEqual([POLL.IN | POLL.HUP]);
  });

  it('select sets bits for ready fds and EBADF for closed ones', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    const set = (fds: number[]) => {
      const b = Buffer.alloc(8);
      for (const fd of fds) b[fd >> 3]! |= 1 << (fd & 7);
      return t.mem.put(b);
    };
    const rs = set([r]);
    const ws = set([w]);
    const tv = t.mem.put(Buffer.alloc(16));
    expect(await call(t, s.select, w + 1, rs, ws, 0, tv)).toBe(1);
    expect(t.mem.read(rs, 8)[0]).toBe(0);
    expect(t.mem.read(ws, 8)[0]).toBe(1 << w);
    expect(await call(t, s.select, 8, set([5]), 0, 0, tv)).toBe(-E.EBADF);
    expect(await call(t, s.select, -1, 0, 0, 0, tv)).toBe(-E.EINVAL);
  });
});

describe('epoll', () => {
  it('level-triggered: reports while data is buffered', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    const ep = await call(t, s.epoll_create1, EPOLL.CLOEXEC);
    expect(t.fds.entry(ep)?.cloexec).toBe(true);
    expect(await call(t, s.epoll_ctl, ep, EPOLL_CTL.ADD, r, t.mem.put(epollEvent(POLL.IN, 77n)))).toBe(0);
    expect(await call(t, s.epoll_ctl, ep, EPOLL_CTL.ADD, r, t.mem.put(epollEvent(POLL.IN, 77n)))).toBe(-E.EEXIST);
    const out = t.mem.alloc(12 * 4);
    expect(await call(t, s.epoll_wait, ep, out, 4, 0)).toBe(0);
    await call(t, f.write, w, t.mem.cstring('ab'), 2);
    expect(await call(t, s.epoll_wait, ep, out, 4, 0)).toBe(1);
    const ev = t.mem.read(out, 12);
    expect([ev.readUInt32LE(0), ev.readBigUInt64LE(4)]).toEqual([POLL.IN, 77n]);
    expect(await call(t, s.epoll_wait, ep, out, 4, 0)).toBe(1);
  });

  it('edge-triggered and one-shot entries report once per event', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    const [r2, w2] = await makePipe(t);
    const ep = await call(t, s.epoll_create, 1);
    await call(t, s.epoll_ctl, ep, EPOLL_CTL.ADD, r, t.mem.put(epollEvent(POLL.IN | EPOLL.ET, 1n)));
    await call(t, s.epoll_ctl, ep, EPOLL_CTL.ADD, r2, t.mem.put(epollEvent(POLL.IN | EPOLL.ONESHOT, 2n)));
    const out = t.mem.alloc(12 * 4);
    await call(t, f.write, w, t.mem.cstring('a'), 1);
    await call(t, f.write, w2, t.mem.cstring('b'), 1);
    expect(await call(t, s.epoll_wait, ep, out, 4, 0)).toBe(2);
    expect(await call(t, s.epoll_wait, ep, out, 4, 0)).toBe(0);
    await call(t, f.write, w, t.mem.cstring('c'), 1);
    expect(await call(t, s.epoll_wait, ep, out, 4, 0)).toBe(1);
    expect(t.mem.read(out + 4n, 8).readBigUInt64LE()).toBe(1n);
    expect(await call(t, s.epoll_ctl, ep, EPOLL_CTL.MOD, r2, t.mem.put(epollEvent(POLL.IN | EPOLL.ONESHOT, 3n)))).toBe(0);
    expect(await call(t, s.epoll_wait, ep, out, 4, 0)).toBe(1);
    expect(t.mem.read(out + 4n, 8).readBigUInt64LE()).toBe(3n);
  });

  it('blocks until an event, and refuses what Linux refuses', async () => {
    const { vfs } = makeVfs({ file: '' });
    const t = fakeTask(vfs);
    const [r, w] = await makePipe(t);
    const ep = await call(t, s.epoll_create1, 0);
    await call(t, s.epoll_ctl, ep, EPOLL_CTL.ADD, r, t.mem.put(epollEvent(POLL.IN, 5n)));
    const out = t.mem.alloc(12);
    const pending = call(t, s.epoll_wait, ep, out, 1, -1);
    setTimeout(() => void call(t, f.write, w, t.mem.cstring('z'), 1), 5);
    expect(await pending).toBe(1);
    const file = await call(t, f.open, t.mem.cstring('/file'), O.RDONLY);
    expect(await call(t, s.epoll_ctl, ep, EPOLL_CTL.ADD, file, t.mem.put(epollEvent(POLL.IN, 0n)))).toBe(-E.EPERM);
    expect(await call(t, s.epoll_ctl, ep, EPOLL_CTL.ADD, ep, t.mem.put(epollEvent(POLL.IN, 0n)))).toBe(-E.EINVAL);
    expect(await call(t, s.epoll_ctl, r, EPOLL_CTL.ADD, w, t.mem.put(epollEvent(POLL.OUT, 0n)))).toBe(-E.EINVAL);
    expect(await call(t, s.epoll_ctl, ep, EPOLL_CTL.DEL, w, 0)).toBe(-E.ENOENT);
    expect(await call(t, s.epoll_wait, ep, out, 0, 0)).toBe(-E.EINVAL);
    expect(await call(t, s.epoll_create, 0)).toBe(-E.EINVAL);
    expect(await call(t, s.epoll_ctl, ep, EPOLL_CTL.DEL, r, 0)).toBe(0);
    expect(await call(t, s.epoll_wait, ep, out, 1, 0)).toBe(0);
  });

  it('an epoll fd is itself pollable', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [r, w] = await makePipe(t);
    const ep = await call(t, s.epoll_create1, 0);
    await call(t, s.epoll_ctl, ep, EPOLL_CTL.ADD, r, t.mem.put(epollEvent(POLL.IN, 0n)));
    const fds = t.mem.put(pollfds([[ep, POLL.IN]]));
    expect(await call(t, s.poll, fds, 1, 0)).toBe(0);
    await call(t, f.write, w, t.mem.cstring('q'), 1);
    expect(await call(t, s.poll, fds, 1, 0)).toBe(1);
  });
});
