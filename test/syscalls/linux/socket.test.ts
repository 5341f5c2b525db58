// The socket syscalls over a real VFS and fd table (no ptrace): sockets as files, AF_UNIX
// names as socket inodes, msghdr and control messages from workload memory, options.
import { describe, expect, it } from 'vitest';
import { E, fail } from '../../../src/abi/errno.js';
import { F, O } from '../../../src/abi/linux-fcntl.js';
import { IOCTL } from '../../../src/abi/linux-ioctl.js';
import { AF, MSG, SCM, SO, SOCK, SOL } from '../../../src/abi/linux-socket.js';
import { S } from '../../../src/abi/linux-stat.js';
import { dirSyscalls } from '../../../src/syscalls/linux/dir.js';
import { fdSyscalls } from '../../../src/syscalls/linux/fd.js';
import { fileSyscalls as f } from '../../../src/syscalls/linux/fs.js';
import { ioctlSyscalls } from '../../../src/syscalls/linux/ioctl.js';
import { pipeSyscalls } from '../../../src/syscalls/linux/pipe.js';
import { socketSyscalls as n } from '../../../src/syscalls/linux/socket.js';
import { formatSyscall } from '../../../src/syscalls/linux/strace.js';
import { linuxX86_64Table } from '../../../src/syscalls/linux/table.js';
import type { SyscallArgs } from '../../../src/sentry/kernel/syscall.js';
import { call, fakeTask, makeVfs, rootCreds, type FakeTask } from './harness.js';

const SIGPIPE = 13;

/** A sockaddr_un for a path, with its NUL. */
function sockaddrUn(path: string): Buffer {
  const name = Buffer.from(path, 'latin1');
  const b = Buffer.alloc(2 + name.length + 1);
  b.writeUInt16LE(AF.UNIX, 0);
  name.copy(b, 2);
  return b;
}

async function pair(t: FakeTask, type: number = SOCK.STREAM): Promise<[number, number]> {
  const sv = t.mem.alloc(8);
  expect(await call(t, n.socketpair, AF.UNIX, type, 0, sv)).toBe(0);
  const b = t.mem.read(sv, 8);
  return [b.readInt32LE(0), b.readInt32LE(4)];
}

async function pipe(t: FakeTask): Promise<[number, number]> {
  const fds = t.mem.alloc(8);
  expect(await call(t, pipeSyscalls.pipe2, fds, 0)).toBe(0);
  const b = t.mem.read(fds, 8);
  return [b.readInt32LE(0), b.readInt32LE(4)];
}

/** A struct msghdr with one iovec and an optional control buffer. */
function msghdr(t: FakeTask, data: bigint, length: number, control?: { addr: bigint; length: number }, name?: { addr: bigint; length: number }): bigint {
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(data, 0);
  iov.writeBigUInt64LE(BigInt(length), 8);
  const hdr = Buffer.alloc(56);
  hdr.writeBigUInt64LE(name?.addr ?? 0n, 0);
  hdr.writeInt32LE(name?.length ?? 0, 8);
  hdr.writeBigUInt64LE(t.mem.put(iov), 16);
  hdr.writeBigUInt64LE(1n, 24);
  hdr.writeBigUInt64LE(control?.addr ?? 0n, 32);
  hdr.writeBigUInt64LE(BigInt(control?.length ?? 0), 40);
  return t.mem.put(hdr);
}

function cmsg(level: number, type: number, data: Buffer, length = 16 + data.length): Buffer {
  const b = Buffer.alloc((16 + data.length + 7) & ~7);
  b.writeBigUInt64LE(BigInt(length), 0);
  b.writeInt32LE(level, 8);
  b.writeInt32LE(type, 12);
  data.copy(b, 16);
  return b;
}

