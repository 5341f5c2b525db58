// One task's side of a ptrace relation inside the sandbox (Linux's task->ptrace and the
// ptrace-stop it sits in): who traces it, with which options, and the stop its tracer's
// wait reports and its next request resumes.

import type { RunMode } from '../platform.js';
import type { Task } from '../task.js';

/** What kind of ptrace-stop a tracee is in (ptrace(2): "Stopped states"). */
export type PtraceStopKind = 'signal' | 'group' | 'syscall-enter' | 'syscall-exit' | 'event';

/** A tracee held stopped for its tracer. */
export interface HeldStop {
  readonly kind: PtraceStopKind;
  /** The raw wait status its tracer's wait reports. */
  readonly status: number;
  /**
   * Lets the task go on from the stop: sig is the signal to deliver (a signal-delivery
   * stop) or inject (0: none); listen keeps a group-stop (PTRACE_LISTEN).
   */
  readonly resume: (sig: number, listen: boolean) => void;
}

export class Tracee {
  /** PTRACE_O_* bits. */
  options = 0;
  /** The ptrace-stop it is held in; undefined while it runs. */
  stop: HeldStop | undefined;
  /** A wait of its tracer has reported the current stop. */
  collected = false;
  /** PTRACE_GETEVENTMSG's value: the new child's pid, the former tid of an exec, the exit status. */
  eventMsg = 0n;
  /** The call of its last syscall-enter stop: its end shows it (the host shows -1 for a call the sentry answered). */
  callNr = -1;
  /** How its tracer's last resume asked it to run. */
  runMode: RunMode = 'plain';
  /** Auto-attached at its creation: its first stop is its tracer's (a later seize's is not). */
  awaitsFirstStop = false;
  /** A PTRACE_INTERRUPT is on its way: its next stop event is its tracer's. */
  interrupted = false;
  /** Its end's raw wait status, until its tracer's wait collects it. */
  exitStatus: number | undefined;

  constructor(
    /** The tracing thread: requests about this tracee are its. */
    readonly tracer: Task,
    /** Attached by PTRACE_SEIZE (group-stops are event stops, PTRACE_LISTEN and INTERRUPT work). */
    readonly seized: boolean,
  ) {}
}
