// The socket family of syscalls: socket, socketpair, bind, listen, connect, accept,
// accept4, getsockname, getpeername, shutdown, send/recv in all their forms, and
// getsockopt/setsockopt. Sockets come from the sandbox's own stack (task.kernel.net);
// no call here ever opens a host socket.

import { idForTask } from '../../sentry/kernel/credentials.js';
import { E, SysError, fail } from '../../abi/errno.js';
import { MAX_RW_COUNT, O, UIO_MAXIOV } from '../../abi/linux-fcntl.js';
import { MMSGHDR_SIZE, MSG, SO, SOCK, SOL } from '../../abi/linux-socket.js';
import { NET_LIMITS } from '../../netstack/limits.js';
import type { IncomingMessage, OutgoingMessage, PendingConnect, Socket, SocketAddress, SocketCaller } from '../../netstack/index.js';
import { CAP_NET_ADMIN, hasCapability } from '../../netstack/socket.js';
import { andThen } from '../../sentry/kernel/files/blocking-io.js';
import { socketCaller } from '../../sentry/kernel/socket/socket-caller.js';
import { openSocketFile, requireSocket } from '../../sentry/kernel/socket/socket-file.js';
import { acceptWaiting, deadlineOf, holding, receiveWaiting, sendWaiting, waitSocket } from '../../sentry/kernel/socket/socket-io.js';
import type { SyscallArgs, SyscallHandler, SyscallTask, TaskMemory } from '../../sentry/kernel/syscall.js';
import type { FileDescription } from '../../vfs/api.js';
import { int32, pointer, size, uint32 } from './decode.js';
import { gather, scatter, totalLength, type IoSegment } from './iovec.js';
import { readMsghdr, readSendControl, writeReceiveControl, type Msghdr, type SendControl } from './msghdr.js';
import { bindAddress, connectAddress, encodeSockaddr, readSockaddr, sendAddress, writeSockaddr } from './sockaddr.js';
import { interfaceIoctl } from './socket-ioctl.js';
import { decodeOption, encodeOption, optionReadLength } from './sockopt.js';
import { fdLimit, installPair, openFile } from './task-files.js';
import { readTimespec } from './timespec.js';

/** Linux's SOCK_MAX: socket types at or above it are EINVAL. */
const SOCK_MAX = 11;
/** The most a datagram can be here (a bigger send is EMSGSIZE anyway). */
const MAX_DATAGRAM = 1 << 22;
/** Streams move through the sentry in pieces of this size. */
const STREAM_CHUNK = 1 << 20;
/**
 * Where sends gather the workload's bytes: a socket copies what it keeps and sendWaiting
 * copies what waits, so one buffer serves every send, and a busy stream allocates nothing.
 */
let sendBuffer: Buffer | undefined;

/** The segments' bytes, in the shared send buffer when they fit. */
function gatherToSend(mem: TaskMemory, segments: readonly IoSegment[]): Uint8Array {
  const total = totalLength(segments);
  if (total > STREAM_CHUNK) return gather(mem, segments);
  const into = (sendBuffer ??= Buffer.allocUnsafe(STREAM_CHUNK)).subarray(0, total);
  let at = 0;
  for (const segment of segments) {
    mem.readInto(segment.base, into.subarray(at, at + segment.length));
    at += segment.length;
  }
  return into;
}

/** The socket behind fd: EBADF, then ENOTSOCK. */
function socketFile(task: SyscallTask, fd: number): { file: FileDescription; socket: Socket } {
  const file = openFile(task, fd);
  return { file, socket: requireSocket(file) };
}

function socketArg(task: SyscallTask, reg: bigint): Socket {
  return socketFile(task, int32(reg)).socket;
}

/** A socket's file, answering the interface ioctls from the sandbox's stack. */
function socketFileFor(task: SyscallTask, socket: Socket, nonBlocking: boolean, caller: SocketCaller): FileDescription {
  const stack = task.kernel.net;
  return openSocketFile(task.kernel.vfs, task.fs, socket, nonBlocking, caller, (_socket, request, arg, memory) => interfaceIoctl(stack, request, arg, memory, hasCapability(caller, CAP_NET_ADMIN)));
}