function ints(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

async function intOption(t: FakeTask, fd: number, level: number, name: number): Promise<number> {
  const value = t.mem.alloc(4);
  const length = t.mem.put(ints(4));
  expect(await call(t, n.getsockopt, fd, level, name, value, length)).toBe(0);
  return t.mem.read(value, 4).readInt32LE(0);
}

describe('sockets as files', () => {
  it('fstat shows S_IFSOCK 0777, F_GETFL O_RDWR, /proc-style name socket:[ino]; read and write are recv and send', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a, b] = await pair(t);
    const st = t.fds.get(a).stat();
    expect(st.mode).toBe(S.IFSOCK | 0o777);
    expect(await call(t, fdSyscalls.fcntl, a, F.GETFL)).toBe(O.RDWR);
    expect(t.kernel.vfs.pathOf(t.fs, t.fds.get(a).location)).toBe(`socket:[${st.ino}]`);
    expect(await call(t, f.write, a, t.mem.cstring('hi'), 2)).toBe(2);
    const nread = t.mem.alloc(4);
    expect(await call(t, ioctlSyscalls.ioctl, b, IOCTL.FIONREAD, nread)).toBe(0);
    expect(t.mem.read(nread, 4).readInt32LE(0)).toBe(2);
    const buf = t.mem.alloc(8);
    expect(await call(t, f.read, b, buf, 8)).toBe(2);
    expect(await call(t, f.pread64, b, buf, 8, 0)).toBe(-E.ESPIPE);
    expect(await call(t, f.lseek, b, 0, 0)).toBe(-E.ESPIPE);
  });

  it('SOCK_NONBLOCK and SOCK_CLOEXEC; EINVAL for other flags; ENOTSOCK on a pipe', async () => {
    const t = fakeTask(makeVfs().vfs);
    const fd = await call(t, n.socket, AF.UNIX, SOCK.STREAM | SOCK.NONBLOCK | SOCK.CLOEXEC, 0);
    expect(await call(t, fdSyscalls.fcntl, fd, F.GETFL)).toBe(O.RDWR | O.NONBLOCK);
    expect(await call(t, fdSyscalls.fcntl, fd, F.GETFD)).toBe(1);
    expect(await call(t, n.socket, AF.UNIX, SOCK.STREAM | 0x100, 0)).toBe(-E.EINVAL);
    expect(await call(t, n.socket, AF.UNIX, 12, 0)).toBe(-E.EINVAL);
    expect(await call(t, n.socket, -1, SOCK.STREAM, 0)).toBe(-E.EAFNOSUPPORT);
    const [r] = await pipe(t);
    expect(await call(t, n.listen, r, 1)).toBe(-E.ENOTSOCK);
    expect(await call(t, n.listen, 77, 1)).toBe(-E.EBADF);
  });

  it('a blocking write to a closed peer is EPIPE with SIGPIPE; MSG_NOSIGNAL spares the signal', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a, b] = await pair(t);
    await call(t, f.close, b);
    expect(await call(t, f.write, a, t.mem.cstring('x'), 1)).toBe(-E.EPIPE);
    expect(t.signals).toEqual([SIGPIPE]);
    expect(await call(t, n.sendto, a, t.mem.cstring('x'), 1, MSG.NOSIGNAL, 0, 0)).toBe(-E.EPIPE);
    expect(t.signals).toEqual([SIGPIPE]);
  });

  it('a blocking recv waits for data; SO_RCVTIMEO ends the wait with EAGAIN', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a, b] = await pair(t);
    const buf = t.mem.alloc(8);
    const pending = call(t, n.recvfrom, b, buf, 8, 0, 0, 0);
    setTimeout(() => void call(t, f.write, a, t.mem.cstring('late'), 4), 5);
    expect(await pending).toBe(4);
    const tv = Buffer.alloc(16);
    tv.writeBigInt64LE(0n, 0);
    tv.writeBigInt64LE(20_000n, 8);
    expect(await call(t, n.setsockopt, b, SOL.SOCKET, SO.RCVTIMEO_OLD, t.mem.put(tv), 16)).toBe(0);
    expect(await call(t, n.recvfrom, b, buf, 8, 0, 0, 0)).toBe(-E.EAGAIN);
    tv.writeBigInt64LE(1_000_000n, 8);
    expect(await call(t, n.setsockopt, b, SOL.SOCKET, SO.RCVTIMEO_OLD, t.mem.put(tv), 16)).toBe(-E.EDOM);
  });

  it('a recv in progress keeps its socket when another thread closes the fd', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a, b] = await pair(t);
    const buf = t.mem.alloc(8);
    const pending = call(t, n.recvfrom, b, buf, 8, 0, 0, 0);
    expect(await call(t, f.close, b)).toBe(0);
    expect(await call(t, f.write, a, t.mem.cstring('still'), 5)).toBe(5);
    expect(await pending).toBe(5);
  });

  it('MSG_WAITALL gathers a stream until all came', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a, b] = await pair(t);
    const buf = t.mem.alloc(8);
    const pending = call(t, n.recvfrom, b, buf, 6, MSG.WAITALL, 0, 0);
    await call(t, f.write, a, t.mem.cstring('abc'), 3);
    setTimeout(() => void call(t, f.write, a, t.mem.cstring('def'), 3), 5);
    expect(await pending).toBe(6);
    expect(t.mem.read(buf, 6).toString()).toBe('abcdef');
  });
});

