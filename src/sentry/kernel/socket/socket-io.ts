// Sending, receiving and accepting on a socket for a task, as the blocking calls do
// (sendmsg, recvmsg, accept4, and read/write on a socket): waits for readiness on a blocking socket, bounded by
// SO_SNDTIMEO/SO_RCVTIMEO, MSG_WAITALL and SO_RCVLOWAT on streams, SIGPIPE after EPIPE.
// The netstack itself never waits (src/netstack/socket.ts).

import { E, ERESTARTSYS, SysError, fail } from '../../../abi/errno.js';
import { O } from '../../../abi/linux-fcntl.js';
import { POLL } from '../../../abi/linux-poll.js';
import { MSG, SO, SOCK, SOL } from '../../../abi/linux-socket.js';
import type { IncomingMessage, OutgoingMessage, Socket, SocketCaller } from '../../../netstack/socket.js';
import type { FileDescription, Waitable } from '../../../vfs/api.js';
import { socketCaller } from './socket-caller.js';
import type { SyscallTask } from '../syscall.js';

const SIGPIPE = 13;

/**
 * The MSG_* bits a receive hands down to the protocol (MSG_DONTWAIT is set for any
 * non-blocking call: a few answers differ, as a datagram socket shut for reading).
 */
const PROTOCOL_RECEIVE_FLAGS = MSG.PEEK | MSG.TRUNC | MSG.OOB | MSG.ERRQUEUE;
/** The same for sends. */
const PROTOCOL_SEND_FLAGS = MSG.OOB | MSG.EOR | MSG.MORE | MSG.CONFIRM;

function wouldBlock(e: unknown): boolean {
  return e instanceof SysError && e.errno === E.EAGAIN;
}

/** Whether the call may not wait: MSG_DONTWAIT, or an O_NONBLOCK description. */
export function nonBlockingCall(file: FileDescription, flags: number): boolean {
  return (flags & MSG.DONTWAIT) !== 0 || (file.statusFlags & O.NONBLOCK) !== 0;
}

/** A wait's end on the monotonic clock, for a socket timeout (0: none). */
export function deadlineOf(task: SyscallTask, timeoutNs: bigint): bigint | undefined {
  return timeoutNs === 0n ? undefined : task.kernel.monotonicNs() + timeoutNs;
}

/**
 * Waits until waitable has one of events, or the deadline passes (false). A signal ends
 * the wait with ERESTARTSYS, or EINTR once a timeout is set (Linux's sock_intr_errno:
 * such calls are never restarted).
 */
export async function waitSocket(task: SyscallTask, waitable: Waitable, events: number, deadline: bigint | undefined): Promise<boolean> {
  try {
    if (deadline === undefined) {
      await task.waitReady(waitable, events);
      return true;
    }
    const left = deadline - task.kernel.monotonicNs();
    if (left <= 0n) return false;
    const [ready] = await task.waitAnyReady([{ file: waitable, events }], left);
    return (ready ?? 0) !== 0;
  } catch (e) {
    if (deadline !== undefined && e instanceof SysError && e.errno === ERESTARTSYS) fail(E.EINTR);
    throw e;
  }
}

/**
 * Runs a wait with a reference to file held, as the kernel holds the file of a call in
 * progress: another thread closing the last fd does not release the socket under it.
 */
export async function holding<T>(file: FileDescription, wait: () => Promise<T>): Promise<T> {
  file.ref();
  try {
    return await wait();
  } finally {
    file.unref();
  }
}

/** How many bytes a blocking stream receive waits for (Linux's sock_rcvlowat). */
function receiveTarget(socket: Socket, length: number, flags: number): number {
  if (flags & MSG.WAITALL) return Math.max(length, 1);
  const lowWater = socket.getOption(SOL.SOCKET, SO.RCVLOWAT);
  const value = lowWater.kind === 'int' ? lowWater.value : 1;
  return Math.max(Math.min(value, length), 1);
}

/**
 * recv(2): a message, or what a stream has; a blocking call waits for one (a stream
 * until SO_RCVLOWAT bytes, or all it asked for with MSG_WAITALL). An answer given at once
 * may be a view of the socket's queue, good until the socket is sent to again: use it
 * before anything else runs (never across an await). An answer that waited owns its bytes.
 */
export function receiveWaiting(task: SyscallTask, file: FileDescription, socket: Socket, length: number, flags: number): IncomingMessage | Promise<IncomingMessage> {
  const nonBlocking = nonBlockingCall(file, flags);
  const request = { length, flags: (flags & PROTOCOL_RECEIVE_FLAGS) | (nonBlocking ? MSG.DONTWAIT : 0) };
  const attempt = (wanted: number): IncomingMessage | undefined => {
    try {
      return socket.receive({ ...request, length: wanted });
    } catch (e) {
      if (!wouldBlock(e) || nonBlocking) throw e;
      return undefined;
    }
  };
  const stream = socket.type === SOCK.STREAM;
  const target = stream && !nonBlocking ? receiveTarget(socket, length, flags) : 1;
  if (target > 1 && flags & MSG.PEEK) return holding(file, () => peekWaiting(task, socket, request, target));
  const first = attempt(length);
  if (first && (!stream || length === 0 || first.data.length >= target || !continues(first))) return first;
  return holding(file, () => receiveAfterWaits(task, socket, length, target, first, attempt));
}

/** Whether a stream receive that has first may take more after it. */
function continues(message: IncomingMessage): boolean {
  return !message.eof && message.rights === undefined;
}

