// The terminal side of a host tty given to the workload as stdio. The native helper
// has no ioctl binding, so termios is the sentry's own copy, starting from Linux's
// defaults for a new terminal; turning canonical mode off or on is applied to the host
// terminal through Node's raw mode, which is what line editors and pagers need.

import * as tty from 'node:tty';
import { E, fail } from '../abi/errno.js';
import { IOCTL, TERMIOS_SIZE, WINSIZE_SIZE } from '../abi/linux-ioctl.js';
import type { UserMemory } from '../vfs/api.js';

const ICANON = 0x2;
const LFLAG_OFFSET = 12;

/** Linux's tty_std_termios: c_iflag, c_oflag, c_cflag, c_lflag, c_line, c_cc[19]. */
function defaultTermios(): Buffer {
  const b = Buffer.alloc(TERMIOS_SIZE);
  b.writeUInt32LE(0x500, 0); // ICRNL | IXON
  b.writeUInt32LE(0x5, 4); // OPOST | ONLCR
  b.writeUInt32LE(0xbf, 8); // B38400 | CS8 | CREAD
  b.writeUInt32LE(0x8a3b, LFLAG_OFFSET); // ISIG ICANON ECHO ECHOE ECHOK ECHOCTL ECHOKE IEXTEN
  const cc = [3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0];
  cc.forEach((v, i) => (b[17 + i] = v));
  return b;
}

/**
 * A terminal's job-control state: the session it is the controlling terminal of, and
 * that session's foreground process group (what tcgetpgrp/tcsetpgrp read and set, and
 * where the sentry sends the signals the host terminal raises).
 */
export interface JobControlTerminal {
  session: number | undefined;
  foreground: number | undefined;
}

export class HostTerminal implements JobControlTerminal {
  session: number | undefined;
  foreground: number | undefined;
  private termios = defaultTermios();
  private windowSize: Buffer | undefined;
  private sizeSource: tty.WriteStream | undefined;

  constructor(
    private readonly hostFd: number,
    private readonly rawModeTarget: () => tty.ReadStream | undefined,
  ) {}

  ioctl(request: number, arg: bigint, memory: UserMemory): number {
    switch (request) {
      case IOCTL.TCGETS:
        memory.write(arg, this.termios);
        return 0;
      case IOCTL.TCSETS:
      case IOCTL.TCSETSW:
      case IOCTL.TCSETSF:
        this.setTermios(Buffer.from(memory.read(arg, TERMIOS_SIZE)));
        return 0;
      case IOCTL.TIOCGWINSZ:
        memory.write(arg, this.currentWindowSize());
        return 0;
      case IOCTL.TIOCSWINSZ:
        // Kept for the sandbox's view; the host terminal's size belongs to its user.
        this.windowSize = Buffer.from(memory.read(arg, WINSIZE_SIZE));
        return 0;
      default:
        fail(E.ENOTTY);
    }
  }

  private setTermios(next: Buffer): void {
    const wasCanonical = (this.termios.readUInt32LE(LFLAG_OFFSET) & ICANON) !== 0;
    const canonical = (next.readUInt32LE(LFLAG_OFFSET) & ICANON) !== 0;
    this.termios = next;
    if (wasCanonical !== canonical) this.rawModeTarget()?.setRawMode(!canonical);
  }

  private currentWindowSize(): Buffer {
    if (this.windowSize) return this.windowSize;
    this.sizeSource ??= new tty.WriteStream(this.hostFd);
    const [columns, rows] = this.sizeSource.getWindowSize();
    const b = Buffer.alloc(WINSIZE_SIZE);
    b.writeUInt16LE(rows, 0);
    b.writeUInt16LE(columns, 2);
    return b;
  }
}
