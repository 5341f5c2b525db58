import { afterEach, describe, expect, it, vi } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { IFLAG, LFLAG, VC } from '../../../src/abi/linux-termios.js';
import { LineDiscipline } from '../../../src/vfs/devpts/line-discipline.js';
import { errnoOf } from '../helpers.js';
import { bytes, text } from './sandbox.js';

function make() {
  const signals: number[] = [];
  let inputEvents = 0;
  const ldisc = new LineDiscipline({ signal: (s) => signals.push(s), inputChanged: () => inputEvents++, outputChanged: () => {} });
  const typed = (s: string) => ldisc.receive(bytes(s));
  const screen = () => {
    const buf = new Uint8Array(4096);
    return ldisc.pendingOutput === 0 ? '' : text(buf, ldisc.readOutput(buf));
  };
  const read = (size = 4096) => {
    const buf = new Uint8Array(size);
    return text(buf, ldisc.read(buf));
  };
  return { ldisc, typed, screen, read, signals, inputs: () => inputEvents };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('line discipline', () => {
  it('erases a tab back to where it started', () => {
    const { typed, screen } = make();
    typed('ab\t\x7f');
    expect(screen()).toBe('ab\t\b\b\b\b\b\b');
  });

  it('takes the next character literally after VLNEXT', () => {
    const { typed, screen, read } = make();
    typed('\x16\x03\n');
    expect(screen()).toBe('^\b^C\r\n');
    expect(read()).toBe('\x03\n');
  });

  it('maps and drops carriage returns as INLCR/IGNCR/ICRNL say', () => {
    const { ldisc, typed, read } = make();
    typed('a\r');
    expect(read()).toBe('a\n');
    ldisc.setTermios({ ...ldisc.termios, iflag: ldisc.termios.iflag | IFLAG.IGNCR });
    typed('b\r\n');
    expect(read()).toBe('b\n');
  });

  it('echoes nothing without ECHO, except newlines with ECHONL', () => {
    const { ldisc, typed, screen, read } = make();
    ldisc.setTermios({ ...ldisc.termios, lflag: (ldisc.termios.lflag & ~LFLAG.ECHO) | LFLAG.ECHONL });
    typed('secret\n');
    expect(screen()).toBe('\r\n');
    expect(read()).toBe('secret\n');
  });

  it('kills a line by echoing the kill character when ECHOKE is off', () => {
    const { ldisc, typed, screen, read } = make();
    ldisc.setTermios({ ...ldisc.termios, lflag: ldisc.termios.lflag & ~LFLAG.ECHOKE });
    typed('abc\x15d\n');
    expect(screen()).toBe('abc^U\r\nd\r\n');
    expect(read()).toBe('d\n');
  });

  it('suspends output on VSTOP and resumes it on VSTART (IXON)', () => {
    const { ldisc, typed, screen, read } = make();
    typed('\x13');
    expect(ldisc.acceptsOutput).toBe(false);
    expect(errnoOf(() => ldisc.write(bytes('x')))).toBe(E.EAGAIN);
    typed('\x11');
    expect(ldisc.write(bytes('x'))).toBe(1);
    expect(screen()).toBe('x');
    expect(errnoOf(() => read())).toBe(E.EAGAIN);
  });

  it('hands a half-typed line to raw mode, and raw bytes to canonical mode', () => {
    const { ldisc, typed, read } = make();
    typed('half');
    ldisc.setTermios({ ...ldisc.termios, lflag: ldisc.termios.lflag & ~LFLAG.ICANON });
    expect(read()).toBe('half');
    typed('raw');
    ldisc.setTermios({ ...ldisc.termios, lflag: ldisc.termios.lflag | LFLAG.ICANON });
    expect(read()).toBe('raw');
  });

  it('returns 0 after VTIME with nothing typed (VMIN 0), and what was typed before it', () => {
    vi.useFakeTimers();
    const { ldisc, typed, read, inputs } = make();
    const cc = Uint8Array.from(ldisc.termios.cc);
    cc[VC.VMIN] = 0;
    cc[VC.VTIME] = 5;
    ldisc.setTermios({ ...ldisc.termios, lflag: ldisc.termios.lflag & ~LFLAG.ICANON, cc });
    expect(errnoOf(() => read())).toBe(E.EAGAIN);
    const before = inputs();
    vi.advanceTimersByTime(500);
    expect(inputs()).toBe(before + 1);
    expect(ldisc.inputReady).toBe(true);
    expect(read()).toBe('');
    typed('z');
    expect(read()).toBe('z');
    ldisc.dispose();
  });

  it('drops characters past a full line instead of blocking the writer', () => {
    const { typed, read } = make();
    const long = 'x'.repeat(5000);
    expect(typed(long)).toBe(5000);
    typed('\n');
    expect(read(8192).length).toBe(4096);
  });
});
