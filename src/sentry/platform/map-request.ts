// A shared mapping of a host file the kernel asks a platform to make in a task.

/** The arguments of the trapped mmap. */
export interface MapRequest {
  addr: bigint;
  length: bigint;
  prot: number;
  flags: number;
  offset: bigint;
}