describe('AF_UNIX names in the filesystem', () => {
  it('bind makes a socket inode (0777 less the umask); unlink removes the name; connect by path', async () => {
    const t = fakeTask(makeVfs().vfs);
    const server = await call(t, n.socket, AF.UNIX, SOCK.STREAM, 0);
    const addr = sockaddrUn('/tmp/s');
    expect(await call(t, dirSyscalls.mkdir, t.mem.cstring('/tmp'), 0o777)).toBe(0);
    expect(await call(t, n.bind, server, t.mem.put(addr), addr.length)).toBe(0);
    const st = t.kernel.vfs.stat(t.fs, undefined, '/tmp/s', 0);
    expect(st.mode).toBe(S.IFSOCK | 0o755);
    expect(await call(t, n.bind, await call(t, n.socket, AF.UNIX, SOCK.STREAM, 0), t.mem.put(addr), addr.length)).toBe(-E.EADDRINUSE);
    expect(await call(t, n.listen, server, 4)).toBe(0);
    const client = await call(t, n.socket, AF.UNIX, SOCK.STREAM, 0);
    expect(await call(t, n.connect, client, t.mem.put(addr), addr.length)).toBe(0);
    const peer = t.mem.alloc(112);
    const peerLength = t.mem.put(ints(112));
    const accepted = await call(t, n.accept4, server, peer, peerLength, SOCK.CLOEXEC);
    expect(accepted).toBeGreaterThan(client);
    expect(t.mem.read(peerLength, 4).readInt32LE(0)).toBe(2);
    const name = t.mem.alloc(112);
    const nameLength = t.mem.put(ints(112));
    expect(await call(t, n.getpeername, client, name, nameLength)).toBe(0);
    expect(t.mem.read(nameLength, 4).readInt32LE(0)).toBe(2 + 6 + 1);
    expect(t.mem.read(name + 2n, 7).toString('latin1')).toBe('/tmp/s\0');
    expect(await call(t, dirSyscalls.unlink, t.mem.cstring('/tmp/s'))).toBe(0);
    const again = await call(t, n.socket, AF.UNIX, SOCK.STREAM, 0);
    expect(await call(t, n.connect, again, t.mem.put(addr), addr.length)).toBe(-E.ENOENT);
  });

  it('connect: EACCES without write permission, ECONNREFUSED for a file, ENOTDIR through one', async () => {
    const { vfs } = makeVfs({ 'data/file': 'x' });
    const root = fakeTask(vfs);
    const user = fakeTask(vfs, rootCreds(1000, 1000));
    const server = await call(root, n.socket, AF.UNIX, SOCK.STREAM, 0);
    const addr = sockaddrUn('/data/s');
    expect(await call(root, n.bind, server, root.mem.put(addr), addr.length)).toBe(0);
    expect(await call(root, n.listen, server, 1)).toBe(0);
    const client = await call(user, n.socket, AF.UNIX, SOCK.STREAM, 0);
    user.fs.umask = 0;
    const a = user.mem.put(addr);
    expect(await call(user, n.connect, client, a, addr.length)).toBe(-E.EACCES);
    // Write permission is checked first (EACCES), then whether the node is a socket.
    const file = sockaddrUn('/data/file');
    expect(await call(user, n.connect, client, user.mem.put(file), file.length)).toBe(-E.EACCES);
    const rootClient = await call(root, n.socket, AF.UNIX, SOCK.STREAM, 0);
    expect(await call(root, n.connect, rootClient, root.mem.put(file), file.length)).toBe(-E.ECONNREFUSED);
    const through = sockaddrUn('/data/file/x');
    expect(await call(user, n.connect, client, user.mem.put(through), through.length)).toBe(-E.ENOTDIR);
  });

  it('sockaddr_un lengths: 2 autobinds, above 110 or another family is EINVAL, above 128 too', async () => {
    const t = fakeTask(makeVfs().vfs);
    const fd = await call(t, n.socket, AF.UNIX, SOCK.DGRAM, 0);
    const family = t.mem.put(ints(AF.UNIX));
    expect(await call(t, n.connect, fd, family, 2)).toBe(-E.EINVAL);
    expect(await call(t, n.bind, fd, family, 111)).toBe(-E.EINVAL);
    expect(await call(t, n.bind, fd, family, 129)).toBe(-E.EINVAL);
    expect(await call(t, n.bind, fd, t.mem.put(ints(AF.INET, 0, 0, 0)), 16)).toBe(-E.EINVAL);
    expect(await call(t, n.bind, fd, 0x10n, 16)).toBe(-E.EFAULT);
    expect(await call(t, n.bind, fd, family, 2)).toBe(0);
    const name = t.mem.alloc(112);
    const nameLength = t.mem.put(ints(112));
    expect(await call(t, n.getsockname, fd, name, nameLength)).toBe(0);
    expect(t.mem.read(nameLength, 4).readInt32LE(0)).toBe(8);
    expect(t.mem.read(name + 2n, 1)[0]).toBe(0);
  });
});