/** A new socket's fd (SOCK_NONBLOCK, SOCK_CLOEXEC in flags); EMFILE closes the socket. */
function installSocket(task: SyscallTask, socket: Socket, flags: number, caller: SocketCaller): number {
  const file = socketFileFor(task, socket, (flags & SOCK.NONBLOCK) !== 0, caller);
  return task.fds.install(file, { cloexec: (flags & SOCK.CLOEXEC) !== 0, limit: fdLimit(task) });
}

/** socket(2)'s type argument split into the type and its flags, with Linux's checks. */
function typeAndFlags(domain: number, typeArg: number): { type: number; flags: number } {
  const flags = typeArg & ~SOCK.TYPE_MASK;
  if (flags & ~(SOCK.NONBLOCK | SOCK.CLOEXEC)) fail(E.EINVAL);
  if (domain < 0) fail(E.EAFNOSUPPORT);
  const type = typeArg & SOCK.TYPE_MASK;
  if (type >= SOCK_MAX) fail(E.EINVAL);
  return { type, flags };
}

function socket(task: SyscallTask, args: SyscallArgs): number {
  const domain = int32(args[0]);
  const { type, flags } = typeAndFlags(domain, int32(args[1]));
  const caller = socketCaller(task);
  return installSocket(task, task.kernel.net.socket(domain, type, int32(args[2]), caller), flags, caller);
}

function socketpair(task: SyscallTask, args: SyscallArgs): number {
  const domain = int32(args[0]);
  const { type, flags } = typeAndFlags(domain, int32(args[1]));
  const caller = socketCaller(task);
  const [a, b] = task.kernel.net.socketPair(domain, type, int32(args[2]), caller);
  const nonBlocking = (flags & SOCK.NONBLOCK) !== 0;
  const files = [a, b].map((socket) => socketFileFor(task, socket, nonBlocking, caller));
  installPair(task, pointer(args[3]), files[0]!, files[1]!, (flags & SOCK.CLOEXEC) !== 0);
  return 0;
}

function bind(task: SyscallTask, args: SyscallArgs): number {
  const socket = socketArg(task, args[0]);
  const raw = readSockaddr(task.mem, pointer(args[1]), int32(args[2]));
  socket.bind(bindAddress(socket, raw), socketCaller(task));
  return 0;
}

function listen(task: SyscallTask, args: SyscallArgs): number {
  const socket = socketArg(task, args[0]);
  // Compared unsigned, as Linux does: a negative backlog is the most there is.
  const backlog = uint32(args[1]);
  socket.listen(backlog > NET_LIMITS.somaxconn ? NET_LIMITS.somaxconn : backlog, socketCaller(task));
  return 0;
}

function connect(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const { file, socket } = socketFile(task, int32(args[0]));
  const address = connectAddress(socket, readSockaddr(task.mem, pointer(args[1]), int32(args[2])));
  const caller = socketCaller(task);
  const pending = socket.connect(address, caller, (file.statusFlags & O.NONBLOCK) !== 0);
  return pending ? holding(file, () => connectAfterWaits(task, socket, address, caller, pending)) : 0;
}

/** A blocking connect's wait, bounded by SO_SNDTIMEO (then EINPROGRESS or EAGAIN, as Linux). */
async function connectAfterWaits(task: SyscallTask, socket: Socket, address: SocketAddress, caller: SocketCaller, first: PendingConnect): Promise<number> {
  const deadline = deadlineOf(task, socket.sendTimeoutNs);
  for (let pending: PendingConnect | undefined = first; pending; ) {
    const ready = await waitSocket(task, pending.wait, pending.events, deadline);
    if (pending.kind === 'finish') {
      if (!ready) fail(E.EINPROGRESS);
      socket.finishConnect();
      return 0;
    }
    if (!ready) fail(E.EAGAIN);
    pending = socket.connect(address, caller, false);
  }
  return 0;
}

