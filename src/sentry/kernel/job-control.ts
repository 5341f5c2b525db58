// Job control in the sentry's process tree: the stops and continues of a process that
// its parent learns of through wait4/waitid (WUNTRACED, WCONTINUED) and SIGCHLD. The host
// kernel stops and resumes the real processes; their real parent is the sentry, so the
// virtual parent is told here.

import { SIG } from '../../abi/linux-signal.js';
import { SA } from './signals.js';
import type { ThreadGroup } from './thread-group.js';

export const WAIT = { NOHANG: 1, UNTRACED: 2, EXITED: 4, CONTINUED: 8, NOWAIT: 0x01000000, ALL: 0x40000000, CLONE: 0x80000000 } as const;

/** A stop or continue of a child that its parent has not collected with wait yet. */
export type JobReport = { readonly kind: 'stopped'; readonly sig: number } | { readonly kind: 'continued' };

/** The raw wait status of a report: WIFSTOPPED ((sig << 8) | 0x7f) or WIFCONTINUED (0xffff). */
export function reportStatus(report: JobReport): number {
  return report.kind === 'stopped' ? (report.sig << 8) | 0x7f : 0xffff;
}

const TERMINAL_STOPS = new Set<number>([SIG.TSTP, SIG.TTIN, SIG.TTOU]);

/**
 * The host signal that has sig's effect on group. The workload's host processes form an
 * orphaned process group on the host (their own session, their real parent the sentry's
 * outside it), where the kernel discards SIGTSTP, SIGTTIN and SIGTTOU whose action is to
 * stop: such a stop is sent as SIGSTOP, and the signal that caused it is remembered for
 * the parent's wait status. Not when Linux would not stop the group now: a signal the
 * receiver blocks stays pending as itself, and one sent to a group orphaned in the
 * sandbox too is discarded by the host as Linux discards it.
 */
export function hostSignalFor(group: ThreadGroup, sig: number, blocked: () => boolean, groups: readonly ThreadGroup[]): number {
  if (!TERMINAL_STOPS.has(sig) || group.sigactions.effect(sig) !== 'stop') return sig;
  if (blocked() || isOrphaned(group.pgid, groups)) return sig;
  group.stopCause = sig;
  return SIG.STOP;
}

/**
 * The first thread of a group entered a group-stop for sig. Returns whether the parent
 * must get a SIGCHLD (not when its SIGCHLD action has SA_NOCLDSTOP).
 */
export function groupStopped(group: ThreadGroup, sig: number): boolean {
  if (group.stopped) return false;
  group.stopped = true;
  group.jobReport = { kind: 'stopped', sig: sig === SIG.STOP ? (group.stopCause ?? sig) : sig };
  group.stopCause = undefined;
  return wakeParent(group);
}

/** A SIGCONT ended the group's stop. Returns whether the parent must get a SIGCHLD. */
export function groupContinued(group: ThreadGroup): boolean {
  if (!group.stopped) return false;
  group.stopped = false;
  group.jobReport = { kind: 'continued' };
  return wakeParent(group);
}

function wakeParent(group: ThreadGroup): boolean {
  const parent = group.parent;
  if (!parent || parent.zombie) return false;
  parent.notifyChildEvent();
  return (parent.sigactions.get(SIG.CHLD).flags & SA.NOCLDSTOP) === 0;
}

/** What one child has for a waiter with these options, or undefined. */
export function waitableState(child: ThreadGroup, options: number): { status: number; consume: () => void } | undefined {
  if (child.zombie) {
    return options & WAIT.EXITED ? { status: child.exitStatus!, consume: () => undefined } : undefined;
  }
  const report = child.jobReport;
  if (!report) return undefined;
  const wanted = report.kind === 'stopped' ? WAIT.UNTRACED : WAIT.CONTINUED;
  if (!(options & wanted)) return undefined;
  return {
    status: reportStatus(report),
    consume: () => {
      if (child.jobReport === report) child.jobReport = undefined;
    },
  };
}

/** What the terminal access check needs of the sentry. */
export interface TerminalCaller {
  /** The process making the current syscall. */
  readonly group: ThreadGroup;
  /** Whether the calling thread blocks sig. */
  blocks(sig: number): boolean;
}

/**
 * Whether no live process of the group has a parent in another group of the same session:
 * nobody is left to continue it, so the terminal's stop signals would strand it.
 */
function isOrphaned(pgid: number, groups: readonly ThreadGroup[]): boolean {
  return !groups.some((g) => g.pgid === pgid && !g.zombie && g.parent !== undefined && g.parent.pgid !== pgid && g.parent.sid === g.sid);
}

/**
 * The process groups an exit leaves orphaned with stopped members (Linux's
 * kill_orphaned_pgrp), which get SIGHUP and then SIGCONT so no job stays stopped with
 * nobody to continue it: the exiting process's own group when it was the group's last link
 * to another group of its session, and each of its children's groups that it linked so
 * (the children already moved to their new parent; the exiting one is a zombie).
 */
export function groupsOrphanedBy(exiting: ThreadGroup, children: readonly ThreadGroup[], groups: readonly ThreadGroup[]): number[] {
  const orphaned = new Set<number>();
  const hasStopped = (pgid: number): boolean => groups.some((g) => g.pgid === pgid && g.stopped && !g.zombie);
  for (const child of children) {
    if (child.pgid !== exiting.pgid && child.sid === exiting.sid && isOrphaned(child.pgid, groups) && hasStopped(child.pgid)) orphaned.add(child.pgid);
  }
  const parent = exiting.parent;
  if (parent && parent.pgid !== exiting.pgid && parent.sid === exiting.sid && isOrphaned(exiting.pgid, groups) && hasStopped(exiting.pgid)) {
    orphaned.add(exiting.pgid);
  }
  return [...orphaned];
}

/**
 * A background process touching its controlling terminal (Linux's tty_check_change and
 * the read side of job control): 'ok', 'eio', or the signal to send its process group
 * (SIGTTIN for a read, SIGTTOU for a write with TOSTOP or a termios change), after which
 * the call is restarted once the group is continued in the foreground.
 */
export function terminalAccess(
  caller: TerminalCaller,
  terminal: { session: number | undefined; foreground: number | undefined },
  kind: 'read' | 'write',
  groups: readonly ThreadGroup[],
): 'ok' | 'eio' | number {
  const group = caller.group;
  if (terminal.session === undefined || terminal.session !== group.sid) return 'ok';
  if (terminal.foreground === undefined || terminal.foreground === group.pgid) return 'ok';
  const sig = kind === 'read' ? SIG.TTIN : SIG.TTOU;
  const spared = group.sigactions.effect(sig) === 'ignore' || caller.blocks(sig);
  // A write whose SIGTTOU nobody would act on goes through; a read fails.
  if (spared) return kind === 'read' ? 'eio' : 'ok';
  if (isOrphaned(group.pgid, groups)) return 'eio';
  return sig;
}
