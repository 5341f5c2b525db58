// Host system calls made through node:fs report failures as Node errors; inside the VFS
// every failure is a SysError with the host's errno.

import { SysError } from '../abi/errno.js';

/** Runs a host call, turning Node's errors into SysError with the host errno. */
export function host<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    throw toSysError(error);
  }
}

export function toSysError(error: unknown): SysError {
  if (error instanceof SysError) return error;
  const errno = (error as NodeJS.ErrnoException).errno;
  if (typeof errno === 'number') return new SysError(Math.abs(errno));
  throw error;
}
