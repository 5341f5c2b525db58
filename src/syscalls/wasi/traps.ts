// A wasm trap ends the process as the matching hardware fault ends a Linux one, so a
// shell sees 134 for abort() (wasi-libc's abort is `unreachable`) and 139 for a bad access.

const SIGILL = 4;
const SIGABRT = 6;
const SIGFPE = 8;
const SIGSEGV = 11;

export function signalOfTrap(error: unknown): { signal: number; reason: string } {
  const reason = error instanceof Error ? error.message : String(error);
  if (error instanceof RangeError) return { signal: SIGSEGV, reason }; // call stack exhausted
  if (!(error instanceof WebAssembly.RuntimeError)) return { signal: SIGABRT, reason };
  if (/unreachable/.test(reason)) return { signal: SIGABRT, reason };
  if (/out of bounds|null|stack/.test(reason)) return { signal: SIGSEGV, reason };
  if (/divide|remainder|integer overflow|float unrepresentable/.test(reason)) return { signal: SIGFPE, reason };
  return { signal: SIGILL, reason };
}
