// What the sentry's parts use of a task's memory: the platform gives each task one.

/**
 * The memory of the calling task. Every address the workload passes may be unmapped or
 * hostile: a failed access throws SysError(EFAULT), never anything else. Each argument
 * is copied once and the handler decides from its copy.
 */
export interface TaskMemory {
  read(addr: bigint, length: number): Buffer;
  /** Fills into from addr (a buffer the caller reuses: bulk data with no allocation per call). */
  readInto(addr: bigint, into: Uint8Array): void;
  write(addr: bigint, data: Uint8Array): void;
  /** A NUL-terminated string as a latin1 byte string; ENAMETOOLONG past maxLength bytes. */
  readCString(addr: bigint, maxLength: number): string;
}