/** Linux finds the new fd before it waits: EMFILE leaves the connection queued. */
function checkFreeFd(task: SyscallTask): void {
  const limit = fdLimit(task);
  if (task.fds.count < limit) return;
  for (let fd = 0; fd < limit; fd++) if (!task.fds.entry(fd)) return;
  fail(E.EMFILE);
}

function acceptOn(task: SyscallTask, fd: number, addrAddr: bigint, lengthAddr: bigint, flags: number): number | Promise<number> {
  if (flags & ~(SOCK.CLOEXEC | SOCK.NONBLOCK)) return -E.EINVAL;
  const { file, socket } = socketFile(task, fd);
  checkFreeFd(task);
  const caller = socketCaller(task);
  const finish = (connection: Socket): number => {
    const newFd = installSocket(task, connection, flags, caller);
    if (addrAddr !== 0n) {
      try {
        let peer: SocketAddress;
        try {
          peer = connection.peerAddress();
        } catch {
          fail(E.ECONNABORTED);
        }
        writeSockaddr(task.mem, peer, addrAddr, lengthAddr);
      } catch (e) {
        task.fds.close(newFd);
        throw e;
      }
    }
    return newFd;
  };
  return andThen(acceptWaiting(task, file, socket, caller), finish);
}

function accept(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return acceptOn(task, int32(args[0]), pointer(args[1]), pointer(args[2]), 0);
}

function accept4(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  return acceptOn(task, int32(args[0]), pointer(args[1]), pointer(args[2]), int32(args[3]));
}

function getsockname(task: SyscallTask, args: SyscallArgs): number {
  const socket = socketArg(task, args[0]);
  writeSockaddr(task.mem, socket.localAddress(), pointer(args[1]), pointer(args[2]));
  return 0;
}

function getpeername(task: SyscallTask, args: SyscallArgs): number {
  const socket = socketArg(task, args[0]);
  writeSockaddr(task.mem, socket.peerAddress(), pointer(args[1]), pointer(args[2]));
  return 0;
}

function shutdown(task: SyscallTask, args: SyscallArgs): number {
  socketArg(task, args[0]).shutdown(int32(args[1]));
  return 0;
}

// ---- sending ----------------------------------------------------------------------------

/** A send or receive's byte count: a size_t, capped as Linux caps reads and writes. */
function byteCount(reg: bigint): number {
  const n = size(reg);
  return n > BigInt(MAX_RW_COUNT) ? MAX_RW_COUNT : Number(n);
}

/**
 * Sends segments from the workload's memory: a datagram whole, a stream in pieces so a
 * huge send never means a huge sentry buffer. The control's files stay the caller's to drop.
 */
function sendSegments(task: SyscallTask, file: FileDescription, socket: Socket, segments: readonly IoSegment[], flags: number, to: SocketAddress | undefined, control: SendControl): number | Promise<number> {
  const total = totalLength(segments);
  const message = (data: Uint8Array, first: boolean): OutgoingMessage => ({
    data,
    flags: 0,
    ...(to ? { to } : {}),
    ...(first && control.rights ? { rights: control.rights } : {}),
    ...(first && control.cred ? { cred: control.cred } : {}),
  });
  if (socket.type !== SOCK.STREAM) {
    if (total > MAX_DATAGRAM) fail(E.EMSGSIZE);
    return sendWaiting(task, file, socket, message(gatherToSend(task.mem, segments), true), flags);
  }
  const chunks = splitSegments(segments, STREAM_CHUNK);
  const next = (index: number, done: number): number | Promise<number> => {
    const piece = chunks[index];
    if (!piece) return done;
    const data = gatherToSend(task.mem, piece);
    let sent: number | Promise<number>;
    try {
      sent = sendWaiting(task, file, socket, message(data, index === 0), flags);
    } catch (e) {
      if (done > 0 && e instanceof SysError) return done;
      throw e;
    }
    return andThen(sent, (n) => (n < data.length ? done + n : next(index + 1, done + n)));
  };
  return next(0, 0);
}

