// I/O on a file description that may have to wait, as a blocking read(2)/write(2) does:
// the one behaviour both syscall tables (Linux and WASI) give their reads and writes.

import { E, SysError } from '../abi/errno.js';
import { O } from '../abi/linux-fcntl.js';
import { POLL } from '../abi/linux-poll.js';
import type { FileDescription } from '../vfs/api.js';
import type { SyscallTask } from './syscall.js';

const SIGPIPE = 13;

function isNonBlocking(file: FileDescription): boolean {
  return (file.statusFlags & O.NONBLOCK) !== 0;
}

function wouldBlock(e: unknown): boolean {
  return e instanceof SysError && e.errno === E.EAGAIN;
}

/** read(2) semantics: waits for data on a blocking file that has none yet. */
export async function readWaiting(task: SyscallTask, file: FileDescription, buf: Uint8Array, position?: number): Promise<number> {
  for (;;) {
    try {
      return file.read(buf, position);
    } catch (e) {
      if (!wouldBlock(e) || isNonBlocking(file)) throw e;
    }
    await task.waitReady(file, POLL.IN);
  }
}

/**
 * write(2) semantics: a blocking file takes the whole buffer, waiting for room as often
 * as needed; a signal that interrupts after some bytes went returns that count. EPIPE
 * also raises SIGPIPE.
 */
export async function writeWaiting(task: SyscallTask, file: FileDescription, buf: Uint8Array, position?: number): Promise<number> {
  let done = 0;
  for (;;) {
    try {
      done += file.write(buf.subarray(done), position === undefined ? undefined : position + done);
      if (done === buf.length || isNonBlocking(file)) return done;
    } catch (e) {
      if (e instanceof SysError && e.errno === E.EPIPE) task.signalSelf(SIGPIPE);
      // A blocking writer waits for room however much went already; any other end
      // (an error, a non-blocking file) returns what was written, or the error.
      if (!wouldBlock(e) || isNonBlocking(file)) {
        if (done > 0 && e instanceof SysError) return done;
        throw e;
      }
    }
    try {
      await task.waitReady(file, POLL.OUT);
    } catch (e) {
      if (done > 0) return done;
      throw e;
    }
  }
}