async function receiveAfterWaits(
  task: SyscallTask,
  socket: Socket,
  length: number,
  target: number,
  first: IncomingMessage | undefined,
  attempt: (wanted: number) => IncomingMessage | undefined,
): Promise<IncomingMessage> {
  const deadline = deadlineOf(task, socket.receiveTimeoutNs);
  const parts: IncomingMessage[] = first ? [owning(first)] : [];
  let got = first?.data.length ?? 0;
  for (;;) {
    let ready: boolean;
    try {
      ready = await waitSocket(task, socket, POLL.IN, deadline);
    } catch (e) {
      if (parts.length > 0) break;
      throw e;
    }
    if (!ready) {
      if (parts.length > 0) break;
      fail(E.EAGAIN);
    }
    let next: IncomingMessage | undefined;
    try {
      next = attempt(length - got);
    } catch (e) {
      if (parts.length > 0) break;
      throw e;
    }
    if (!next) continue;
    parts.push(owning(next));
    got += next.data.length;
    if (got >= target || length === 0 || !continues(next) || socket.type !== SOCK.STREAM) break;
  }
  return joinParts(parts);
}

/** message with a copy of its data: what a socket's queue may reuse, kept across a wait. */
function owning(message: IncomingMessage): IncomingMessage {
  return { ...message, data: Uint8Array.prototype.slice.call(message.data) };
}

/** One message from the pieces of a stream receive: the data in order, the first's sender. */
function joinParts(parts: readonly IncomingMessage[]): IncomingMessage {
  if (parts.length === 1) return parts[0]!;
  const data = Buffer.concat(parts.map((p) => p.data));
  const withRights = parts.find((p) => p.rights);
  const first = parts[0]!;
  return { ...first, data, size: data.length, eof: false, ...(withRights ? { rights: withRights.rights } : {}) };
}

/** MSG_PEEK with a target: waits until the stream has that much (or ends), then peeks once. */
async function peekWaiting(task: SyscallTask, socket: Socket, request: { length: number; flags: number }, target: number): Promise<IncomingMessage> {
  const deadline = deadlineOf(task, socket.receiveTimeoutNs);
  const enough: Waitable = {
    readiness: () => (socket.inQueue >= target || socket.readiness(POLL.RDHUP) & (POLL.RDHUP | POLL.HUP | POLL.ERR) ? POLL.IN : 0),
    subscribe: (mask, callback) => socket.subscribe(mask | POLL.RDHUP, callback),
  };
  if (!(await waitSocket(task, enough, POLL.IN, deadline)) && socket.inQueue === 0) fail(E.EAGAIN);
  return owning(socket.receive(request));
}

/**
 * send(2): a stream takes all of data on a blocking socket (waiting for room, bounded by
 * SO_SNDTIMEO; a signal after some bytes went returns that count), what fits on a
 * non-blocking one; a datagram goes whole. EPIPE with nothing sent raises SIGPIPE on a
 * stream unless MSG_NOSIGNAL. message.data is only lent for the call (the caller may
 * reuse it once sendWaiting returns, even as a Promise).
 */
export function sendWaiting(task: SyscallTask, file: FileDescription, socket: Socket, message: OutgoingMessage, flags: number, caller: SocketCaller = socketCaller(task)): number | Promise<number> {
  const nonBlocking = nonBlockingCall(file, flags);
  const progress = { done: 0 };
  let outgoing = { ...message, flags: message.flags | (flags & PROTOCOL_SEND_FLAGS) };
  const attempt = (): number | undefined => {
    try {
      // Rights and SCM_CREDENTIALS travel with the first bytes only.
      const part = progress.done === 0 ? outgoing : { data: outgoing.data.subarray(progress.done), flags: outgoing.flags, ...(outgoing.to ? { to: outgoing.to } : {}) };
      progress.done += socket.send(part, caller);
      if (progress.done >= message.data.length || nonBlocking) return progress.done;
    } catch (e) {
      if (e instanceof SysError && e.errno === E.EPIPE && progress.done === 0 && socket.type === SOCK.STREAM && (flags & MSG.NOSIGNAL) === 0) task.signalSelf(SIGPIPE);
      if (!wouldBlock(e) || nonBlocking) {
        if (progress.done > 0 && e instanceof SysError) return progress.done;
        throw e;
      }
    }
    return undefined;
  };
  const done = attempt();
  if (done !== undefined) return done;
  // The rest goes after waits: a copy of its own, as the caller's buffer is only lent.
  outgoing = { ...outgoing, data: Uint8Array.prototype.slice.call(outgoing.data) };
  return holding(file, () => sendAfterWaits(task, socket, progress, attempt));
}

async function sendAfterWaits(task: SyscallTask, socket: Socket, progress: { done: number }, attempt: () => number | undefined): Promise<number> {
  const deadline = deadlineOf(task, socket.sendTimeoutNs);
  for (;;) {
    let ready: boolean;
    try {
      ready = await waitSocket(task, socket, POLL.OUT, deadline);
    } catch (e) {
      if (progress.done > 0) return progress.done;
      throw e;
    }
    if (!ready) {
      if (progress.done > 0) return progress.done;
      fail(E.EAGAIN);
    }
    const finished = attempt();
    if (finished !== undefined) return finished;
  }
}

/** accept4(2): a connection; a blocking socket waits for one (bounded by SO_RCVTIMEO). */
export function acceptWaiting(task: SyscallTask, file: FileDescription, socket: Socket, caller: SocketCaller): Socket | Promise<Socket> {
  try {
    return socket.accept(caller);
  } catch (e) {
    if (!wouldBlock(e) || file.statusFlags & O.NONBLOCK) throw e;
  }
  return holding(file, async () => {
    const deadline = deadlineOf(task, socket.receiveTimeoutNs);
    for (;;) {
      if (!(await waitSocket(task, socket, POLL.IN, deadline))) fail(E.EAGAIN);
      try {
        return socket.accept(caller);
      } catch (e) {
        if (!wouldBlock(e)) throw e;
      }
    }
  });
}
