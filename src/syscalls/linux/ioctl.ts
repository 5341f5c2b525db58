// ioctl(2): the requests every file answers the same way (close-on-exec, non-blocking,
// bytes readable of a regular file), and the rest forwarded to the file itself, which
// answers ENOTTY for what it does not know (TCGETS on a non-terminal: isatty is false).

import { E } from '../../abi/errno.js';
import { IOCTL } from '../../abi/linux-ioctl.js';
import { O } from '../../abi/linux-fcntl.js';
import { S } from '../../abi/linux-stat.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import { int32, pointer, uint32 } from './decode.js';
import { openFile } from './task-files.js';
import { checkTerminalChange, JOB_CONTROL_REQUESTS, jobControlIoctl, jobControlTerminal, TERMINAL_CHANGES } from './tty-job-control.js';
import { writeInt32 } from './user-int.js';

function ioctl(task: SyscallTask, args: SyscallArgs): number {
  const fd = int32(args[0]);
  const request = uint32(args[1]);
  const arg = pointer(args[2]);
  const file = openFile(task, fd);
  switch (request) {
    case IOCTL.FIOCLEX:
      task.fds.setCloexec(fd, true);
      return 0;
    case IOCTL.FIONCLEX:
      task.fds.setCloexec(fd, false);
      return 0;
    case IOCTL.FIONBIO: {
      const on = task.mem.read(arg, 4).readInt32LE() !== 0;
      file.setStatusFlags(on ? file.statusFlags | O.NONBLOCK : file.statusFlags & ~O.NONBLOCK);
      return 0;
    }
    case IOCTL.FIONREAD: {
      const st = file.stat();
      const type = st.mode & S.IFMT;
      if (type === S.IFDIR) return -E.EINVAL;
      if (type !== S.IFREG) return file.ioctl(request, arg, task.mem);
      writeInt32(task.mem, arg, Math.max(0, Math.min(st.size - file.offset, 0x7fffffff)));
      return 0;
    }
    case IOCTL.FIGETBSZ: {
      const st = file.stat();
      writeInt32(task.mem, arg, st.blksize);
      return 0;
    }
    default: {
      const terminal = JOB_CONTROL_REQUESTS.has(request) || TERMINAL_CHANGES.has(request) ? jobControlTerminal(file) : undefined;
      if (terminal && JOB_CONTROL_REQUESTS.has(request)) return jobControlIoctl(task, terminal, request, arg);
      if (terminal) checkTerminalChange(terminal);
      return file.ioctl(request, arg, task.mem);
    }
  }
}

export const ioctlSyscalls = { ioctl } satisfies Record<string, SyscallHandler>;
