// Terminal ABI (asm-generic/termbits.h for x86-64): struct termios flag bits, c_cc
// indices, the defaults a new terminal gets, and the byte layouts TCGETS/TIOCGWINSZ copy.

import { TERMIOS_SIZE, WINSIZE_SIZE } from './linux-ioctl.js';

/** c_iflag bits. */
export const IFLAG = {
  IGNBRK: 0o1,
  BRKINT: 0o2,
  IGNPAR: 0o4,
  PARMRK: 0o10,
  INPCK: 0o20,
  ISTRIP: 0o40,
  INLCR: 0o100,
  IGNCR: 0o200,
  ICRNL: 0o400,
  IUCLC: 0o1000,
  IXON: 0o2000,
  IXANY: 0o4000,
  IXOFF: 0o10000,
  IMAXBEL: 0o20000,
  IUTF8: 0o40000,
} as const;

/** c_oflag bits. */
export const OFLAG = {
  OPOST: 0o1,
  OLCUC: 0o2,
  ONLCR: 0o4,
  OCRNL: 0o10,
  ONOCR: 0o20,
  ONLRET: 0o40,
} as const;

/** c_cflag bits and fields. */
export const CFLAG = {
  B38400: 0o17,
  CS8: 0o60,
  CREAD: 0o200,
  HUPCL: 0o2000,
} as const;

/** c_lflag bits. */
export const LFLAG = {
  ISIG: 0o1,
  ICANON: 0o2,
  ECHO: 0o10,
  ECHOE: 0o20,
  ECHOK: 0o40,
  ECHONL: 0o100,
  NOFLSH: 0o200,
  TOSTOP: 0o400,
  ECHOCTL: 0o1000,
  ECHOPRT: 0o2000,
  ECHOKE: 0o4000,
  FLUSHO: 0o10000,
  PENDIN: 0o40000,
  IEXTEN: 0o100000,
  EXTPROC: 0o200000,
} as const;

/** Indices into c_cc. */
export const VC = {
  VINTR: 0,
  VQUIT: 1,
  VERASE: 2,
  VKILL: 3,
  VEOF: 4,
  VTIME: 5,
  VMIN: 6,
  VSWTC: 7,
  VSTART: 8,
  VSTOP: 9,
  VSUSP: 10,
  VEOL: 11,
  VREPRINT: 12,
  VDISCARD: 13,
  VWERASE: 14,
  VLNEXT: 15,
  VEOL2: 16,
} as const;

/** The kernel's NCCS for struct termios (the 36-byte one TCGETS copies). */
export const NCCS = 19;

/** A c_cc value that disables the special character (_POSIX_VDISABLE). */
export const VDISABLE = 0;

/** TCFLSH queue selectors. */
export const TCFLUSH = { TCIFLUSH: 0, TCOFLUSH: 1, TCIOFLUSH: 2 } as const;

/** TCXONC actions. */
export const TCFLOW = { TCOOFF: 0, TCOON: 1, TCIOFF: 2, TCION: 3 } as const;

export interface Termios {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  cc: Uint8Array;
}

/** What a new terminal starts with (the kernel's tty_std_termios and INIT_C_CC). */
export function defaultTermios(): Termios {
  const cc = new Uint8Array(NCCS);
  cc[VC.VINTR] = 0x03;
  cc[VC.VQUIT] = 0x1c;
  cc[VC.VERASE] = 0x7f;
  cc[VC.VKILL] = 0x15;
  cc[VC.VEOF] = 0x04;
  cc[VC.VTIME] = 0;
  cc[VC.VMIN] = 1;
  cc[VC.VSTART] = 0x11;
  cc[VC.VSTOP] = 0x13;
  cc[VC.VSUSP] = 0x1a;
  cc[VC.VREPRINT] = 0x12;
  cc[VC.VDISCARD] = 0x0f;
  cc[VC.VWERASE] = 0x17;
  cc[VC.VLNEXT] = 0x16;
  return {
    iflag: IFLAG.ICRNL | IFLAG.IXON,
    oflag: OFLAG.OPOST | OFLAG.ONLCR,
    cflag: CFLAG.B38400 | CFLAG.CS8 | CFLAG.CREAD | CFLAG.HUPCL,
    lflag: LFLAG.ISIG | LFLAG.ICANON | LFLAG.ECHO | LFLAG.ECHOE | LFLAG.ECHOK | LFLAG.ECHOCTL | LFLAG.ECHOKE | LFLAG.IEXTEN,
    line: 0,
    cc,
  };
}

export function encodeTermios(t: Termios): Uint8Array {
  const b = Buffer.alloc(TERMIOS_SIZE);
  b.writeUInt32LE(t.iflag >>> 0, 0);
  b.writeUInt32LE(t.oflag >>> 0, 4);
  b.writeUInt32LE(t.cflag >>> 0, 8);
  b.writeUInt32LE(t.lflag >>> 0, 12);
  b.writeUInt8(t.line & 0xff, 16);
  b.set(t.cc.subarray(0, NCCS), 17);
  return b;
}

export function decodeTermios(data: Uint8Array): Termios {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return {
    iflag: b.readUInt32LE(0),
    oflag: b.readUInt32LE(4),
    cflag: b.readUInt32LE(8),
    lflag: b.readUInt32LE(12),
    line: b.readUInt8(16),
    cc: Uint8Array.from(b.subarray(17, 17 + NCCS)),
  };
}

export interface Winsize {
  rows: number;
  cols: number;
  xpixel: number;
  ypixel: number;
}

export function encodeWinsize(w: Winsize): Uint8Array {
  const b = Buffer.alloc(WINSIZE_SIZE);
  b.writeUInt16LE(w.rows, 0);
  b.writeUInt16LE(w.cols, 2);
  b.writeUInt16LE(w.xpixel, 4);
  b.writeUInt16LE(w.ypixel, 6);
  return b;
}

export function decodeWinsize(data: Uint8Array): Winsize {
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return { rows: b.readUInt16LE(0), cols: b.readUInt16LE(2), xpixel: b.readUInt16LE(4), ypixel: b.readUInt16LE(6) };
}