describe('sendmsg and recvmsg', () => {
  it('SCM_RIGHTS passes a pipe: the received fd reads what the pipe carries', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a, b] = await pair(t);
    const [r, w] = await pipe(t);
    const control = cmsg(SOL.SOCKET, SCM.RIGHTS, ints(r));
    expect(await call(t, n.sendmsg, a, msghdr(t, t.mem.cstring('f'), 1, { addr: t.mem.put(control), length: control.length }), 0)).toBe(1);
    await call(t, f.close, r);
    const inbox = t.mem.alloc(64);
    const hdr = msghdr(t, t.mem.alloc(8), 8, { addr: inbox, length: 64 });
    expect(await call(t, n.recvmsg, b, hdr, MSG.CMSG_CLOEXEC)).toBe(1);
    const got = t.mem.read(inbox, 20);
    expect(got.readBigUInt64LE(0)).toBe(20n);
    expect([got.readInt32LE(8), got.readInt32LE(12)]).toEqual([SOL.SOCKET, SCM.RIGHTS]);
    const received = got.readInt32LE(16);
    expect(await call(t, fdSyscalls.fcntl, received, F.GETFD)).toBe(1);
    expect(t.mem.read(hdr + 40n, 8).readBigUInt64LE(0)).toBe(24n);
    await call(t, f.write, w, t.mem.cstring('through'), 7);
    const buf = t.mem.alloc(8);
    expect(await call(t, f.read, received, buf, 8)).toBe(7);
  });

  it('MSG_CTRUNC when the fds do not fit; the ones that did not are closed', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a, b] = await pair(t);
    const [r, w] = await pipe(t);
    const control = cmsg(SOL.SOCKET, SCM.RIGHTS, ints(r, w));
    await call(t, n.sendmsg, a, msghdr(t, t.mem.cstring('f'), 1, { addr: t.mem.put(control), length: control.length }), 0);
    await call(t, f.close, r);
    await call(t, f.close, w);
    const hdr = msghdr(t, t.mem.alloc(8), 8, { addr: t.mem.alloc(24), length: 20 });
    expect(await call(t, n.recvmsg, b, hdr, 0)).toBe(1);
    expect(t.mem.read(hdr + 48n, 4).readInt32LE(0)).toBe(MSG.CTRUNC);
    expect(t.fds.count).toBe(3);
  });

  it('receives no more fds than RLIMIT_NOFILE leaves room for: MSG_CTRUNC, the rest closed', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a, b] = await pair(t);
    const [r, w] = await pipe(t);
    const control = cmsg(SOL.SOCKET, SCM.RIGHTS, ints(r, w, r));
    await call(t, n.sendmsg, a, msghdr(t, t.mem.cstring('f'), 1, { addr: t.mem.put(control), length: control.length }), 0);
    await call(t, f.close, r);
    await call(t, f.close, w);
    t.nofile = 3n;
    const inbox = t.mem.alloc(64);
    const hdr = msghdr(t, t.mem.alloc(8), 8, { addr: inbox, length: 64 });
    expect(await call(t, n.recvmsg, b, hdr, 0)).toBe(1);
    expect(t.mem.read(hdr + 48n, 4).readInt32LE(0)).toBe(MSG.CTRUNC);
    expect(t.mem.read(inbox, 8).readBigUInt64LE(0)).toBe(20n);
    expect(t.fds.count).toBe(3);
  });

  it('hostile control data: lying lengths, too many fds, closed fds, unmapped buffers', async () => {
    const t = fakeTask(makeVfs().vfs);
    // Only pid 1 exists; root may claim another pid, which must exist.
    Object.assign(t.process, { getpgid: (pid: number) => (pid === 1 ? 1 : fail(E.ESRCH)) });
    const [a] = await pair(t);
    const data = t.mem.cstring('x');
    const send = (control: Buffer, length = control.length) => call(t, n.sendmsg, a, msghdr(t, data, 1, { addr: t.mem.put(control), length }), 0);
    expect(await send(cmsg(SOL.SOCKET, SCM.RIGHTS, ints(0), 200))).toBe(-E.EINVAL);
    expect(await send(cmsg(SOL.SOCKET, SCM.RIGHTS, ints(0), 8))).toBe(-E.EINVAL);
    expect(await send(cmsg(SOL.SOCKET, SCM.RIGHTS, Buffer.alloc(254 * 4)))).toBe(-E.EINVAL);
    expect(await send(cmsg(SOL.SOCKET, SCM.RIGHTS, ints(55)))).toBe(-E.EBADF);
    expect(await send(cmsg(SOL.SOCKET, 99, ints(0)))).toBe(-E.EINVAL);
    expect(await send(cmsg(SOL.SOCKET, SCM.CREDENTIALS, ints(1, 0, 0, 0)))).toBe(-E.EINVAL);
    expect(await send(cmsg(SOL.SOCKET, SCM.CREDENTIALS, ints(2, 0, 0)))).toBe(-E.ESRCH);
    expect(await call(t, n.sendmsg, a, msghdr(t, data, 1, { addr: 0x20n, length: 32 }), 0)).toBe(-E.EFAULT);
    expect(await call(t, n.sendmsg, a, 0x20n, 0)).toBe(-E.EFAULT);
    expect(await call(t, n.sendmsg, a, msghdr(t, 0x20n, 1), 0)).toBe(-E.EFAULT);
    expect(t.fds.count).toBe(2);
  });

  it('SCM_CREDENTIALS a user may not claim are EPERM; its own go through', async () => {
    const { vfs } = makeVfs();
    const t = fakeTask(vfs, rootCreds(1000, 1000));
    const [a, b] = await pair(t);
    const on = t.mem.put(ints(1));
    expect(await call(t, n.setsockopt, b, SOL.SOCKET, SO.PASSCRED, on, 4)).toBe(0);
    const bad = cmsg(SOL.SOCKET, SCM.CREDENTIALS, ints(1, 0, 0));
    expect(await call(t, n.sendmsg, a, msghdr(t, t.mem.cstring('x'), 1, { addr: t.mem.put(bad), length: bad.length }), 0)).toBe(-E.EPERM);
    const own = cmsg(SOL.SOCKET, SCM.CREDENTIALS, ints(1, 1000, 1000));
    expect(await call(t, n.sendmsg, a, msghdr(t, t.mem.cstring('x'), 1, { addr: t.mem.put(own), length: own.length }), 0)).toBe(1);
    const inbox = t.mem.alloc(64);
    expect(await call(t, n.recvmsg, b, msghdr(t, t.mem.alloc(8), 8, { addr: inbox, length: 64 }), 0)).toBe(1);
    const got = t.mem.read(inbox, 28);
    expect([got.readInt32LE(12), got.readInt32LE(16), got.readInt32LE(20), got.readInt32LE(24)]).toEqual([SCM.CREDENTIALS, 1, 1000, 1000]);
  });

  it('datagrams: recvfrom names the sender; MSG_TRUNC returns the whole length', async () => {
    const t = fakeTask(makeVfs().vfs);
    const server = await call(t, n.socket, AF.UNIX, SOCK.DGRAM, 0);
    const client = await call(t, n.socket, AF.UNIX, SOCK.DGRAM, 0);
    const serverAddr = Buffer.from('\x01\x00\x00srv', 'latin1');
    const clientAddr = Buffer.from('\x01\x00\x00cli', 'latin1');
    expect(await call(t, n.bind, server, t.mem.put(serverAddr), serverAddr.length)).toBe(0);
    expect(await call(t, n.bind, client, t.mem.put(clientAddr), clientAddr.length)).toBe(0);
    expect(await call(t, n.sendto, client, t.mem.cstring('datagram'), 8, 0, t.mem.put(serverAddr), serverAddr.length)).toBe(8);
    const from = t.mem.alloc(112);
    const fromLength = t.mem.put(ints(112));
    expect(await call(t, n.recvfrom, server, t.mem.alloc(4), 4, MSG.TRUNC, from, fromLength)).toBe(8);
    expect(t.mem.read(fromLength, 4).readInt32LE(0)).toBe(6);
    expect(t.mem.read(from, 6).toString('latin1')).toBe('\x01\x00\x00cli');
  });
});

