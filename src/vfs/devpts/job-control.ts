// What terminals need from the sentry: who is calling (pid, process group, session) and
// a way to signal a process group. The calling task is read through SandboxProviders
// (currentPid and process(pid)); signals go through JobControl, which the sentry
// implements (helper H3) and passes to registerSyntheticFilesystems.

import type { FileImpl, SandboxProviders } from '../api.js';

export interface JobControl {
  /** Delivers signo to every process of process group pgid (nothing if the group is gone). */
  signalProcessGroup(pgid: number, signo: number): void;
  /**
   * Whether the calling task ignores or blocks signo. A background read (SIGTTIN), or a
   * background write with TOSTOP (SIGTTOU), then fails with EIO instead of stopping the
   * group, as Linux does. Without it the signal is always sent.
   */
  callerIgnoresSignal?(signo: number): boolean;
  /**
   * /dev/tty for a session whose controlling terminal is not one of the sandbox's ptys (a
   * host terminal handed in as stdio): a new open of it, or undefined for ENXIO.
   */
  openOtherTerminal?(sid: number, flags: number): FileImpl | undefined;
  /**
   * The sentry's own check of a background access (see TerminalAccessCheck); without it,
   * the check from callerIgnoresSignal above.
   */
  checkTerminalAccess?: TerminalAccessCheck;
}

/** The calling process as terminal ioctls see it. */
export interface TtyCaller {
  readonly pid: number;
  readonly pgid: number;
  readonly sid: number;
  readonly caps: bigint;
}

export function currentCaller(providers: SandboxProviders): TtyCaller | undefined {
  const view = providers.process(providers.currentPid());
  if (!view) return undefined;
  return { pid: view.pid, pgid: view.pgid, sid: view.sid, caps: view.fsContext.creds.caps };
}

/**
 * The sentry's job-control check of the calling task's access to a terminal (Linux's
 * tty_check_change, and its read side): returns when the access may go on, throws EIO,
 * or stops the caller's group with SIGTTIN/SIGTTOU and throws the restart. It knows what
 * JobControl cannot tell: the caller's signal mask and whether its group is orphaned.
 */
export type TerminalAccessCheck = (terminal: { session: number | undefined; foreground: number | undefined }, kind: 'read' | 'write') => void;

