// The line discipline of a terminal (Linux's n_tty): input typed on the master side is
// edited (ICANON: erase, kill, word erase, literal next, EOF), echoed, turned into
// signals (ISIG), and queued for the slave to read; what the slave writes is
// post-processed (OPOST/ONLCR/OCRNL) and queued for the master to read.

import { E, fail } from '../../abi/errno.js';
import { IFLAG, LFLAG, OFLAG, VC, type Termios, defaultTermios } from '../../abi/linux-termios.js';
import { SIG } from '../../abi/linux-signal.js';

/** Input the slave has not read yet, at most (the kernel's N_TTY_BUF_SIZE). */
export const INPUT_LIMIT = 4096;
/** Output the master has not read yet, at most, before slave writes would block. */
export const OUTPUT_LIMIT = 65536;

const NL = 0x0a;
const CR = 0x0d;
const TAB = 0x09;
const BS = 0x08;
const DEL = 0x7f;

export interface LineEvents {
  /** A signal for the terminal's foreground process group. */
  signal(signo: number): void;
  /** Input became readable (or was flushed): the slave side's readiness changed. */
  inputChanged(): void;
  /** Output was queued or drained: the master side's readiness changed. */
  outputChanged(): void;
}

export class LineDiscipline {
  termios: Termios = defaultTermios();
  /** Bytes the slave may read. In canonical mode, only whole lines get here. */
  private readable: number[] = [];
  /** Canonical mode: where each committed line ends in `readable` (an EOF line may be empty). */
  private lineEnds: number[] = [];
  /** Canonical mode: the line being edited. */
  private line: number[] = [];
  private literalNext = false;
  /** IXON: output suspended by VSTOP until VSTART. */
  stopped = false;
  /** Raw mode with VMIN = 0, VTIME > 0: the read timer ran out with nothing to read. */
  private timedOut = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly output: Uint8Array[] = [];
  private outputBytes = 0;
  /** Output column, for erasing tabs and for ONOCR. */
  private column = 0;
  /** Column at which the line being edited started. */
  private lineColumn = 0;

  constructor(private readonly events: LineEvents) {}

  private get canonical(): boolean {
    return (this.termios.lflag & LFLAG.ICANON) !== 0;
  }

  private is(c: number, index: number): boolean {
    const value = this.termios.cc[index] as number;
    return value !== 0 && value === c;
  }

  // -------------------------------------------------------------------- input (master writes)

  /** Whether the master can write now without being refused. */
  get acceptsInput(): boolean {
    return this.canonical || this.readable.length < INPUT_LIMIT;
  }

  /** Feeds typed bytes; returns how many were taken (EAGAIN when none could be). */
  receive(data: Uint8Array): number {
    let taken = 0;
    for (const byte of data) {
      if (!this.acceptsInput) break;
      this.receiveByte(byte);
      taken++;
    }
    if (taken === 0 && data.length > 0) fail(E.EAGAIN);
    this.events.inputChanged();
    return taken;
  }

  private receiveByte(input: number): void {
    const { iflag, lflag } = this.termios;
    let c = iflag & IFLAG.ISTRIP ? input & 0x7f : input;
    if (this.literalNext) {
      this.literalNext = false;
      this.addToLine(c);
      return;
    }
    if (iflag & IFLAG.IXON) {
      if (this.is(c, VC.VSTOP)) {
        this.stopped = true;
        return;
      }
      if (this.is(c, VC.VSTART) || (this.stopped && iflag & IFLAG.IXANY)) {
        this.resumeOutput();
        if (this.is(c, VC.VSTART)) return;
      }
    }
    if (c === CR) {
      if (iflag & IFLAG.IGNCR) return;
      if (iflag & IFLAG.ICRNL) c = NL;
    } else if (c === NL && iflag & IFLAG.INLCR) {
      c = CR;
    }
    if (lflag & LFLAG.ISIG) {
      const signo = this.is(c, VC.VINTR) ? SIG.INT : this.is(c, VC.VQUIT) ? SIG.QUIT : this.is(c, VC.VSUSP) ? SIG.TSTP : 0;
      if (signo) {
        if (!(lflag & LFLAG.NOFLSH)) {
          this.flushInput();
          this.flushOutput();
        }
        this.echo(c);
        this.events.signal(signo);
        return;
      }
    }
    if (!this.canonical) {
      if (this.readable.length < INPUT_LIMIT) this.readable.push(c);
      this.echo(c);
      this.timedOut = false;
      return;
    }
    this.editLine(c);
  }