describe('socket options', () => {
  it('SO_TYPE, SO_DOMAIN, SO_SNDBUF doubled, SO_ERROR, ENOPROTOOPT for unknown ones', async () => {
    const t = fakeTask(makeVfs().vfs);
    const [a] = await pair(t, SOCK.SEQPACKET);
    expect(await intOption(t, a, SOL.SOCKET, SO.TYPE)).toBe(SOCK.SEQPACKET);
    expect(await intOption(t, a, SOL.SOCKET, SO.DOMAIN)).toBe(AF.UNIX);
    expect(await intOption(t, a, SOL.SOCKET, SO.SNDBUF)).toBe(212992);
    expect(await call(t, n.setsockopt, a, SOL.SOCKET, SO.SNDBUF, t.mem.put(ints(10000)), 4)).toBe(0);
    expect(await intOption(t, a, SOL.SOCKET, SO.SNDBUF)).toBe(20000);
    expect(await call(t, n.setsockopt, a, SOL.SOCKET, SO.SNDBUF, t.mem.put(ints(1)), 4)).toBe(0);
    expect(await intOption(t, a, SOL.SOCKET, SO.SNDBUF)).toBe(4608);
    expect(await call(t, n.setsockopt, a, SOL.SOCKET, SO.SNDBUF, t.mem.put(ints(1)), 2)).toBe(-E.EINVAL);
    expect(await intOption(t, a, SOL.SOCKET, SO.ERROR)).toBe(0);
    expect(await call(t, n.getsockopt, a, SOL.SOCKET, 999, t.mem.alloc(4), t.mem.put(ints(4)))).toBe(-E.ENOPROTOOPT);
    expect(await call(t, n.getsockopt, a, SOL.SOCKET, SO.TYPE, t.mem.alloc(4), t.mem.put(ints(-1)))).toBe(-E.EINVAL);
    const short = t.mem.put(ints(2));
    expect(await call(t, n.getsockopt, a, SOL.SOCKET, SO.TYPE, t.mem.alloc(4), short)).toBe(0);
    expect(t.mem.read(short, 4).readInt32LE(0)).toBe(2);
  });
});

