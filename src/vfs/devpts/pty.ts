// One pseudo-terminal pair: the master (what /dev/ptmx opens) and the slave
// (/dev/pts/N), joined by a line discipline, with the terminal state both sides share
// (window size, controlling session, foreground process group, the unlockpt lock).

import { E, ERESTARTSYS, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { LFLAG, type Winsize } from '../../abi/linux-termios.js';
import { SIG } from '../../abi/linux-signal.js';
import { CAP } from '../../abi/linux-capability.js';
import { POLL, type FileImpl, type UserMemory } from '../api.js';
import { WaitQueue } from '../../waiter/index.js';
import type { Owner } from '../synthetic/nodes.js';
import { currentCaller, type TtyCaller } from './job-control.js';
import { LineDiscipline } from './line-discipline.js';
import { terminalIoctl } from './tty-ioctl.js';
import type { PtyTable } from './table.js';

const READABLE = POLL.IN | POLL.RDNORM;
const WRITABLE = POLL.OUT | POLL.WRNORM;

export type PtySide = 'master' | 'slave';

export class Pty {
  readonly ldisc: LineDiscipline;
  private readonly masterQueue = new WaitQueue();
  private readonly slaveQueue = new WaitQueue();
  /** New pairs are locked until the master's owner calls unlockpt (TIOCSPTLCK 0). */
  locked = true;
  /** TIOCEXCL: further opens of the slave need CAP_SYS_ADMIN. */
  exclusive = false;
  winsize: Winsize = { rows: 0, cols: 0, xpixel: 0, ypixel: 0 };
  /** The session this is the controlling terminal of. */
  session: number | undefined;
  /** The foreground process group (TIOCGPGRP). */
  pgrp: number | undefined;
  private masterOpen = true;
  private slaveOpens = 0;
  private slaveEverOpened = false;

  constructor(
    readonly index: number,
    readonly owner: Owner,
    readonly table: PtyTable,
  ) {
    this.ldisc = new LineDiscipline({
      signal: (signo) => this.signalForeground(signo),
      inputChanged: () => {
        this.slaveQueue.notify(READABLE);
        this.masterQueue.notify(WRITABLE);
      },
      outputChanged: () => {
        this.masterQueue.notify(READABLE);
        this.slaveQueue.notify(WRITABLE);
      },
    });
  }

  get isOpen(): boolean {
    return this.masterOpen;
  }

  signalForeground(signo: number): void {
    if (this.pgrp !== undefined) this.table.jobControl.signalProcessGroup(this.pgrp, signo);
  }

  /** Leaves the session it controls (session leader exit, TIOCNOTTY, hangup). */
  disassociate(hangup: boolean): void {
    if (hangup && this.pgrp !== undefined) {
      this.signalForeground(SIG.HUP);
      this.signalForeground(SIG.CONT);
    }
    this.session = undefined;
    this.pgrp = undefined;
  }

  /**
   * The master closed: the session's leader gets SIGHUP and SIGCONT (a shell passes the
   * hangup on to its jobs), as Linux's tty_signal_session_leader gives them. JobControl
   * signals process groups: the leader's group (pgid = sid) gets them.
   */
  private hangUp(): void {
    if (this.session !== undefined) {
      this.table.jobControl.signalProcessGroup(this.session, SIG.HUP);
      this.table.jobControl.signalProcessGroup(this.session, SIG.CONT);
    }
    this.session = undefined;
    this.pgrp = undefined;
  }

  /** Makes this the controlling terminal of session sid, pgid in the foreground (init's console). */
  attach(sid: number, pgid: number): void {
    this.session = sid;
    this.pgrp = pgid;
  }

  /** A new window size (TIOCSWINSZ, or the host terminal resized): SIGWINCH on change. */
  resize(next: Winsize): void {
    const old = this.winsize;
    this.winsize = { ...next };
    if (old.rows !== next.rows || old.cols !== next.cols || old.xpixel !== next.xpixel || old.ypixel !== next.ypixel) {
      this.signalForeground(SIG.WINCH);
    }
  }

  // -------------------------------------------------------------------- master side

  openMaster(): FileImpl {
    let released = false;
    return {
      seekable: false,
      read: (buf) => {
        if (this.ldisc.pendingOutput === 0 && this.slaveHungUp) fail(E.EIO);
        return this.ldisc.readOutput(buf);
      },
      write: (buf) => this.ldisc.receive(buf),
      readiness: (mask) => this.masterReadiness() & (mask | POLL.ERR | POLL.HUP),
      subscribe: (mask, callback) => this.masterQueue.subscribe(mask | POLL.HUP, callback),
      ioctl: (request, arg, memory) => this.ioctl('master', request, arg, memory),
      release: () => {
        if (released) return;
        released = true;
        this.closeMaster();
      },
    };
  }

  private get slaveHungUp(): boolean {
    return this.slaveEverOpened && this.slaveOpens === 0;
  }

  private masterReadiness(): number {
    let ready = 0;
    if (this.ldisc.pendingOutput > 0) ready |= READABLE;
    if (this.ldisc.acceptsInput) ready |= WRITABLE;
    if (this.slaveHungUp) ready |= POLL.HUP;
    return ready;
  }

  private closeMaster(): void {
    this.masterOpen = false;
    this.hangUp();
    this.ldisc.dispose();
    this.table.remove(this);
    this.slaveQueue.notify(READABLE | WRITABLE | POLL.ERR | POLL.HUP);
  }

  // -------------------------------------------------------------------- slave side

  openSlave(flags: number): FileImpl {
    if (!this.masterOpen) fail(E.EIO);
    if (this.locked) fail(E.EIO);
    const caller = currentCaller(this.table.providers);
    if (this.exclusive && !(caller && hasSysAdmin(caller))) fail(E.EBUSY);
    if (!(flags & O.NOCTTY) && caller && caller.pid === caller.sid && this.session === undefined && !this.table.controllingTerminal(caller.sid)) {
      this.session = caller.sid;
      this.pgrp = caller.pgid;
    }
    return this.slaveFile();
  }

  /** A slave description (also what /dev/tty opens for a session's controlling terminal). */
  slaveFile(): FileImpl {
    this.slaveOpens++;
    this.slaveEverOpened = true;
    this.masterQueue.notify(WRITABLE);
    let released = false;
    return {
      seekable: false,
      read: (buf) => {
        if (!this.masterOpen) return 0;
        this.checkBackground(SIG.TTIN);
        return this.ldisc.read(buf);
      },
      write: (buf) => {
        if (!this.masterOpen) fail(E.EIO);
        if (this.ldisc.termios.lflag & LFLAG.TOSTOP) this.checkBackground(SIG.TTOU);
        return this.ldisc.write(buf);
      },
      readiness: (mask) => this.slaveReadiness() & (mask | POLL.ERR | POLL.HUP),
      subscribe: (mask, callback) => this.slaveQueue.subscribe(mask | POLL.HUP, callback),
      ioctl: (request, arg, memory) => this.ioctl('slave', request, arg, memory),
      release: () => {
        if (released) return;
        released = true;
        this.slaveOpens--;
        if (this.slaveOpens === 0) this.masterQueue.notify(READABLE | POLL.HUP);
      },
    };
  }

  private slaveReadiness(): number {
    if (!this.masterOpen) return READABLE | WRITABLE | POLL.ERR | POLL.HUP;
    let ready = 0;
    if (this.ldisc.inputReady) ready |= READABLE;
    if (this.ldisc.acceptsOutput) ready |= WRITABLE;
    return ready;
  }

  /**
   * Job control: a process of this terminal's session outside its foreground group that
   * reads (or writes with TOSTOP, or changes settings) gets its group stopped by
   * SIGTTIN/SIGTTOU and the call restarted once continued; EIO if it ignores the signal.
   */
  checkBackground(signo: number): void {
    if (this.session === undefined || this.pgrp === undefined) return;
    const jobControl = this.table.jobControl;
    if (jobControl.checkTerminalAccess) {
      jobControl.checkTerminalAccess({ session: this.session, foreground: this.pgrp }, signo === SIG.TTIN ? 'read' : 'write');
      return;
    }
    const caller = currentCaller(this.table.providers);
    if (!caller || caller.sid !== this.session || caller.pgid === this.pgrp) return;
    if (jobControl.callerIgnoresSignal?.(signo)) {
      if (signo === SIG.TTOU) return;
      fail(E.EIO);
    }
    jobControl.signalProcessGroup(caller.pgid, signo);
    fail(ERESTARTSYS);
  }

  private ioctl(side: PtySide, request: number, arg: bigint, memory: UserMemory): number {
    return terminalIoctl(this, side, request, arg, memory);
  }
}

export function hasSysAdmin(caller: TtyCaller): boolean {
  return (caller.caps & (1n << BigInt(CAP.SYS_ADMIN))) !== 0n;
}
