// ptrace between tasks of the sandbox, and the calls that reach another task's memory
// under ptrace's access rule (process_vm_readv/writev). The relation and its stops are
// the kernel's (src/sentry/kernel/ptrace/); pids name tasks of the sandbox only.

import { E, fail, isSysError } from '../../abi/errno.js';
import type { SyscallArgs, SyscallHandler, SyscallTask, TaskMemory } from '../../sentry/kernel/syscall.js';
import { int32, uint32 } from './decode.js';
import { readIovecs, type IoSegment } from './iovec.js';

const PAGE = 4096n;

/** ptrace(request, pid, addr, data): the raw call (PEEK* requests store the word at data). */
function ptrace(task: SyscallTask, args: SyscallArgs): number {
  return task.process.ptrace(Number(BigInt.asIntN(64, args[0])), int32(args[1]), args[2], args[3]);
}

/** process_vm_readv(pid, local_iov, liovcnt, remote_iov, riovcnt, flags). */
function process_vm_readv(task: SyscallTask, args: SyscallArgs): number {
  return transfer(task, args, 'read');
}

/** process_vm_writev(pid, local_iov, liovcnt, remote_iov, riovcnt, flags). */
function process_vm_writev(task: SyscallTask, args: SyscallArgs): number {
  return transfer(task, args, 'write');
}

/**
 * Copies between the caller's local segments and task pid's remote ones, in order, page
 * by page: the copy stops at the first page the remote side cannot give or take, and the
 * bytes moved so far are the result (EFAULT when none were).
 */
function transfer(task: SyscallTask, args: SyscallArgs, direction: 'read' | 'write'): number {
  if (args[5] !== 0n) fail(E.EINVAL);
  const local = readIovecs(task.mem, args[1], uint32(args[2]));
  const remote = readIovecs(task.mem, args[3], uint32(args[4]));
  const target = task.process.memoryOf(int32(args[0]));
  const wanted = Math.min(total(local), total(remote));
  if (wanted === 0) return 0;
  const bytes = direction === 'read' ? Buffer.alloc(wanted) : gather(task.mem, local, wanted);
  let moved = 0;
  for (const piece of pages(remote, wanted)) {
    const chunk = bytes.subarray(moved, moved + piece.length);
    const done = direction === 'read' ? tryCopy(() => target.readInto(piece.base, chunk)) : tryCopy(() => target.write(piece.base, chunk));
    if (!done) break;
    moved += piece.length;
  }
  if (moved === 0) fail(E.EFAULT);
  if (direction === 'read') scatter(task.mem, local, bytes.subarray(0, moved));
  return moved;
}

function total(segments: readonly IoSegment[]): number {
  return segments.reduce((sum, s) => sum + s.length, 0);
}

/** The remote segments cut at page boundaries, up to limit bytes in all. */
function* pages(segments: readonly IoSegment[], limit: number): Generator<IoSegment> {
  let left = limit;
  for (const segment of segments) {
    let base = segment.base;
    let length = Math.min(segment.length, left);
    while (length > 0) {
      const piece = Math.min(Number(PAGE - (base % PAGE)), length);
      yield { base, length: piece };
      base += BigInt(piece);
      length -= piece;
      left -= piece;
    }
  }
}

/** Whether a copy of the other task's memory went through (a fault there ends the transfer). */
function tryCopy(copy: () => void): boolean {
  try {
    copy();
    return true;
  } catch (e) {
    if (isSysError(e)) return false;
    throw e;
  }
}

/** The first length bytes of the caller's segments (a fault there is its EFAULT). */
function gather(memory: TaskMemory, segments: readonly IoSegment[], length: number): Buffer {
  const parts: Buffer[] = [];
  let left = length;
  for (const segment of segments) {
    if (left === 0) break;
    const n = Math.min(segment.length, left);
    parts.push(memory.read(segment.base, n));
    left -= n;
  }
  return Buffer.concat(parts);
}

/** Spreads bytes over the caller's segments in order. */
function scatter(memory: TaskMemory, segments: readonly IoSegment[], bytes: Buffer): void {
  let at = 0;
  for (const segment of segments) {
    if (at === bytes.length) break;
    const n = Math.min(segment.length, bytes.length - at);
    memory.write(segment.base, bytes.subarray(at, at + n));
    at += n;
  }
}

export const ptraceSyscalls = {
  ptrace,
  process_vm_readv,
  process_vm_writev,
} satisfies Record<string, SyscallHandler>;
