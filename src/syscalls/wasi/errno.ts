// Linux errno (the sentry's one table) to WASI errno. Names match except where preview1
// merged or renamed them; anything without a WASI counterpart becomes EIO, as wasmtime does.

import { E, ERESTART_RESTARTBLOCK, ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, SysError } from '../../abi/errno.js';
import { WasiErrno } from './abi.js';

const linuxToWasi = new Map<number, number>();
for (const [name, wasi] of Object.entries(WasiErrno)) {
  const linux = (E as Record<string, number>)[`E${name}`];
  if (linux !== undefined) linuxToWasi.set(linux, wasi);
}
linuxToWasi.set(E.E2BIG, WasiErrno.TOOBIG);
linuxToWasi.set(E.EOPNOTSUPP, WasiErrno.NOTSUP);
linuxToWasi.set(E.ENOLINK, WasiErrno.NOLINK);
// A wait a signal interrupted: WASI has no restart, the module sees EINTR.
for (const restart of [ERESTARTSYS, ERESTARTNOINTR, ERESTARTNOHAND, ERESTART_RESTARTBLOCK]) linuxToWasi.set(restart, WasiErrno.INTR);

/** A WASI errno with no Linux counterpart (NOTCAPABLE), thrown like SysError. */
export class WasiError {
  constructor(readonly errno: number) {}
}

/** The WASI errno for a Linux errno (sign ignored). */
export function wasiErrnoOfLinux(errno: number): number {
  return linuxToWasi.get(Math.abs(errno)) ?? WasiErrno.IO;
}

/**
 * The WASI errno for something a sentry operation threw. Only SysError is an expected
 * outcome; anything else is a sentry bug and is rethrown so it is seen, not hidden as EIO.
 */
export function wasiErrnoOfThrown(thrown: unknown): number {
  if (thrown instanceof SysError) return wasiErrnoOfLinux(thrown.errno);
  if (thrown instanceof WasiError) return thrown.errno;
  throw thrown;
}