/** The segments cut into runs of at most chunk bytes. */
function splitSegments(segments: readonly IoSegment[], chunk: number): IoSegment[][] {
  const out: IoSegment[][] = [[]];
  let room = chunk;
  for (const segment of segments) {
    let base = segment.base;
    let left = segment.length;
    while (left > 0) {
      const n = Math.min(left, room);
      out[out.length - 1]!.push({ base, length: n });
      base += BigInt(n);
      left -= n;
      room -= n;
      if (room === 0) {
        out.push([]);
        room = chunk;
      }
    }
  }
  if (out.length > 1 && out[out.length - 1]!.length === 0) out.pop();
  return out;
}

/** Drops the sender's references to passed files however the send ended. */
function releasing<T>(control: SendControl, run: () => T | Promise<T>): T | Promise<T> {
  let result: T | Promise<T>;
  try {
    result = run();
  } catch (e) {
    control.rights?.discard();
    throw e;
  }
  if (result instanceof Promise) return result.finally(() => control.rights?.discard());
  control.rights?.discard();
  return result;
}

function sendto(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const { file, socket } = socketFile(task, int32(args[0]));
  const length = byteCount(args[2]);
  const flags = uint32(args[3]);
  const addrAddr = pointer(args[4]);
  const to = addrAddr === 0n ? undefined : sendAddress(socket, readSockaddr(task.mem, addrAddr, int32(args[5])));
  return sendSegments(task, file, socket, [{ base: pointer(args[1]), length }], flags, to, {});
}

/** One sendmsg of the header at hdrAddr. */
function sendHeader(task: SyscallTask, file: FileDescription, socket: Socket, hdrAddr: bigint, flags: number): number | Promise<number> {
  const hdr = readMsghdr(task, hdrAddr);
  const to = hdr.nameLength === 0 ? undefined : sendAddress(socket, readSockaddr(task.mem, hdr.nameAddr, hdr.nameLength));
  const control = readSendControl(task, socket, hdr);
  return releasing(control, () => sendSegments(task, file, socket, hdr.iov, flags, to, control));
}

function sendmsg(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const { file, socket } = socketFile(task, int32(args[0]));
  return sendHeader(task, file, socket, pointer(args[1]), uint32(args[2]));
}

/**
 * sendmmsg and recvmmsg: one call per struct mmsghdr (at most UIO_MAXIOV), its result in
 * msg_len. An error after the first ends the batch with the count so far, as Linux does;
 * done() may end it early.
 */
async function eachHeader(task: SyscallTask, vecAddr: bigint, vlen: number, one: (entry: bigint, index: number) => number | Promise<number>, done: () => boolean = () => false): Promise<number> {
  const count = Math.min(vlen, UIO_MAXIOV);
  let finished = 0;
  while (finished < count) {
    const entry = vecAddr + BigInt(finished * MMSGHDR_SIZE);
    let n: number;
    try {
      n = await one(entry, finished);
    } catch (e) {
      if (finished > 0 && e instanceof SysError) break;
      throw e;
    }
    const out = Buffer.alloc(4);
    out.writeUInt32LE(n, 0);
    task.mem.write(entry + 56n, out);
    finished++;
    if (done()) break;
  }
  return finished;
}

function sendmmsg(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const { file, socket } = socketFile(task, int32(args[0]));
  const flags = uint32(args[3]);
  return eachHeader(task, pointer(args[1]), uint32(args[2]), (entry) => sendHeader(task, file, socket, entry, flags));
}

// ---- receiving --------------------------------------------------------------------------

/**
 * Receives into segments: what recv returns (the datagram's whole size with MSG_TRUNC)
 * and the message, for its address and control data. A stream with MSG_WAITALL is
 * received in pieces until all came.
 */
