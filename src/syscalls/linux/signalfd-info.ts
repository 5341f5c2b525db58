// struct signalfd_siginfo (128 bytes) from a siginfo_t, field by field as Linux's
// signalfd_copyinfo fills it for the siginfo's layout (kill, timer, rt, child, fault, poll).

import { SI_CODE, SIGINFO_OFFSET } from '../../abi/linux-signal.js';

export const SIGNALFD_SIGINFO_SIZE = 128;
const SSI = { signo: 0, errno: 4, code: 8, pid: 12, uid: 16, fd: 20, tid: 24, band: 28, overrun: 32, status: 40, int: 44, ptr: 48, utime: 56, stime: 64, addr: 72 } as const;
const SI_TIMER = -2;
const SIG = { ILL: 4, TRAP: 5, BUS: 7, FPE: 8, SEGV: 11, CHLD: 17, POLL: 29 } as const;

type Layout = 'kill' | 'timer' | 'rt' | 'chld' | 'fault' | 'poll';

function layoutOf(sig: number, code: number): Layout {
  if (code === SI_CODE.USER || code === SI_CODE.TKILL) return 'kill';
  if (code === SI_TIMER) return 'timer';
  if (code < 0) return 'rt';
  if (sig === SIG.CHLD) return 'chld';
  if (sig === SIG.SEGV || sig === SIG.BUS || sig === SIG.ILL || sig === SIG.FPE || sig === SIG.TRAP) return 'fault';
  if (sig === SIG.POLL) return 'poll';
  return 'kill';
}

export function signalfdSiginfo(info: Buffer): Buffer {
  const out = Buffer.alloc(SIGNALFD_SIGINFO_SIZE);
  const sig = info.readInt32LE(SIGINFO_OFFSET.signo);
  const code = info.readInt32LE(SIGINFO_OFFSET.code);
  out.writeUInt32LE(sig, SSI.signo);
  out.writeInt32LE(info.readInt32LE(SIGINFO_OFFSET.errno), SSI.errno);
  out.writeInt32LE(code, SSI.code);
  const pidAndUid = (): void => {
    out.writeUInt32LE(info.readUInt32LE(16), SSI.pid);
    out.writeUInt32LE(info.readUInt32LE(20), SSI.uid);
  };
  switch (layoutOf(sig, code)) {
    case 'kill':
      pidAndUid();
      break;
    case 'timer':
      out.writeUInt32LE(info.readUInt32LE(16), SSI.tid);
      out.writeUInt32LE(info.readUInt32LE(20), SSI.overrun);
      out.writeInt32LE(info.readInt32LE(24), SSI.int);
      out.writeBigUInt64LE(info.readBigUInt64LE(24), SSI.ptr);
      break;
    case 'rt':
      pidAndUid();
      out.writeInt32LE(info.readInt32LE(24), SSI.int);
      out.writeBigUInt64LE(info.readBigUInt64LE(24), SSI.ptr);
      break;
    case 'chld':
      pidAndUid();
      out.writeInt32LE(info.readInt32LE(24), SSI.status);
      out.writeBigInt64LE(info.readBigInt64LE(32), SSI.utime);
      out.writeBigInt64LE(info.readBigInt64LE(40), SSI.stime);
      break;
    case 'fault':
      out.writeBigUInt64LE(info.readBigUInt64LE(16), SSI.addr);
      break;
    case 'poll':
      out.writeUInt32LE(Number(BigInt.asUintN(32, info.readBigInt64LE(16))), SSI.band);
      out.writeInt32LE(info.readInt32LE(24), SSI.fd);
      break;
  }
  return out;
}
