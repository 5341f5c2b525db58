import { describe, expect, it } from 'vitest';
import { E, fail } from '../../../src/abi/errno.js';
import { IOCTL } from '../../../src/abi/linux-ioctl.js';
import type { JobControlTerminal } from '../../../src/sentry/kernel/files/host-file-termios.js';
import type { ProcessControl } from '../../../src/sentry/kernel/syscall.js';
import { jobControlIoctl } from '../../../src/syscalls/linux/tty-job-control.js';
import { fakeTask, makeVfs } from './harness.js';

/** A session 1 with groups 1 and 7; pid 9 is in another session. */
function sessionTask(pid: number, sid: number, pgid: number) {
  const t = fakeTask(makeVfs().vfs);
  (t as { pid: number }).pid = pid;
  const processControl = {
    pid,
    sid,
    pgid,
    visiblePid: (id: number) => id,
    pidId: (n: number) => n,
    getsid: (p: number) => (p === 1 || p === 7 ? 1 : p === 9 ? 9 : fail(E.ESRCH)),
  } as unknown as ProcessControl;
  (t as { process: ProcessControl }).process = processControl;
  return t;
}

function pidArg(t: ReturnType<typeof sessionTask>, value: number): bigint {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  return t.mem.put(b);
}

describe('terminal job control', () => {
  it('a session leader takes the terminal; its session reads and moves the foreground group', () => {
    const terminal: JobControlTerminal = { session: undefined, foreground: undefined };
    const leader = sessionTask(1, 1, 1);
    const out = leader.mem.alloc(4);
    expect(jobControlIoctl(leader, terminal, IOCTL.TIOCGPGRP, out)).toBe(-E.ENOTTY);
    expect(jobControlIoctl(leader, terminal, IOCTL.TIOCSCTTY, 0n)).toBe(0);
    expect(jobControlIoctl(leader, terminal, IOCTL.TIOCGPGRP, out)).toBe(0);
    expect(leader.mem.read(out, 4).readInt32LE()).toBe(1);
    expect(jobControlIoctl(leader, terminal, IOCTL.TIOCSPGRP, pidArg(leader, 7))).toBe(0);
    expect(terminal.foreground).toBe(7);
    expect(jobControlIoctl(leader, terminal, IOCTL.TIOCSPGRP, pidArg(leader, 9))).toBe(-E.EPERM);
    expect(jobControlIoctl(leader, terminal, IOCTL.TIOCSPGRP, pidArg(leader, 42))).toBe(-E.EPERM);
    expect(jobControlIoctl(leader, terminal, IOCTL.TIOCSPGRP, pidArg(leader, -1))).toBe(-E.EINVAL);
    expect(jobControlIoctl(leader, terminal, IOCTL.TIOCGSID, out)).toBe(0);
    expect(leader.mem.read(out, 4).readInt32LE()).toBe(1);
  });

  it('another session neither reads nor steals it', () => {
    const terminal: JobControlTerminal = { session: 1, foreground: 1 };
    const outsider = sessionTask(9, 9, 9);
    expect(jobControlIoctl(outsider, terminal, IOCTL.TIOCGPGRP, outsider.mem.alloc(4))).toBe(-E.ENOTTY);
    expect(jobControlIoctl(outsider, terminal, IOCTL.TIOCSCTTY, 0n)).toBe(-E.EPERM);
    const member = sessionTask(7, 1, 7);
    expect(jobControlIoctl(member, terminal, IOCTL.TIOCNOTTY, 0n)).toBe(0);
    expect(terminal.session).toBeUndefined();
  });
});