describe('--strace of socket calls', () => {
  it('decodes addresses, families and types', async () => {
    const t = fakeTask(makeVfs().vfs);
    const sin = Buffer.alloc(16);
    sin.writeUInt16LE(AF.INET, 0);
    sin.writeUInt16BE(8080, 2);
    sin.set([127, 0, 0, 1], 4);
    const sin6 = Buffer.alloc(28);
    sin6.writeUInt16LE(AF.INET6, 0);
    sin6.writeUInt16BE(443, 2);
    sin6[23] = 1;
    const un = Buffer.from('\x01\x00\x00abstract', 'latin1');
    const line = (nr: number, args: (number | bigint)[], result: number) =>
      formatSyscall(linuxX86_64Table, t, nr, args.concat([0, 0, 0, 0, 0, 0]).slice(0, 6).map((a) => BigInt.asUintN(64, BigInt(a))) as unknown as SyscallArgs, result);
    expect(line(41, [AF.INET6, SOCK.STREAM | SOCK.NONBLOCK | SOCK.CLOEXEC, 0], 3)).toMatch(/socket\(AF_INET6, SOCK_STREAM\|SOCK_NONBLOCK\|SOCK_CLOEXEC, 0\) = 3$/);
    expect(line(42, [3, t.mem.put(sin), 16], 0)).toContain('connect(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16) = 0');
    expect(line(49, [3, t.mem.put(sin6), 28], 0)).toContain('bind(3, {sa_family=AF_INET6, sin6_port=htons(443), sin6_addr="::1"}, 28)');
    expect(line(49, [3, t.mem.put(un), un.length], 0)).toContain('{sa_family=AF_UNIX, sun_path="@abstract"}');
    expect(line(42, [3, 0x20n, 16], -E.EFAULT)).toContain('connect(3, 0x20, 16) = -1 EFAULT');
  });
});
