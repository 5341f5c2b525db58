// ioctl(2) request numbers for x86-64 and the terminal structures they carry.

export const IOCTL = {
  TCGETS: 0x5401,
  TCSETS: 0x5402,
  TCSETSW: 0x5403,
  TCSETSF: 0x5404,
  TCGETA: 0x5405,
  TCSBRK: 0x5409,
  TCXONC: 0x540a,
  TCFLSH: 0x540b,
  TIOCEXCL: 0x540c,
  TIOCNXCL: 0x540d,
  TIOCSCTTY: 0x540e,
  TIOCGPGRP: 0x540f,
  TIOCSPGRP: 0x5410,
  TIOCOUTQ: 0x5411,
  TIOCSTI: 0x5412,
  TIOCGWINSZ: 0x5413,
  TIOCSWINSZ: 0x5414,
  FIONREAD: 0x541b,
  TIOCLINUX: 0x541c,
  TIOCNOTTY: 0x5422,
  TIOCGSID: 0x5429,
  TIOCGPTN: 0x80045430,
  TIOCSPTLCK: 0x40045431,
  TIOCGPTPEER: 0x5441,
  FIONBIO: 0x5421,
  FIONCLEX: 0x5450,
  FIOCLEX: 0x5451,
  FIOASYNC: 0x5452,
  FIGETBSZ: 2,
} as const;

/** struct termios as TCGETS/TCSETS copy it (the kernel's 36-byte struct termios). */
export const TERMIOS_SIZE = 36;

/** struct winsize: four unsigned shorts. */
export const WINSIZE_SIZE = 8;
