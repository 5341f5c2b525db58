// A wasm trap ends the process as the matching hardware fault ends a Linux one, so a
// shell sees 134 for abort() (wasi-libc's abort is `unreachable`) and 139 for a bad access.

import { SIG } from '../../abi/linux-signal.js';

export function signalOfTrap(error: unknown): { signal: number; reason: string } {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError) return { signal: SIG.SEGV, reason }; // call stack exhausted
  if (!(error instanceof WebAssembly.RuntimeError)) return { signal: SIG.ABRT, reason };
  if (/unreachable/.test(reason)) return { signal: SIG.ABRT, reason };
  if (/out of bounds|null|stack/.test(reason)) return { signal: SIG.SEGV, reason };
  if (/divide|remainder|integer overflow|float unrepresentable/.test(reason)) return { signal: SIG.FPE, reason };
  return { signal: SIG.ILL, reason };
}
