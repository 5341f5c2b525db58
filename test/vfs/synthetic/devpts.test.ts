import { describe, expect, it } from 'vitest';
import { E, ERESTARTSYS } from '../../../src/abi/errno.js';
import { O } from '../../../src/abi/linux-fcntl.js';
import { IOCTL } from '../../../src/abi/linux-ioctl.js';
import { SIG } from '../../../src/abi/linux-signal.js';
import { LFLAG, OFLAG, VC, decodeTermios, encodeTermios, encodeWinsize, decodeWinsize } from '../../../src/abi/linux-termios.js';
import { POLL, S, makedev, type FileDescription } from '../../../src/vfs/index.js';
import { errnoOf, listDir } from '../helpers.js';
import { DEVPTS_MOUNT, FakeMemory, SPEC_MOUNTS, bytes, makeSandbox, text, type Sandbox } from './sandbox.js';

const ARG = 64n;

interface Pair {
  sb: Sandbox;
  master: FileDescription;
  slave: FileDescription;
  mem: FakeMemory;
  index: number;
}

function openPair(withDevpts = true, slaveFlags = O.RDWR | O.NOCTTY): Pair {
  const sb = makeSandbox({ mounts: withDevpts ? [...SPEC_MOUNTS, DEVPTS_MOUNT] : SPEC_MOUNTS });
  sb.addProcess(1);
  sb.addProcess(7, { ppid: 1, pgid: 7, sid: 1 });
  const mem = new FakeMemory();
  const master = sb.vfs.open(sb.ctx(), undefined, '/dev/ptmx', O.RDWR | O.NOCTTY, 0);
  master.ioctl(IOCTL.TIOCGPTN, ARG, mem);
  const index = mem.int(ARG);
  mem.setInt(ARG, 0);
  master.ioctl(IOCTL.TIOCSPTLCK, ARG, mem);
  const slave = sb.vfs.open(sb.ctx(), undefined, `/dev/pts/${index}`, slaveFlags, 0);
  return { sb, master, slave, mem, index };
}

function drain(file: FileDescription): string {
  const buf = new Uint8Array(4096);
  let out = '';
  for (;;) {
    try {
      const n = file.read(buf);
      if (n === 0) return out;
      out += text(buf, n);
    } catch (error) {
      if ((error as { errno?: number }).errno === E.EAGAIN) return out;
      throw error;
    }
  }
}

function type(pair: Pair, input: string): void {
  expect(pair.master.write(bytes(input))).toBe(input.length);
}

function setLflag(pair: Pair, change: (lflag: number) => number, cc: Partial<Record<number, number>> = {}): void {
  pair.slave.ioctl(IOCTL.TCGETS, ARG, pair.mem);
  const t = decodeTermios(pair.mem.read(ARG, 36));
  t.lflag = change(t.lflag);
  for (const [index, value] of Object.entries(cc)) t.cc[Number(index)] = value as number;
  pair.mem.write(ARG, encodeTermios(t));
  pair.slave.ioctl(IOCTL.TCSETS, ARG, pair.mem);
}

/** Makes process 1 (a session leader) take the terminal as its controlling tty. */
function control(pair: Pair): void {
  pair.sb.current = 1;
  expect(pair.slave.ioctl(IOCTL.TIOCSCTTY, 0n, pair.mem)).toBe(0);
}

