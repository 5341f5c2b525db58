// What the kernel's signal delivery needs of the host threads that run tasks: their signal
// state and a way to raise a signal there. The host kernel delivers it (the ptrace platform
// lets its delivery stop through), so a handler runs on the workload's own stack.

export interface HostSignals {
  /** What host thread hostTid blocks, running or stopped; undefined when it can take no signal any more. */
  blocked(hostTid: number): bigint | undefined;
  /** The signal mask of a thread the platform holds stopped. */
  stoppedMask(hostTid: number): bigint;
  /** Replaces the signal mask of a thread the platform holds stopped: 0 or -errno. */
  setStoppedMask(hostTid: number, mask: bigint): number;
  /** The siginfos (SIGINFO_SIZE bytes each) queued for a stopped thread, its own or its process's (shared), in order: or -errno. */
  queued(hostTid: number, shared: boolean): Buffer[] | number;
  /** Raises sig in one host thread of process hostPid. */
  raiseInThread(hostPid: number, hostTid: number, sig: number): void;
  /** Raises sig in host process hostPid, for the host to pick a thread; nothing if it is gone. */
  raiseInProcess(hostPid: number, sig: number): void;
  /** Signals the host kernel has queued for hostTid that mask (undefined: the thread's own) does not block. */
  deliverable(hostTid: number, mask: bigint | undefined): number[];
}