function receiveSegments(task: SyscallTask, file: FileDescription, socket: Socket, segments: readonly IoSegment[], flags: number): { result: number; message: IncomingMessage } | Promise<{ result: number; message: IncomingMessage }> {
  const total = totalLength(segments);
  const stream = socket.type === SOCK.STREAM;
  const want = Math.min(total, stream ? STREAM_CHUNK : MAX_DATAGRAM);
  return andThen(receiveWaiting(task, file, socket, want, flags), (message) => {
    scatter(task.mem, segments, message.data);
    const result = flags & MSG.TRUNC ? message.size : message.data.length;
    const more = stream && flags & MSG.WAITALL && !(flags & MSG.PEEK) && message.data.length === want && want < total && !message.rights;
    if (!more) return { result, message };
    return receiveRest(task, file, socket, segments, flags, message);
  });
}

/** The rest of a MSG_WAITALL stream receive bigger than one piece. */
async function receiveRest(task: SyscallTask, file: FileDescription, socket: Socket, segments: readonly IoSegment[], flags: number, first: IncomingMessage): Promise<{ result: number; message: IncomingMessage }> {
  const total = totalLength(segments);
  let done = first.data.length;
  while (done < total) {
    const rest = skipSegments(segments, done);
    const want = Math.min(total - done, STREAM_CHUNK);
    let message: IncomingMessage;
    try {
      const got = receiveWaiting(task, file, socket, want, flags);
      // An answer given at once is a view of the socket's queue: scattered before anything else runs.
      message = got instanceof Promise ? await got : got;
    } catch (e) {
      if (e instanceof SysError) break;
      throw e;
    }
    scatter(task.mem, rest, message.data);
    done += message.data.length;
    message.rights?.discard();
    if (message.data.length < want) break;
  }
  return { result: done, message: first };
}

function skipSegments(segments: readonly IoSegment[], skip: number): IoSegment[] {
  const out: IoSegment[] = [];
  let left = skip;
  for (const s of segments) {
    if (left >= s.length) {
      left -= s.length;
      continue;
    }
    out.push({ base: s.base + BigInt(left), length: s.length - left });
    left = 0;
  }
  return out;
}

/** read(2) on a socket: recv(2) without flags, straight into the workload's buffer. */
export function readSocket(task: SyscallTask, file: FileDescription, socket: Socket, addr: bigint, count: number): number | Promise<number> {
  return andThen(receiveSegments(task, file, socket, [{ base: addr, length: count }], 0), ({ result, message }) => {
    // read(2) has nowhere to put passed files: they are closed, as Linux does.
    message.rights?.discard();
    return result;
  });
}

/** write(2) on a socket: send(2) without flags. */
export function writeSocket(task: SyscallTask, file: FileDescription, socket: Socket, addr: bigint, count: number): number | Promise<number> {
  return sendSegments(task, file, socket, [{ base: addr, length: count }], 0, undefined, {});
}

function recvfrom(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const { file, socket } = socketFile(task, int32(args[0]));
  const length = byteCount(args[2]);
  const flags = uint32(args[3]);
  const addrAddr = pointer(args[4]);
  const lengthAddr = pointer(args[5]);
  return andThen(receiveSegments(task, file, socket, [{ base: pointer(args[1]), length }], flags), ({ result, message }) => {
    // recv(2) has nowhere to put passed files: they are closed.
    message.rights?.discard();
    if (addrAddr !== 0n) writeSockaddr(task.mem, message.from, addrAddr, lengthAddr);
    return result;
  });
}

/** One recvmsg into the header at hdrAddr: data, the sender's address, control data, msg_flags. */
function receiveHeader(task: SyscallTask, file: FileDescription, socket: Socket, hdrAddr: bigint, flags: number): number | Promise<number> {
  const hdr: Msghdr = readMsghdr(task, hdrAddr);
  return andThen(receiveSegments(task, file, socket, hdr.iov, flags), ({ result, message }) => {
    const control = writeReceiveControl(task, hdr, message.cred, message.rights, (flags & MSG.CMSG_CLOEXEC) !== 0);
    if (hdr.nameAddr !== 0n) writeSockaddr(task.mem, message.from, hdr.nameAddr, hdrAddr + 8n);
    const out = Buffer.alloc(8);
    out.writeBigUInt64LE(BigInt(control.length), 0);
    task.mem.write(hdrAddr + 40n, out);
    const flagsOut = Buffer.alloc(4);
    // Linux reports MSG_CMSG_CLOEXEC back in msg_flags.
    flagsOut.writeInt32LE(message.flags | control.flags | (flags & MSG.CMSG_CLOEXEC), 0);
    task.mem.write(hdrAddr + 48n, flagsOut);
    return result;
  });
}

