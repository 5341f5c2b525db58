// How a wasm process ended, in the terms wait(2) reports for any sandbox process.

export type WasmExitStatus =
  | { readonly kind: 'exited'; readonly code: number }
  | { readonly kind: 'signaled'; readonly signal: number; readonly reason?: string };

/** The status word wait4(2) stores (WIFEXITED/WIFSIGNALED encoding). */
export function waitStatusOf(status: WasmExitStatus): number {
  return status.kind === 'exited' ? (status.code & 0xff) << 8 : status.signal & 0x7f;
}
