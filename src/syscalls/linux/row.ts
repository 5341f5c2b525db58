// The words a row of the syscall table (table.ts) is written in: each says how the
// sandbox treats one syscall (support level, handler, the seccomp filter's rule, notes).
// The number comes from src/abi/linux-syscalls.ts, the row's key.

import type { ArgumentRule, FilterVerdict, SyscallEntry, SyscallHandler } from '../../sentry/kernel/syscall.js';

export type SyscallRow = Omit<SyscallEntry, 'nr' | 'name'>;

/** The filter stops it and the sentry answers it with handler. */
export function supported(handler: SyscallHandler, why?: string): SyscallRow {
  return { support: 'supported', filter: 'trap', handler, ...(why ? { why } : {}) };
}

/** As supported, but the handler leaves out what note says. */
export function partial(handler: SyscallHandler, note: string, why?: string): SyscallRow {
  return { support: 'partial', filter: 'trap', handler, note, ...(why ? { why } : {}) };
}

/** The filter stops it and the sentry answers -ENOSYS (a C library then falls back). */
export function unsupported(note?: string): SyscallRow {
  return { support: 'unsupported', filter: 'trap', ...(note ? { note } : {}) };
}

/** The filter answers -errno: what no sandbox should reach, as gVisor refuses it. */
export function refused(errno: number, note?: string): SyscallRow {
  return { support: 'refused', filter: { refuse: errno }, ...(note ? { note } : {}) };
}

/**
 * The host kernel runs it, no stop. why says what the call acts on (the task's own
 * memory, signal state or scheduling) and that it names no path, fd, pid, tid or uid.
 */
export function host(why: string, note?: string): SyscallRow {
  return { support: note ? 'partial' : 'supported', filter: 'pass', why, ...(note ? { note } : {}) };
}

/**
 * The filter decides by an argument (rule); handler answers what it traps. why says why
 * what it passes is safe for the host.
 */
export function byArgument(rule: ArgumentRule, row: { handler?: SyscallHandler; note?: string; why: string }): SyscallRow {
  const support = row.note ? 'partial' : 'supported';
  return { support, filter: rule, ...row };
}

/** The filter answers -errno (for a case of an ArgumentRule). */
export function refuse(errno: number): FilterVerdict {
  return { refuse: errno };
}
