// Terminal ioctls, on either side of a pair: as in Linux, termios, window size and job
// control requests on the master act on the slave terminal they are paired with.

import { E, fail } from '../../abi/errno.js';
import { IOCTL, TERMIOS_SIZE, WINSIZE_SIZE } from '../../abi/linux-ioctl.js';
import { SIG } from '../../abi/linux-signal.js';
import { TCFLOW, TCFLUSH, decodeTermios, decodeWinsize, encodeTermios, encodeWinsize } from '../../abi/linux-termios.js';
import type { UserMemory } from '../api.js';
import { currentCaller, type TtyCaller } from './job-control.js';
import { hasSysAdmin, type Pty, type PtySide } from './pty.js';

export function terminalIoctl(pty: Pty, side: PtySide, request: number, arg: bigint, memory: UserMemory): number {
  const ldisc = pty.ldisc;
  switch (request) {
    case IOCTL.TCGETS:
      memory.write(arg, encodeTermios(ldisc.termios));
      return 0;
    case IOCTL.TCSETS:
    case IOCTL.TCSETSW:
    case IOCTL.TCSETSF: {
      const termios = decodeTermios(memory.read(arg, TERMIOS_SIZE));
      if (side === 'slave') pty.checkBackground(SIG.TTOU);
      if (request === IOCTL.TCSETSF) ldisc.flushInput();
      ldisc.setTermios(termios);
      return 0;
    }
    case IOCTL.TIOCGWINSZ:
      memory.write(arg, encodeWinsize(pty.winsize));
      return 0;
    case IOCTL.TIOCSWINSZ:
      pty.resize(decodeWinsize(memory.read(arg, WINSIZE_SIZE)));
      return 0;
    case IOCTL.FIONREAD:
      writeInt(memory, arg, side === 'master' ? ldisc.pendingOutput : ldisc.pendingInput);
      return 0;
    case IOCTL.TIOCOUTQ:
      writeInt(memory, arg, side === 'slave' ? ldisc.pendingOutput : 0);
      return 0;
    case IOCTL.TCFLSH:
      if (side === 'slave') pty.checkBackground(SIG.TTOU);
      return flush(pty, side, Number(arg));
    case IOCTL.TCSBRK:
      if (side === 'slave') pty.checkBackground(SIG.TTOU);
      return 0;
    case IOCTL.TCXONC:
      if (side === 'slave') pty.checkBackground(SIG.TTOU);
      return flow(pty, Number(arg));
    case IOCTL.TIOCEXCL:
      pty.exclusive = true;
      return 0;
    case IOCTL.TIOCNXCL:
      pty.exclusive = false;
      return 0;
    case IOCTL.TIOCGPTN:
      if (side !== 'master') fail(E.ENOTTY);
      writeInt(memory, arg, pty.index);
      return 0;
    case IOCTL.TIOCSPTLCK:
      if (side !== 'master') fail(E.ENOTTY);
      pty.locked = readInt(memory, arg) !== 0;
      return 0;
    case IOCTL.TIOCGPGRP:
      controlledBy(pty, side, caller(pty));
      writeInt(memory, arg, pty.pgrp ?? 0);
      return 0;
    case IOCTL.TIOCGSID:
      controlledBy(pty, side, caller(pty));
      if (pty.session === undefined) fail(E.ENOTTY);
      writeInt(memory, arg, pty.session);
      return 0;
    case IOCTL.TIOCSPGRP:
      return setForeground(pty, readInt(memory, arg));
    case IOCTL.TIOCSCTTY:
      return makeControlling(pty, Number(arg));
    case IOCTL.TIOCNOTTY:
      return detach(pty);
    default:
      return fail(E.ENOTTY);
  }
}

function caller(pty: Pty): TtyCaller | undefined {
  return currentCaller(pty.table.providers);
}

/** Requests on a slave need it to be the caller's controlling terminal (ENOTTY). */
function controlledBy(pty: Pty, side: PtySide, who: TtyCaller | undefined): void {
  if (side === 'master') return;
  if (!who || pty.session !== who.sid) fail(E.ENOTTY);
}

function setForeground(pty: Pty, pgrp: number): number {
  const who = caller(pty);
  if (!who || pty.session !== who.sid) fail(E.ENOTTY);
  pty.checkBackground(SIG.TTOU);
  if (pgrp < 0) fail(E.EINVAL);
  const providers = pty.table.providers;
  const members = providers.processes().map((pid) => providers.process(pid)).filter((p) => p?.pgid === pgrp);
  if (members.length === 0) fail(E.ESRCH);
  if (members.some((p) => p?.sid !== who.sid)) fail(E.EPERM);
  pty.pgrp = pgrp;
  return 0;
}

function makeControlling(pty: Pty, steal: number): number {
  const who = caller(pty);
  if (!who) fail(E.EPERM);
  const current = pty.table.controllingTerminal(who.sid);
  if (current === pty) return 0;
  if (who.pid !== who.sid || current) fail(E.EPERM);
  if (pty.session !== undefined) {
    if (steal !== 1 || !hasSysAdmin(who)) fail(E.EPERM);
    pty.disassociate(false);
  }
  pty.session = who.sid;
  pty.pgrp = who.pgid;
  return 0;
}

/** TIOCNOTTY: a session leader gives its terminal up (hanging up its foreground group). */
function detach(pty: Pty): number {
  const who = caller(pty);
  if (!who || pty.session !== who.sid) fail(E.ENOTTY);
  if (who.pid === who.sid) pty.disassociate(true);
  return 0;
}

function flush(pty: Pty, side: PtySide, queue: number): number {
  if (queue !== TCFLUSH.TCIFLUSH && queue !== TCFLUSH.TCOFLUSH && queue !== TCFLUSH.TCIOFLUSH) fail(E.EINVAL);
  // The master's input is what the slave wrote, and the reverse.
  const flushTyped = side === 'slave' ? queue !== TCFLUSH.TCOFLUSH : queue !== TCFLUSH.TCIFLUSH;
  const flushWritten = side === 'slave' ? queue !== TCFLUSH.TCIFLUSH : queue !== TCFLUSH.TCOFLUSH;
  if (flushTyped) pty.ldisc.flushInput();
  if (flushWritten) pty.ldisc.flushOutput();
  return 0;
}

function flow(pty: Pty, action: number): number {
  switch (action) {
    case TCFLOW.TCOOFF:
      pty.ldisc.stopOutput();
      return 0;
    case TCFLOW.TCOON:
      pty.ldisc.resumeOutput();
      return 0;
    case TCFLOW.TCIOFF:
    case TCFLOW.TCION:
      return 0;
    default:
      return fail(E.EINVAL);
  }
}

function readInt(memory: UserMemory, addr: bigint): number {
  const bytes = memory.read(addr, 4);
  return Buffer.from(bytes.buffer, bytes.byteOffset, 4).readInt32LE(0);
}

function writeInt(memory: UserMemory, addr: bigint, value: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value, 0);
  memory.write(addr, b);
}