  private editLine(c: number): void {
    const lflag = this.termios.lflag;
    const extended = (lflag & LFLAG.IEXTEN) !== 0;
    if (this.is(c, VC.VERASE)) return this.erase(1, false);
    if (extended && this.is(c, VC.VWERASE)) return this.erase(1, true);
    if (this.is(c, VC.VKILL)) return this.killLine(c);
    if (extended && this.is(c, VC.VLNEXT)) {
      this.literalNext = true;
      if (lflag & LFLAG.ECHO && lflag & LFLAG.ECHOCTL) this.emitEcho([0x5e, BS]);
      return;
    }
    if (extended && this.is(c, VC.VREPRINT)) {
      this.echo(c);
      this.emitEcho([NL]);
      this.lineColumn = this.column;
      for (const b of this.line) this.echo(b);
      return;
    }
    if (this.is(c, VC.VEOF)) {
      this.commitLine();
      return;
    }
    if (c === NL || this.is(c, VC.VEOL) || this.is(c, VC.VEOL2)) {
      this.line.push(c);
      if (c === NL && !(lflag & LFLAG.ECHO) && lflag & LFLAG.ECHONL) this.emitEcho([NL]);
      else this.echo(c);
      this.commitLine();
      return;
    }
    this.addToLine(c);
  }

  private addToLine(c: number): void {
    if (!this.canonical) {
      if (this.readable.length < INPUT_LIMIT) this.readable.push(c);
      this.echo(c);
      return;
    }
    // A full line drops further characters, so a runaway writer cannot wedge the master.
    if (this.readable.length + this.line.length >= INPUT_LIMIT - 1) return;
    if (this.line.length === 0) this.lineColumn = this.column;
    this.line.push(c);
    this.echo(c);
  }

  private commitLine(): void {
    this.readable.push(...this.line);
    this.lineEnds.push(this.readable.length);
    this.line = [];
    this.lineColumn = this.column;
  }

  /** Erases characters (or a word) from the line being edited, echoing the erasure. */
  private erase(count: number, word: boolean): void {
    const lflag = this.termios.lflag;
    let seenWordChar = false;
    while (this.line.length > 0 && (word || count-- > 0)) {
      const c = this.line[this.line.length - 1] as number;
      const isSpace = c === 0x20 || c === TAB;
      if (word) {
        if (isSpace && seenWordChar) break;
        if (!isSpace) seenWordChar = true;
      }
      this.line.pop();
      if (!(lflag & LFLAG.ECHO)) continue;
      if (!(lflag & LFLAG.ECHOE)) {
        this.echo(this.termios.cc[VC.VERASE] as number);
        continue;
      }
      this.emitEcho(this.rubout(c));
    }
  }

  /** The bytes that visually remove c from the end of the line. */
  private rubout(c: number): number[] {
    // A tab is only backed over (what it covered was blank already).
    if (c === TAB) return new Array<number>(Math.max(0, this.column - this.columnAfter(this.line))).fill(BS);
    const width = (c < 0x20 || c === DEL) && this.termios.lflag & LFLAG.ECHOCTL ? 2 : 1;
    const bytes: number[] = [];
    for (let i = 0; i < width; i++) bytes.push(BS, 0x20, BS);
    return bytes;
  }

  /** The echo column after echoing chars from the start of the line. */
  private columnAfter(chars: readonly number[]): number {
    let col = this.lineColumn;
    for (const c of chars) {
      if (c === TAB) col = (col | 7) + 1;
      else if (c < 0x20 || c === DEL) col += this.termios.lflag & LFLAG.ECHOCTL ? 2 : 0;
      else col++;
    }
    return col;
  }

  private killLine(c: number): void {
    const lflag = this.termios.lflag;
    if (!(lflag & LFLAG.ECHO)) {
      this.line = [];
      return;
    }
    if (lflag & LFLAG.ECHOK && lflag & LFLAG.ECHOKE && lflag & LFLAG.ECHOE) {
      this.erase(this.line.length, false);
      return;
    }
    this.line = [];
    this.echo(c);
    if (lflag & LFLAG.ECHOK) this.emitEcho([NL]);
    this.lineColumn = this.column;
  }

  private echo(c: number): void {
    const lflag = this.termios.lflag;
    if (!(lflag & LFLAG.ECHO)) return;
    const isControl = (c < 0x20 && c !== TAB && c !== NL) || c === DEL;
    if (isControl && lflag & LFLAG.ECHOCTL) this.emitEcho([0x5e, c === DEL ? 0x3f : c + 0x40]);
    else this.emitEcho([c]);
  }

  private emitEcho(bytes: number[]): void {
    this.queueOutput(this.postProcess(bytes));
  }

  // -------------------------------------------------------------------- slave reads

  /** Bytes a read would see now (FIONREAD on the slave). */
  get pendingInput(): number {
    return this.canonical ? (this.lineEnds.at(-1) ?? 0) : this.readable.length;
  }

  /** Whether a slave read would return now (poll's POLLIN). */
  get inputReady(): boolean {
    if (this.canonical) return this.lineEnds.length > 0;
    const { cc } = this.termios;
    const min = cc[VC.VMIN] as number;
    const time = cc[VC.VTIME] as number;
    const needed = time === 0 && min > 0 ? min : 1;
    return this.readable.length >= needed || this.timedOut;
  }

  /** A slave read: one line at most in canonical mode; VMIN/VTIME rules otherwise. */
  read(buf: Uint8Array): number {
    if (buf.length === 0) return 0;
    const n = this.canonical ? this.readCanonical(buf) : this.readRaw(buf);
    this.events.inputChanged();
    return n;
  }

