// The job-control ioctls of a terminal (tcgetpgrp, tcsetpgrp, tcgetsid, TIOCSCTTY,
// TIOCNOTTY): they need the calling process's session and groups, which only the
// syscall layer has.

import { E, SysError } from '../../abi/errno.js';
import { IOCTL } from '../../abi/linux-ioctl.js';
import { hostTerminalOf } from '../../sentry/kernel/files/host-file.js';
import type { JobControlTerminal } from '../../sentry/kernel/files/host-file-termios.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription } from '../../vfs/api.js';
import { writeInt32 } from './user-int.js';

export const JOB_CONTROL_REQUESTS: ReadonlySet<number> = new Set([IOCTL.TIOCGPGRP, IOCTL.TIOCSPGRP, IOCTL.TIOCGSID, IOCTL.TIOCSCTTY, IOCTL.TIOCNOTTY]);

/** Requests that change a terminal's state: a background process must not make them (tty_check_change). */
export const TERMINAL_CHANGES: ReadonlySet<number> = new Set([IOCTL.TCSETS, IOCTL.TCSETSW, IOCTL.TCSETSF, IOCTL.TCSBRK, IOCTL.TCXONC, IOCTL.TCFLSH]);

/**
 * Linux's tty_check_change for the caller's controlling terminal: a process outside the
 * foreground group gets SIGTTOU for its group and the call restarts once it is continued;
 * it goes ahead when it blocks or ignores SIGTTOU; EIO when its group is orphaned.
 */
export function checkTerminalChange(terminal: JobControlTerminal): void {
  terminal.checkAccess?.('write');
}

/** The job-control state of a terminal file: host ttys for now (devpts can join). */
export function jobControlTerminal(file: FileDescription): JobControlTerminal | undefined {
  return hostTerminalOf(file);
}

/** A process group of the caller's session, or EPERM, as tcsetpgrp checks it. */
function inCallersSession(task: SyscallTask, pgrp: number): boolean {
  try {
    return task.process.getsid(pgrp) === task.process.sid;
  } catch (e) {
    if (e instanceof SysError) return false;
    throw e;
  }
}

export function jobControlIoctl(task: SyscallTask, terminal: JobControlTerminal, request: number, arg: bigint): number {
  // The terminal keeps the kernel's identities of its session and group; the caller names
  // and reads them as its pid namespace numbers them.
  const { process } = task;
  const sid = process.sid;
  const controlling = terminal.session !== undefined && process.visiblePid(terminal.session) === sid;
  switch (request) {
    case IOCTL.TIOCGPGRP:
      if (!controlling) return -E.ENOTTY;
      writeInt32(task.mem, arg, terminal.foreground === undefined ? 0 : process.visiblePid(terminal.foreground));
      return 0;
    case IOCTL.TIOCGSID:
      if (!controlling) return -E.ENOTTY;
      writeInt32(task.mem, arg, sid);
      return 0;
    case IOCTL.TIOCSPGRP: {
      if (!controlling) return -E.ENOTTY;
      try {
        checkTerminalChange(terminal);
      } catch (e) {
        // tcsetpgrp from an orphaned background group: ENOTTY, as tiocspgrp says.
        if (e instanceof SysError && e.errno === E.EIO) return -E.ENOTTY;
        throw e;
      }
      const pgrp = task.mem.read(arg, 4).readInt32LE();
      if (pgrp < 0) return -E.EINVAL;
      if (!inCallersSession(task, pgrp)) return -E.EPERM;
      terminal.foreground = process.pidId(pgrp);
      return 0;
    }
    case IOCTL.TIOCSCTTY:
      if (controlling) return 0;
      if (sid !== process.pid || terminal.session !== undefined) return -E.EPERM;
      terminal.session = process.pidId(sid);
      terminal.foreground = process.pidId(process.pgid);
      return 0;
    default: // TIOCNOTTY
      if (!controlling) return -E.ENOTTY;
      terminal.session = undefined;
      terminal.foreground = undefined;
      return 0;
  }
}