describe('devpts', () => {
  it('allocates locked pairs shown as /dev/pts/N character devices', () => {
    const sb = makeSandbox({ mounts: [...SPEC_MOUNTS, DEVPTS_MOUNT] });
    sb.addProcess(1);
    const mem = new FakeMemory();
    const master = sb.vfs.open(sb.ctx(), undefined, '/dev/ptmx', O.RDWR, 0);
    master.ioctl(IOCTL.TIOCGPTN, ARG, mem);
    expect(mem.int(ARG)).toBe(0);
    expect(listDir(sb.vfs, sb.ctx(), '/dev/pts')).toEqual(['.', '..', 'ptmx', '0']);
    const st = sb.vfs.stat(sb.ctx(), undefined, '/dev/pts/0', 0);
    expect([st.mode, st.rdev, st.gid]).toEqual([S.IFCHR | 0o620, makedev(136, 0), 5]);
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/dev/pts/0', O.RDWR, 0))).toBe(E.EIO);
    mem.setInt(ARG, 0);
    master.ioctl(IOCTL.TIOCSPTLCK, ARG, mem);
    const slave = sb.vfs.open(sb.ctx(), undefined, '/dev/pts/0', O.RDWR | O.NOCTTY, 0);
    expect(errnoOf(() => slave.ioctl(IOCTL.TIOCGPTN, ARG, mem))).toBe(E.ENOTTY);
    const second = sb.vfs.open(sb.ctx(), undefined, '/dev/pts/ptmx', O.RDWR, 0);
    second.ioctl(IOCTL.TIOCGPTN, ARG, mem);
    expect(mem.int(ARG)).toBe(1);
    master.unref();
    expect(listDir(sb.vfs, sb.ctx(), '/dev/pts')).toEqual(['.', '..', 'ptmx', '1']);
  });

  it('lists the terminals in /dev/pts even when the spec mounts no devpts', () => {
    const pair = openPair(false);
    expect(listDir(pair.sb.vfs, pair.sb.ctx(), '/dev/pts')).toEqual(['.', '..', 'ptmx', '0']);
    type(pair, 'hi\n');
    expect(drain(pair.slave)).toBe('hi\n');
    pair.master.unref();
    expect(listDir(pair.sb.vfs, pair.sb.ctx(), '/dev/pts')).toEqual(['.', '..', 'ptmx']);
  });

  it('edits lines in canonical mode: erase, kill, word erase, EOF, echo', () => {
    const pair = openPair();
    type(pair, 'ab\x7fc');
    expect(errnoOf(() => pair.slave.read(new Uint8Array(10)))).toBe(E.EAGAIN);
    type(pair, '\r');
    expect(drain(pair.master)).toBe('ab\b \bc\r\n');
    expect(drain(pair.slave)).toBe('ac\n');
    type(pair, 'one two\x17three\x15x\n');
    expect(drain(pair.slave)).toBe('x\n');
    type(pair, 'abc\x04');
    expect(drain(pair.slave)).toBe('abc');
    type(pair, '\x04');
    expect(pair.slave.read(new Uint8Array(10))).toBe(0);
    type(pair, 'line1\nline2\n');
    const small = new Uint8Array(3);
    expect(text(small, pair.slave.read(small))).toBe('lin');
    const rest = new Uint8Array(20);
    expect(text(rest, pair.slave.read(rest))).toBe('e1\n');
    expect(text(rest, pair.slave.read(rest))).toBe('line2\n');
  });

  it('echoes control characters as ^X and erases them by two columns', () => {
    const pair = openPair();
    drain(pair.master);
    type(pair, 'a\x01\x7f\x7f\n');
    expect(drain(pair.master)).toBe('a^A\b \b\b \b\b \b\r\n');
    expect(drain(pair.slave)).toBe('\n');
  });

  it('post-processes output: ONLCR, and raw output without OPOST', () => {
    const pair = openPair();
    expect(pair.slave.write(bytes('x\ny\n'))).toBe(4);
    expect(drain(pair.master)).toBe('x\r\ny\r\n');
    pair.slave.ioctl(IOCTL.TCGETS, ARG, pair.mem);
    const t = decodeTermios(pair.mem.read(ARG, 36));
    expect(t.oflag & OFLAG.ONLCR).toBe(OFLAG.ONLCR);
    t.oflag &= ~OFLAG.OPOST;
    pair.mem.write(ARG, encodeTermios(t));
    pair.slave.ioctl(IOCTL.TCSETS, ARG, pair.mem);
    pair.slave.write(bytes('x\n'));
    expect(drain(pair.master)).toBe('x\n');
  });

  it('passes bytes at once in raw mode, honouring VMIN', () => {
    const pair = openPair();
    setLflag(pair, (l) => l & ~(LFLAG.ICANON | LFLAG.ECHO));
    type(pair, 'k');
    expect(drain(pair.master)).toBe('');
    expect(drain(pair.slave)).toBe('k');
    setLflag(pair, (l) => l, { [VC.VMIN]: 3 });
    type(pair, 'ab');
    expect(errnoOf(() => pair.slave.read(new Uint8Array(10)))).toBe(E.EAGAIN);
    expect(pair.slave.readiness(POLL.IN)).toBe(0);
    type(pair, 'c');
    expect(pair.slave.readiness(POLL.IN)).toBe(POLL.IN);
    expect(drain(pair.slave)).toBe('abc');
    setLflag(pair, (l) => l, { [VC.VMIN]: 0 });
    expect(pair.slave.read(new Uint8Array(10))).toBe(0);
  });

  it('raises SIGINT, SIGQUIT and SIGTSTP for the foreground group, flushing input', () => {
    const pair = openPair();
    control(pair);
    drain(pair.master);
    type(pair, 'partial\x03');
    expect(pair.sb.signals).toEqual([[1, SIG.INT]]);
    expect(drain(pair.master)).toBe('^C');
    type(pair, '\n');
    expect(drain(pair.slave)).toBe('\n');
    type(pair, '\x1c\x1a');
    expect(pair.sb.signals.slice(1)).toEqual([
      [1, SIG.QUIT],
      [1, SIG.TSTP],
    ]);
    setLflag(pair, (l) => l & ~LFLAG.ISIG);
    type(pair, '\x03\n');
    expect(pair.sb.signals.length).toBe(3);
    expect(drain(pair.slave)).toBe('\x03\n');
  });

  it('keeps the window size and sends SIGWINCH to the foreground group on change', () => {
    const pair = openPair();
    control(pair);
    pair.mem.write(ARG, encodeWinsize({ rows: 24, cols: 80, xpixel: 0, ypixel: 0 }));
    pair.master.ioctl(IOCTL.TIOCSWINSZ, ARG, pair.mem);
    pair.master.ioctl(IOCTL.TIOCSWINSZ, ARG, pair.mem);
    expect(pair.sb.signals).toEqual([[1, SIG.WINCH]]);
    pair.mem.write(ARG, new Uint8Array(8));
    pair.slave.ioctl(IOCTL.TIOCGWINSZ, ARG, pair.mem);
    expect(decodeWinsize(pair.mem.read(ARG, 8))).toEqual({ rows: 24, cols: 80, xpixel: 0, ypixel: 0 });
  });

  it('makes a controlling terminal: TIOCSCTTY, /dev/tty, TIOCGSID, TIOCGPGRP/TIOCSPGRP', () => {
    const pair = openPair();
    const { sb, slave, mem } = pair;
    sb.current = 7;
    expect(errnoOf(() => slave.ioctl(IOCTL.TIOCSCTTY, 0n, mem))).toBe(E.EPERM); // not a session leader
    expect(errnoOf(() => slave.ioctl(IOCTL.TIOCGPGRP, ARG, mem))).toBe(E.ENOTTY);
    control(pair);
    slave.ioctl(IOCTL.TIOCGSID, ARG, mem);
    expect(mem.int(ARG)).toBe(1);
    slave.ioctl(IOCTL.TIOCGPGRP, ARG, mem);
    expect(mem.int(ARG)).toBe(1);
    mem.setInt(ARG, 7);
    slave.ioctl(IOCTL.TIOCSPGRP, ARG, mem);
    pair.master.ioctl(IOCTL.TIOCGPGRP, ARG, mem);
    expect(mem.int(ARG)).toBe(7);
    // Process 1 is in the background now: changing the foreground group stops it.
    expect(errnoOf(() => slave.ioctl(IOCTL.TIOCSPGRP, ARG, mem))).toBe(ERESTARTSYS);
    expect(sb.signals.splice(0)).toEqual([[1, SIG.TTOU]]);
    sb.current = 7;
    mem.setInt(ARG, 99);
    expect(errnoOf(() => slave.ioctl(IOCTL.TIOCSPGRP, ARG, mem))).toBe(E.ESRCH);
    sb.addProcess(20, { pgid: 20, sid: 20 });
    mem.setInt(ARG, 20);
    expect(errnoOf(() => slave.ioctl(IOCTL.TIOCSPGRP, ARG, mem))).toBe(E.EPERM);

    const tty = sb.vfs.open(sb.ctx(), undefined, '/dev/tty', O.RDWR, 0);
    expect(tty.write(bytes('via tty\n'))).toBe(8);
    expect(drain(pair.master)).toBe('via tty\r\n');
    sb.current = 1;
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/dev/tty', O.RDWR, 0).unref())).toBe(0);
    sb.current = 20;
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/dev/tty', O.RDWR, 0))).toBe(E.ENXIO);

    sb.current = 1;
    slave.ioctl(IOCTL.TIOCNOTTY, 0n, mem);
    expect(sb.signals).toEqual([
      [7, SIG.HUP],
      [7, SIG.CONT],
    ]);
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/dev/tty', O.RDWR, 0))).toBe(E.ENXIO);
  });

  it('becomes the controlling terminal of a session leader opening it without O_NOCTTY', () => {
    const pair = openPair(true, O.RDWR);
    pair.sb.current = 1;
    pair.slave.ioctl(IOCTL.TIOCGSID, ARG, pair.mem);
    expect(pair.mem.int(ARG)).toBe(1);
  });

  it('stops background readers with SIGTTIN', () => {
    const pair = openPair();
    control(pair);
    type(pair, 'x\n');
    pair.sb.current = 7;
    expect(errnoOf(() => pair.slave.read(new Uint8Array(4)))).toBe(ERESTARTSYS);
    expect(pair.sb.signals).toEqual([[7, SIG.TTIN]]);
    pair.sb.current = 1;
    expect(drain(pair.slave)).toBe('x\n');
  });

  it('reports readiness and FIONREAD on both sides', () => {
    const pair = openPair();
    const both = POLL.IN | POLL.OUT;
    expect(pair.master.readiness(both)).toBe(POLL.OUT);
    expect(pair.slave.readiness(both)).toBe(POLL.OUT);
    let woken = 0;
    const unsubscribe = pair.slave.subscribe(POLL.IN, () => woken++);
    type(pair, 'abc\n');
    expect(woken).toBeGreaterThan(0);
    unsubscribe();
    expect(pair.slave.readiness(both)).toBe(both);
    pair.slave.ioctl(IOCTL.FIONREAD, ARG, pair.mem);
    expect(pair.mem.int(ARG)).toBe(4);
    pair.master.ioctl(IOCTL.FIONREAD, ARG, pair.mem);
    expect(pair.mem.int(ARG)).toBe(5); // the echo, "abc\r\n"
  });

  it('hangs up: master sees POLLHUP and EIO when the slave closes; the slave reads EOF when the master closes', () => {
    const pair = openPair();
    pair.slave.unref();
    expect(pair.master.readiness(POLL.IN | POLL.OUT)).toBe(POLL.OUT | POLL.HUP);
    expect(errnoOf(() => pair.master.read(new Uint8Array(4)))).toBe(E.EIO);
    const again = pair.sb.vfs.open(pair.sb.ctx(), undefined, `/dev/pts/${pair.index}`, O.RDWR | O.NOCTTY, 0);
    expect(pair.master.readiness(POLL.IN | POLL.OUT)).toBe(POLL.OUT);
    pair.master.unref();
    expect(again.readiness(POLL.IN | POLL.OUT)).toBe(POLL.IN | POLL.OUT | POLL.ERR | POLL.HUP);
    expect(again.read(new Uint8Array(4))).toBe(0);
    expect(errnoOf(() => again.write(bytes('a')))).toBe(E.EIO);
    expect(errnoOf(() => pair.sb.vfs.open(pair.sb.ctx(), undefined, `/dev/pts/${pair.index}`, O.RDWR, 0))).toBe(E.ENOENT);
  });

  it('shows a terminal at /dev/console: the controlling terminal of init, resizes', () => {
    const { sb, master, slave, index } = openPair();
    const pty = sb.synthetic.ptys.get(index)!;
    expect(errnoOf(() => sb.vfs.stat(sb.ctx(), undefined, '/dev/console', 0))).toBe(E.ENOENT);
    sb.synthetic.ptys.showConsole(pty.index);
    pty.attach(1, 1);
    expect(sb.vfs.stat(sb.ctx(), undefined, '/dev/console', 0).rdev).toBe(makedev(5, 1));
    const console = sb.vfs.open(sb.ctx(), undefined, '/dev/console', O.WRONLY, 0);
    console.write(bytes('booting\n'));
    slave.write(bytes('$ '));
    expect(drain(master)).toBe('booting\r\n$ ');
    expect(drain(sb.vfs.open(sb.ctx(), undefined, '/dev/tty', O.RDONLY | O.NONBLOCK, 0))).toBe('');
    pty.resize({ rows: 50, cols: 132, xpixel: 0, ypixel: 0 });
    expect(sb.signals).toEqual([[1, SIG.WINCH]]);
    master.unref();
    expect(errnoOf(() => sb.vfs.open(sb.ctx(), undefined, '/dev/console', O.WRONLY, 0))).toBe(E.ENXIO);
  });

  it('numbers terminals from outside the sandbox among its own: /dev/pts/N opens them again', () => {
    const { sb, index } = openPair();
    const opened: number[] = [];
    const outside = sb.synthetic.ptys.showOutside({ uid: 1000, gid: 1000 }, (flags) => {
      opened.push(flags);
      return { seekable: false, write: (buf) => buf.length };
    });
    expect([index, outside.index]).toEqual([0, 1]);
    const node = sb.vfs.stat(sb.ctx(), undefined, '/dev/pts/1', 0);
    expect([node.rdev, node.uid]).toEqual([makedev(136, 1), 1000]);
    expect(sb.vfs.open(sb.ctx(), undefined, '/dev/pts/1', O.WRONLY | O.NOCTTY, 0).write(bytes('hi'))).toBe(2);
    expect(opened).toEqual([O.WRONLY | O.NOCTTY]);
    sb.synthetic.ptys.hideOutside(outside);
    expect(errnoOf(() => sb.vfs.stat(sb.ctx(), undefined, '/dev/pts/1', 0))).toBe(E.ENOENT);
    sb.vfs.open(sb.ctx(), undefined, '/dev/ptmx', O.RDWR | O.NOCTTY, 0);
    expect(sb.synthetic.ptys.indices()).toEqual([0, 1]);
  });

  it('flushes queues (TCFLSH), stops output (TCXONC) and counts it (TIOCOUTQ), refuses a second opener under TIOCEXCL', () => {
    const pair = openPair();
    const { master, slave, mem, sb } = pair;
    type(pair, 'typed\n');
    slave.write(bytes('out'));
    slave.ioctl(IOCTL.TIOCOUTQ, ARG, mem);
    expect(mem.int(ARG)).toBe(10); // the echo "typed\r\n" and "out"
    slave.ioctl(IOCTL.TCFLSH, 0n, mem); // TCIFLUSH: what was typed
    expect(errnoOf(() => slave.read(new Uint8Array(8)))).toBe(E.EAGAIN);
    master.ioctl(IOCTL.TCFLSH, 0n, mem); // the master's input: what the slave wrote
    expect(errnoOf(() => master.read(new Uint8Array(8)))).toBe(E.EAGAIN);
    expect(errnoOf(() => slave.ioctl(IOCTL.TCFLSH, 7n, mem))).toBe(E.EINVAL);
    slave.ioctl(IOCTL.TCXONC, 0n, mem); // TCOOFF
    expect(slave.readiness(POLL.OUT)).toBe(0);
    expect(errnoOf(() => slave.write(bytes('x')))).toBe(E.EAGAIN);
    slave.ioctl(IOCTL.TCXONC, 1n, mem); // TCOON
    expect(slave.write(bytes('x'))).toBe(1);
    slave.ioctl(IOCTL.TIOCEXCL, 0n, mem);
    sb.addProcess(9, { fsContext: { ...sb.ctx(1), creds: { uid: 0, gid: 0, groups: [], caps: 0n } } });
    sb.current = 9;
    expect(errnoOf(() => sb.vfs.open(sb.ctx(9), undefined, `/dev/pts/${pair.index}`, O.RDWR | O.NOCTTY, 0))).toBe(E.EBUSY);
    slave.ioctl(IOCTL.TIOCNXCL, 0n, mem);
    expect(errnoOf(() => sb.vfs.open(sb.ctx(9), undefined, `/dev/pts/${pair.index}`, O.RDWR | O.NOCTTY, 0).unref())).toBe(0);
    expect(errnoOf(() => slave.ioctl(0x1234, 0n, mem))).toBe(E.ENOTTY);
  });
});
