// The pseudo-terminals of one sandbox: every devpts mount and /dev/ptmx share this
// table (a single devpts instance, as runsc has), and /dev/tty finds the caller's
// controlling terminal in it.

import { E, fail } from '../../abi/errno.js';
import type { FileImpl, FilesystemRegistry, FsContext, SandboxProviders } from '../api.js';
import type { JobControl } from './job-control.js';
import { currentCaller } from './job-control.js';
import { Pty } from './pty.js';

/** Major number of Unix98 pty slaves. */
export const PTY_SLAVE_MAJOR = 136;
/** /proc/sys/kernel/pty/max. */
export const PTY_MAX = 4096;

/** Told when a pair appears (on open of ptmx) or goes (on the master's last close). */
export type PtyListener = (pty: Pty, present: boolean) => void;

export class PtyTable {
  private readonly ptys = new Map<number, Pty>();
  private readonly listeners = new Set<PtyListener>();
  private readonly registered = new Set<number>();
  /** Pairs ever opened (/proc/sys/kernel/pty/nr). */
  opened = 0;
  /** The most recent pair, for whoever just opened ptmx through the VFS (the console). */
  lastAllocated: Pty | undefined;
  /** The pair behind /dev/console (a spec with process.terminal). */
  console: Pty | undefined;

  constructor(
    readonly providers: SandboxProviders,
    readonly jobControl: JobControl,
    private readonly registry: FilesystemRegistry,
  ) {}

  /** Opens /dev/ptmx: a new locked pair owned by the caller; the master side. */
  openMaster(ctx: FsContext): FileImpl {
    let index = 0;
    while (this.ptys.has(index)) index++;
    if (index >= PTY_MAX) fail(E.ENOSPC);
    const pty = new Pty(index, { uid: ctx.creds.uid, gid: ctx.creds.gid }, this);
    this.ptys.set(index, pty);
    this.lastAllocated = pty;
    this.opened++;
    this.registerSlaveDevice(index);
    const master = pty.openMaster();
    for (const listener of this.listeners) listener(pty, true);
    return master;
  }

  /** Follows pairs appearing and going (a /dev without a devpts mount lists them). */
  listen(listener: PtyListener): void {
    this.listeners.add(listener);
  }

  get(index: number): Pty | undefined {
    return this.ptys.get(index);
  }

  indices(): number[] {
    return [...this.ptys.keys()].sort((a, b) => a - b);
  }

  remove(pty: Pty): void {
    if (this.ptys.get(pty.index) !== pty) return;
    this.ptys.delete(pty.index);
    for (const listener of this.listeners) listener(pty, false);
  }

  /** The terminal controlling session sid, if any. */
  controllingTerminal(sid: number): Pty | undefined {
    for (const pty of this.ptys.values()) if (pty.session === sid) return pty;
    return undefined;
  }

  /** /dev/tty: the caller's controlling terminal (ENXIO when it has none). */
  openControlling(flags: number): FileImpl {
    const caller = currentCaller(this.providers);
    if (!caller) fail(E.ENXIO);
    const pty = this.controllingTerminal(caller.sid);
    if (pty) return pty.slaveFile();
    return this.jobControl.openOtherTerminal?.(caller.sid, flags) ?? fail(E.ENXIO);
  }

  /** /dev/console: the console pair's slave (ENXIO when the sandbox has no terminal). */
  openConsole(flags: number): FileImpl {
    if (!this.console?.isOpen) fail(E.ENXIO);
    return this.console.openSlave(flags);
  }

  /**
   * For the sentry when a session leader exits: its controlling terminal's foreground
   * group gets SIGHUP and SIGCONT and the terminal is free again.
   */
  hangupSession(sid: number): void {
    this.controllingTerminal(sid)?.disassociate(true);
  }

  /** Slave nodes (136:N) open through the registry, like any character device node. */
  private registerSlaveDevice(index: number): void {
    if (this.registered.has(index)) return;
    this.registered.add(index);
    this.registry.registerCharDevice(PTY_SLAVE_MAJOR, index, (flags) => {
      const pty = this.ptys.get(index);
      if (!pty) fail(E.ENXIO);
      return pty.openSlave(flags);
    });
  }
}
