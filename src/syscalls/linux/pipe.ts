// pipe(2) and pipe2(2).

import { E } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { Pipe } from '../../sentry/kernel/files/pipe.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { pointer, uint32 } from './decode.js';
import { installPair } from './task-files.js';

function makePipe(task: SyscallTask, fdsAddr: bigint, flags: number): number {
  // O_DIRECT (packet mode) is not implemented: EINVAL, as kernels before 3.4 answered.
  if ((flags & ~(O.CLOEXEC | O.NONBLOCK)) !== 0) return -E.EINVAL;
  const pipe = new Pipe(task.fs.creds, task.kernel.memory.buffers);
  const name = `pipe:[${pipe.ino}]`;
  const vfs = task.kernel.vfs;
  const status = flags & O.NONBLOCK;
  const cloexec = (flags & O.CLOEXEC) !== 0;
  const readEnd = vfs.openAnonymous(pipe, name, O.RDONLY | status, task.fs);
  const writeEnd = vfs.openAnonymous(pipe, name, O.WRONLY | status, task.fs);
  installPair(task, fdsAddr, readEnd, writeEnd, cloexec);
  return 0;
}

function pipe(task: SyscallTask, args: SyscallArgs): number {
  return makePipe(task, pointer(args[0]), 0);
}

function pipe2(task: SyscallTask, args: SyscallArgs): number {
  return makePipe(task, pointer(args[0]), uint32(args[1]));
}

export const pipeSyscalls = { pipe, pipe2 } satisfies Record<string, SyscallHandler>;
