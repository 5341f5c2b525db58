// I/O on a file description that may have to wait, as a blocking read(2)/write(2) does:
// the one behaviour both syscall tables (Linux and WASI) give their reads and writes.

import { E, SysError, fail } from '../../../abi/errno.js';
import { O } from '../../../abi/linux-fcntl.js';
import { POLL } from '../../../abi/linux-poll.js';
import { SIG } from '../../../abi/linux-signal.js';
import type { FileDescription } from '../../../vfs/api.js';
import { withinFileSizeLimit } from '../file-size-limit.js';
import { socketOf } from '../socket/socket-file.js';
import { receiveWaiting, sendWaiting } from '../socket/socket-io.js';
import type { SyscallTask } from '../syscall.js';


function isNonBlocking(file: FileDescription): boolean {
  return (file.statusFlags & O.NONBLOCK) !== 0;
}

function wouldBlock(e: unknown): boolean {
  return e instanceof SysError && e.errno === E.EAGAIN;
}

/**
 * Applies f to a result that may still be coming: at once when it is already here, so a
 * call that needs no wait answers at its seccomp stop without a trip through the event loop.
 */
export function andThen<T, U>(value: T | Promise<T>, f: (v: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(f) : f(value);
}

/** read(2) semantics: waits for data on a blocking file that has none yet. */
export function readWaiting(task: SyscallTask, file: FileDescription, buf: Uint8Array, position?: number): number | Promise<number> {
  const socket = socketOf(file);
  if (socket) {
    // recv(2) without flags, with the socket's timeouts; passed files have nowhere to go.
    if (position !== undefined) fail(E.ESPIPE);
    return andThen(receiveWaiting(task, file, socket, buf.length, 0), (message) => {
      message.rights?.discard();
      buf.set(message.data);
      return message.data.length;
    });
  }
  const n = readOnce(file, buf, position);
  return n ?? readAfterWaits(task, file, buf, position);
}

/** The count read, or undefined when a blocking reader must wait for data. */
function readOnce(file: FileDescription, buf: Uint8Array, position?: number): number | undefined {
  try {
    return file.read(buf, position);
  } catch (e) {
    if (!wouldBlock(e) || isNonBlocking(file)) throw e;
    return undefined;
  }
}

function readAfterWaits(task: SyscallTask, file: FileDescription, buf: Uint8Array, position?: number): Promise<number> {
  return retryWhenReady(task, file, POLL.IN, () => readOnce(file, buf, position));
}

/**
 * Retries attempt (undefined: it would still block) until it answers, waiting for file to
 * be ready for events in between. A file can say it is ready and the attempt still get
 * nowhere (an eventfd with room for 1 and a write of 2): then the next retry waits for the
 * next change of the file's readiness, so no retry ever spins without a wait. progress
 * counts what attempts have done so far (bytes of a write that goes in pieces).
 */
export async function retryWhenReady<T>(task: SyscallTask, file: FileDescription, events: number, attempt: () => T | undefined, progress: () => number = () => 0): Promise<T> {
  for (let stalled = false; ; ) {
    await (stalled ? task.waitChange(file, events) : task.waitReady(file, events));
    const before = progress();
    const result = attempt();
    if (result !== undefined) return result;
    stalled = progress() === before;
  }
}

/**
 * write(2) semantics: a blocking file takes the whole buffer, waiting for room as often
 * as needed; a signal that interrupts after some bytes went returns that count. EPIPE
 * also raises SIGPIPE; a regular file takes no more than RLIMIT_FSIZE allows.
 */
export function writeWaiting(task: SyscallTask, file: FileDescription, buf: Uint8Array, position?: number): number | Promise<number> {
  const socket = socketOf(file);
  if (socket) {
    // send(2) without flags, as the calling task (SCM_CREDENTIALS name it).
    if (position !== undefined) fail(E.ESPIPE);
    return sendWaiting(task, file, socket, { data: buf, flags: 0 }, 0);
  }
  const data = withinFileSizeLimit(task, file, buf, position);
  const progress = { done: 0 };
  return writeOnce(task, file, data, progress, position) ?? writeAfterWaits(task, file, data, progress, position);
}

/** One write: the call's result once it is over, or undefined when a blocking writer must wait for room. */
function writeOnce(task: SyscallTask, file: FileDescription, buf: Uint8Array, progress: { done: number }, position?: number): number | undefined {
  try {
    progress.done += file.write(buf.subarray(progress.done), position === undefined ? undefined : position + progress.done);
    if (progress.done === buf.length || isNonBlocking(file)) return progress.done;
  } catch (e) {
    if (e instanceof SysError && e.errno === E.EPIPE) task.signalSelf(SIG.PIPE);
    // A blocking writer waits for room however much went already; any other end
    // (an error, a non-blocking file) returns what was written, or the error.
    if (!wouldBlock(e) || isNonBlocking(file)) {
      if (progress.done > 0 && e instanceof SysError) return progress.done;
      throw e;
    }
  }
  return undefined;
}

async function writeAfterWaits(task: SyscallTask, file: FileDescription, buf: Uint8Array, progress: { done: number }, position?: number): Promise<number> {
  try {
    return await retryWhenReady(task, file, POLL.OUT, () => writeOnce(task, file, buf, progress, position), () => progress.done);
  } catch (e) {
    // A signal ended a wait: what went already is the call's result.
    if (progress.done > 0) return progress.done;
    throw e;
  }
}
