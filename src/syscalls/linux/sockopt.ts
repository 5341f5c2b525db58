// getsockopt/setsockopt values in their ABI forms: int for most, struct linger, struct
// timeval for the timeouts, struct ucred for SO_PEERCRED, bytes for names, each read and
// written with Linux's length rules (a short optlen cuts an answer, a short value is EINVAL).

import { E, fail } from '../../abi/errno.js';
import { LINGER_SIZE, SO, SOL, TCP_OPT, UCRED_SIZE } from '../../abi/linux-socket.js';
import type { OptionValue } from '../../netstack/socket.js';

type Codec = 'int' | 'linger' | 'timeval' | 'ucred' | 'bytes';

const TIMEVAL_SIZE = 16;
const NS_PER_USEC = 1000n;
const USEC_PER_SEC = 1_000_000n;

function codecOf(level: number, name: number): Codec {
  if (level === SOL.SOCKET) {
    switch (name) {
      case SO.LINGER:
        return 'linger';
      case SO.RCVTIMEO_OLD:
      case SO.RCVTIMEO_NEW:
      case SO.SNDTIMEO_OLD:
      case SO.SNDTIMEO_NEW:
        return 'timeval';
      case SO.PEERCRED:
        return 'ucred';
      case SO.BINDTODEVICE:
        return 'bytes';
      default:
        return 'int';
    }
  }
  if (level === SOL.TCP && (name === TCP_OPT.CONGESTION || name === TCP_OPT.INFO)) return 'bytes';
  return 'int';
}

/** How much of optval setsockopt reads: what the value needs, never more than it was given. */
export function optionReadLength(level: number, name: number, length: number): number {
  const needed = { int: 4, linger: LINGER_SIZE, timeval: TIMEVAL_SIZE, ucred: 0, bytes: 256 }[codecOf(level, name)];
  return Math.min(length, needed);
}

/** setsockopt's value, decoded for (level, name). */
export function decodeOption(level: number, name: number, raw: Buffer): OptionValue {
  switch (codecOf(level, name)) {
    case 'int':
      // The IP levels take a single byte where an int does not fit.
      if (raw.length < 4) {
        if (raw.length >= 1 && level !== SOL.SOCKET && level !== SOL.TCP) return { kind: 'int', value: raw[0]! };
        fail(E.EINVAL);
      }
      return { kind: 'int', value: raw.readInt32LE(0) };
    case 'linger':
      if (raw.length < LINGER_SIZE) fail(E.EINVAL);
      return { kind: 'linger', on: raw.readInt32LE(0) !== 0, seconds: raw.readInt32LE(4) };
    case 'timeval': {
      if (raw.length < TIMEVAL_SIZE) fail(E.EINVAL);
      const sec = raw.readBigInt64LE(0);
      const usec = raw.readBigInt64LE(8);
      if (usec < 0n || usec >= USEC_PER_SEC) fail(E.EDOM);
      // A negative time means no wait at all; zero means no timeout.
      if (sec < 0n) return { kind: 'timeout', ns: 1n };
      return { kind: 'timeout', ns: (sec * USEC_PER_SEC + usec) * NS_PER_USEC };
    }
    case 'ucred':
      return fail(E.ENOPROTOOPT);
    case 'bytes':
      return { kind: 'bytes', bytes: Uint8Array.prototype.slice.call(raw) };
  }
}

/** getsockopt's answer in its ABI form (the caller copies at most optlen of it). */
export function encodeOption(value: OptionValue): Buffer {
  switch (value.kind) {
    case 'int': {
      const out = Buffer.alloc(4);
      out.writeInt32LE(value.value | 0, 0);
      return out;
    }
    case 'linger': {
      const out = Buffer.alloc(LINGER_SIZE);
      out.writeInt32LE(value.on ? 1 : 0, 0);
      out.writeInt32LE(value.seconds, 4);
      return out;
    }
    case 'timeout': {
      const out = Buffer.alloc(TIMEVAL_SIZE);
      const usec = value.ns / NS_PER_USEC;
      out.writeBigInt64LE(usec / USEC_PER_SEC, 0);
      out.writeBigInt64LE(usec % USEC_PER_SEC, 8);
      return out;
    }
    case 'ucred': {
      const out = Buffer.alloc(UCRED_SIZE);
      out.writeInt32LE(value.cred.pid, 0);
      out.writeUInt32LE(value.cred.uid, 4);
      out.writeUInt32LE(value.cred.gid, 8);
      return out;
    }
    case 'bytes':
      return Buffer.from(value.bytes);
  }
}
