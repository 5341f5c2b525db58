// The terminal side of a host tty given to the workload as stdio. The native helper
// has no ioctl binding, so termios is the sentry's own copy, starting from Linux's
// defaults for a new terminal; turning canonical mode off or on is applied to the host
// terminal through Node's raw mode, which is what line editors and pagers need.

import * as tty from 'node:tty';
import { E, fail } from '../../../abi/errno.js';
import { IOCTL, TERMIOS_SIZE, WINSIZE_SIZE } from '../../../abi/linux-ioctl.js';
import { SIG } from '../../../abi/linux-signal.js';
import { LFLAG, VC, decodeTermios, decodeWinsize, defaultTermios, encodeTermios, encodeWinsize, type Termios, type Winsize } from '../../../abi/linux-termios.js';
import type { UserMemory } from '../../../vfs/api.js';
import { loadConsole } from '../../../native/console.js';

/**
 * A terminal's job-control state: the session it is the controlling terminal of, and
 * that session's foreground process group (what tcgetpgrp/tcsetpgrp read and set, and
 * where the sentry sends the signals the host terminal raises).
 */
export interface JobControlTerminal {
  session: number | undefined;
  foreground: number | undefined;
  /** Sends a signal the terminal raised (a typed ^C, ^\\, ^Z) to the foreground group. */
  signalForeground?: ((sig: number) => void) | undefined;
  /** Job control of the calling process's read or write (throws EIO or a restart). */
  checkAccess?: ((kind: 'read' | 'write') => void) | undefined;
}

/** The characters that raise signals while ISIG is on. */
const SIGNAL_CHARS: readonly (readonly [number, number])[] = [[VC.VINTR, SIG.INT], [VC.VQUIT, SIG.QUIT], [VC.VSUSP, SIG.TSTP]];
/** A c_cc entry that is switched off. */
const DISABLED_CC = 0;

export class HostTerminal implements JobControlTerminal {
  private termios = defaultTermios();
  /** The host tty is in raw mode: its own ISIG is off, so the sentry raises the signals. */
  private rawOnHost = false;
  private windowSize: Winsize | undefined;

  constructor(
    private readonly hostFd: number,
    private readonly rawModeTarget: () => tty.ReadStream | undefined,
    /** Shared by every host fd of the same terminal (stdin, stdout, stderr). */
    private readonly jobs: JobControlTerminal,
  ) {}

  get session(): number | undefined {
    return this.jobs.session;
  }

  set session(sid: number | undefined) {
    this.jobs.session = sid;
  }

  get foreground(): number | undefined {
    return this.jobs.foreground;
  }

  set foreground(pgid: number | undefined) {
    this.jobs.foreground = pgid;
  }

  get checkAccess(): ((kind: 'read' | 'write') => void) | undefined {
    return this.jobs.checkAccess;
  }

  set checkAccess(check: ((kind: 'read' | 'write') => void) | undefined) {
    this.jobs.checkAccess = check;
  }

  /** A read, or a write while TOSTOP is on, from a background process stops its group. */
  access(kind: 'read' | 'write'): void {
    if (kind === 'write' && !(this.termios.lflag & LFLAG.TOSTOP)) return;
    this.jobs.checkAccess?.(kind);
  }

  get signalForeground(): ((sig: number) => void) | undefined {
    return this.jobs.signalForeground;
  }

  set signalForeground(raise: ((sig: number) => void) | undefined) {
    this.jobs.signalForeground = raise;
  }

  ioctl(request: number, arg: bigint, memory: UserMemory): number {
    switch (request) {
      case IOCTL.TCGETS:
        memory.write(arg, encodeTermios(this.termios));
        return 0;
      case IOCTL.TCSETS:
      case IOCTL.TCSETSW:
      case IOCTL.TCSETSF:
        this.setTermios(decodeTermios(memory.read(arg, TERMIOS_SIZE)));
        return 0;
      case IOCTL.TIOCGWINSZ:
        memory.write(arg, encodeWinsize(this.currentWindowSize()));
        return 0;
      case IOCTL.TIOCSWINSZ:
        // Kept for the sandbox's view; the host terminal's size belongs to its user.
        this.windowSize = decodeWinsize(memory.read(arg, WINSIZE_SIZE));
        return 0;
      default:
        fail(E.ENOTTY);
    }
  }

  private setTermios(next: Termios): void {
    const wasCanonical = (this.termios.lflag & LFLAG.ICANON) !== 0;
    const canonical = (next.lflag & LFLAG.ICANON) !== 0;
    if (wasCanonical !== canonical) {
      try {
        this.rawModeTarget()?.setRawMode(!canonical);
        this.rawOnHost = !canonical;
      } catch {
        fail(E.EIO);
      }
    }
    this.termios = next;
  }

  /**
   * Input from the host tty in raw mode: with ISIG on in the workload's termios (line
   * editors keep it on), ^C, ^\\ and ^Z become signals to the foreground group, as the
   * tty driver makes them, and leave the input (flushing what came before, unless NOFLSH).
   */
  filterInput(chunk: Buffer): Buffer {
    const { lflag, cc } = this.termios;
    const raise = this.jobs.signalForeground;
    if (!this.rawOnHost || !(lflag & LFLAG.ISIG) || !raise) return chunk;
    let kept: number[] = [];
    for (const byte of chunk) {
      const sig = SIGNAL_CHARS.find(([index]) => cc[index] !== DISABLED_CC && cc[index] === byte)?.[1];
      if (sig === undefined) {
        kept.push(byte);
        continue;
      }
      if (!(lflag & LFLAG.NOFLSH)) kept = [];
      raise(sig);
    }
    return kept.length === chunk.length ? chunk : Buffer.from(kept);
  }

  /** The size the sandbox set, else the host terminal's as it is now (it follows resizes). */
  private currentWindowSize(): Winsize {
    if (this.windowSize) return this.windowSize;
    const size = loadConsole().windowSize(this.hostFd);
    // The terminal went away: no size to report.
    if (typeof size === 'number') fail(E.ENOTTY);
    const [rows, cols] = size;
    return { rows, cols, xpixel: 0, ypixel: 0 };
  }
}