function recvmsg(task: SyscallTask, args: SyscallArgs): number | Promise<number> {
  const { file, socket } = socketFile(task, int32(args[0]));
  return receiveHeader(task, file, socket, pointer(args[1]), uint32(args[2]));
}

/** recvmmsg(2): MSG_WAITFORONE makes all but the first non-blocking; the timeout is checked between messages. */
function recvmmsg(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const { file, socket } = socketFile(task, int32(args[0]));
  const flags = uint32(args[3]);
  const timeoutAddr = pointer(args[4]);
  const deadline = timeoutAddr === 0n ? undefined : task.kernel.monotonicNs() + readTimespec(task, timeoutAddr);
  const flagsFor = (index: number) => (index > 0 && flags & MSG.WAITFORONE ? flags | MSG.DONTWAIT : flags);
  const expired = () => deadline !== undefined && task.kernel.monotonicNs() >= deadline;
  return eachHeader(task, pointer(args[1]), uint32(args[2]), (entry, index) => receiveHeader(task, file, socket, entry, flagsFor(index)), expired);
}

// ---- options ----------------------------------------------------------------------------

function getsockopt(task: SyscallTask, args: SyscallArgs): number {
  const socket = socketArg(task, args[0]);
  const level = int32(args[1]);
  const name = int32(args[2]);
  const valueAddr = pointer(args[3]);
  const lengthAddr = pointer(args[4]);
  const room = task.mem.read(lengthAddr, 4).readInt32LE(0);
  if (room < 0) return -E.EINVAL;
  let value: Buffer;
  if (level === SOL.SOCKET && name === SO.PEERNAME) {
    // Linux refuses a buffer longer than the address here.
    let peer: SocketAddress;
    try {
      peer = socket.peerAddress();
    } catch {
      return -E.ENOTCONN;
    }
    value = encodeSockaddr(peer);
    if (value.length < room) return -E.EINVAL;
  } else {
    const option = socket.getOption(level, name);
    // SO_PEERCRED: the peer's pid as the caller's pid namespace numbers it, its ids as the
    // caller's user namespace sees them.
    const { creds } = task;
    value = encodeOption(
      option.kind === 'ucred'
        ? { ...option, cred: { pid: task.process.visiblePid(option.cred.pid), uid: idForTask(creds, 'uid', option.cred.uid), gid: idForTask(creds, 'gid', option.cred.gid) } }
        : option,
    );
  }
  const n = Math.min(room, value.length);
  if (n > 0) task.mem.write(valueAddr, value.subarray(0, n));
  const out = Buffer.alloc(4);
  out.writeInt32LE(n, 0);
  task.mem.write(lengthAddr, out);
  return 0;
}

function setsockopt(task: SyscallTask, args: SyscallArgs): number {
  const socket = socketArg(task, args[0]);
  const level = int32(args[1]);
  const name = int32(args[2]);
  const length = int32(args[4]);
  if (length < 0) return -E.EINVAL;
  const want = optionReadLength(level, name, length);
  const raw = want === 0 ? Buffer.alloc(0) : task.mem.read(pointer(args[3]), want);
  socket.setOption(level, name, decodeOption(level, name, raw));
  return 0;
}

export const socketSyscalls = {
  socket,
  socketpair,
  bind,
  listen,
  connect,
  accept,
  accept4,
  getsockname,
  getpeername,
  shutdown,
  sendto,
  sendmsg,
  sendmmsg,
  recvfrom,
  recvmsg,
  recvmmsg,
  getsockopt,
  setsockopt,
} satisfies Record<string, SyscallHandler>;
