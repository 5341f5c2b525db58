// What the /proc files are generated from: the sentry's providers, the VFS (paths and
// the mount table), the machine facts and the sandbox's terminals.

import { E, fail } from '../../abi/errno.js';
import { CAP } from '../../abi/linux-capability.js';
import type { FsContext, ProcessView, SandboxProviders, Vfs } from '../api.js';
import { hasCap } from '../creds.js';
import type { PtyTable } from '../devpts/table.js';
import type { MachineFacts } from '../synthetic/machine.js';
import type { MqueueNamespace } from '../mqueue/namespace.js';

export interface ProcDeps {
  readonly providers: SandboxProviders;
  readonly vfs: Vfs;
  readonly machine: MachineFacts;
  readonly ptys: PtyTable;
  readonly mqueues: MqueueNamespace;
  /** Same for the whole sandbox (/proc/sys/kernel/random/boot_id). */
  readonly bootId: string;
}


/** The process, or ESRCH once it is gone (an open /proc/PID directory outliving it). */
export function processOf(deps: ProcDeps, pid: number): ProcessView {
  const view = deps.providers.process(pid);
  if (!view) fail(E.ESRCH);
  return view;
}

/** The filesystem view of whoever is reading /proc now (paths are shown from its root). */
export function readerContext(deps: ProcDeps): FsContext | undefined {
  const { providers } = deps;
  // Not by its pid: a reader outside the pid namespace of this proc mount has none here.
  return (providers.currentProcess?.() ?? providers.process(providers.currentPid()))?.fsContext;
}

/**
 * Linux's ptrace_may_access for /proc links and environ: the same real, effective and
 * group ids, or CAP_SYS_PTRACE. Throws EACCES.
 */
export function checkInspect(reader: FsContext | undefined, target: ProcessView): void {
  if (!reader) return;
  const creds = reader.creds;
  if (hasCap(creds, CAP.SYS_PTRACE)) return;
  if (creds.uid === target.uid && creds.uid === target.euid && creds.gid === target.gid && creds.gid === target.egid) return;
  fail(E.EACCES);
}

/** checkInspect for the process reading /proc now, which may always inspect itself (same_thread_group). */
export function checkReaderInspects(deps: ProcDeps, target: ProcessView): void {
  if (deps.providers.currentPid() === target.pid) return;
  checkInspect(readerContext(deps), target);
}

/** checkInspect as a question. */
export function mayInspect(reader: FsContext | undefined, target: ProcessView): boolean {
  try {
    checkInspect(reader, target);
    return true;
  } catch {
    return false;
  }
}

/** The controlling terminal of a session, as stat's tty_nr and tpgid show it. */
export function terminalOf(deps: ProcDeps, sid: number): { ttyNr: number; tpgid: number } {
  const pty = deps.ptys.controllingTerminal(sid);
  if (!pty) return { ttyNr: 0, tpgid: -1 };
  // tty_nr packs major 136 and the minor the way new_encode_dev does.
  const minor = pty.index;
  return { ttyNr: (minor & 0xff) | (136 << 8) | ((minor & ~0xff) << 12), tpgid: pty.pgrp ?? -1 };
}
