// The exit code of `tssc run`: the container init's, or 128 + the signal that killed it.

export function exitCodeOf(waitStatus: number): number {
  const signal = waitStatus & 0x7f;
  if (signal === 0) return (waitStatus >> 8) & 0xff;
  return 128 + signal;
}