  private readCanonical(buf: Uint8Array): number {
    const end = this.lineEnds[0];
    if (end === undefined) fail(E.EAGAIN);
    const n = Math.min(buf.length, end);
    this.take(buf, n);
    if (this.lineEnds[0] === 0) this.lineEnds.shift();
    return n;
  }

  private readRaw(buf: Uint8Array): number {
    const { cc } = this.termios;
    const min = cc[VC.VMIN] as number;
    const time = cc[VC.VTIME] as number;
    const available = this.readable.length;
    if (available === 0) {
      if (min === 0 && time === 0) return 0;
      if (min === 0) {
        if (this.timedOut) {
          this.timedOut = false;
          return 0;
        }
        this.startTimer(time);
      }
      fail(E.EAGAIN);
    }
    // VTIME > 0 with VMIN > 0 (an inter-byte timer) returns as soon as anything arrived.
    const needed = time === 0 ? Math.min(min, buf.length) : 1;
    if (available < needed) fail(E.EAGAIN);
    const n = Math.min(buf.length, available);
    this.take(buf, n);
    return n;
  }

  private take(buf: Uint8Array, n: number): void {
    buf.set(this.readable.slice(0, n));
    this.readable = this.readable.slice(n);
    this.lineEnds = this.lineEnds.map((end) => end - n);
  }

  private startTimer(deciseconds: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timedOut = true;
      this.events.inputChanged();
    }, deciseconds * 100);
    this.timer.unref();
  }

  // -------------------------------------------------------------------- output (slave writes)

  /** Room left for slave writes (and whether output is suspended). */
  get acceptsOutput(): boolean {
    return !this.stopped && this.outputBytes < OUTPUT_LIMIT;
  }

  /** A slave write: post-processed and queued for the master (EAGAIN when full or stopped). */
  write(data: Uint8Array): number {
    if (data.length === 0) return 0;
    if (!this.acceptsOutput) fail(E.EAGAIN);
    const n = Math.min(data.length, OUTPUT_LIMIT - this.outputBytes);
    this.queueOutput(this.postProcess(data.subarray(0, n)));
    return n;
  }

  private postProcess(data: Iterable<number>): Uint8Array {
    const { oflag } = this.termios;
    const out: number[] = [];
    for (const c of data) {
      if (!(oflag & OFLAG.OPOST)) {
        out.push(c);
        continue;
      }
      if (c === NL) {
        if (oflag & OFLAG.ONLCR) {
          out.push(CR, NL);
          this.column = 0;
          continue;
        }
        if (oflag & OFLAG.ONLRET) this.column = 0;
      } else if (c === CR) {
        if (oflag & OFLAG.ONOCR && this.column === 0) continue;
        if (oflag & OFLAG.OCRNL) {
          out.push(NL);
          if (oflag & OFLAG.ONLRET) this.column = 0;
          continue;
        }
        this.column = 0;
      } else if (c === TAB) {
        this.column = (this.column | 7) + 1;
      } else if (c === BS) {
        if (this.column > 0) this.column--;
      } else if (c >= 0x20 && c !== DEL) {
        this.column++;
      }
      out.push(c);
    }
    return Uint8Array.from(out);
  }

  private queueOutput(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.output.push(bytes);
    this.outputBytes += bytes.length;
    this.events.outputChanged();
  }

  /** Bytes waiting for the master (FIONREAD on the master, TIOCOUTQ on the slave). */
  get pendingOutput(): number {
    return this.outputBytes;
  }

  /** A master read (EAGAIN when nothing is queued). */
  readOutput(buf: Uint8Array): number {
    if (buf.length === 0) return 0;
    if (this.outputBytes === 0) fail(E.EAGAIN);
    let done = 0;
    while (done < buf.length && this.output.length > 0) {
      const chunk = this.output[0] as Uint8Array;
      const n = Math.min(chunk.length, buf.length - done);
      buf.set(chunk.subarray(0, n), done);
      done += n;
      if (n === chunk.length) this.output.shift();
      else this.output[0] = chunk.subarray(n);
    }
    this.outputBytes -= done;
    this.events.outputChanged();
    return done;
  }

  // -------------------------------------------------------------------- control

  /** TCSETS: a switch between canonical and raw keeps what was typed. */
  setTermios(next: Termios): void {
    const wasCanonical = this.canonical;
    this.termios = next;
    if (wasCanonical && !this.canonical) {
      this.readable.push(...this.line);
      this.line = [];
      this.lineEnds = [];
    } else if (!wasCanonical && this.canonical && this.readable.length > 0) {
      this.lineEnds = [this.readable.length];
    }
    if (!(next.iflag & IFLAG.IXON)) this.resumeOutput();
    this.events.inputChanged();
    this.events.outputChanged();
  }

  flushInput(): void {
    this.readable = [];
    this.lineEnds = [];
    this.line = [];
    this.literalNext = false;
    this.events.inputChanged();
  }

  flushOutput(): void {
    this.output.length = 0;
    this.outputBytes = 0;
    this.events.outputChanged();
  }

  /** TCXONC TCOOFF/TCOON. */
  stopOutput(): void {
    this.stopped = true;
  }

  resumeOutput(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.events.outputChanged();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
