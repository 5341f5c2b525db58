// The pseudo-terminals of one sandbox: every devpts mount and /dev/ptmx share this
// table (a single devpts instance, as runsc has), and /dev/tty finds the caller's
// controlling terminal in it. Terminals from outside the sandbox that its processes hold
// (tssc's own tty, a console socket's or an exec's pty) take numbers in it too, so they
// show as /dev/pts/N as the pty runc makes would, and ttyname(3) finds them.

import { E, fail } from '../../abi/errno.js';
import type { FileImpl, FilesystemRegistry, FsContext, SandboxProviders } from '../api.js';
import type { Owner } from '../synthetic/nodes.js';
import type { JobControl } from './job-control.js';
import { currentCaller } from './job-control.js';
import { Pty } from './pty.js';

/** Major number of Unix98 pty slaves. */
export const PTY_SLAVE_MAJOR = 136;
/** /proc/sys/kernel/pty/max. */
export const PTY_MAX = 4096;

/** A numbered terminal: a pair of the table, or one from outside the sandbox. */
export interface NumberedTerminal {
  readonly index: number;
  readonly owner: Owner;
}

/** A terminal from outside the sandbox: opening /dev/pts/N opens it again. */
export interface OutsideTerminal extends NumberedTerminal {
  openSlave(flags: number): FileImpl;
}

/** Told when a terminal appears (a pair on open of ptmx) or goes (on the master's last close). */
export type PtyListener = (terminal: NumberedTerminal, present: boolean) => void;

export class PtyTable {
  private readonly ptys = new Map<number, Pty>();
  private readonly outside = new Map<number, OutsideTerminal>();
  private readonly listeners = new Set<PtyListener>();
  private readonly registered = new Set<number>();
  /** Pairs ever opened (/proc/sys/kernel/pty/nr). */
  opened = 0;
  /** The number of the terminal behind /dev/console (a spec with process.terminal). */
  private console: number | undefined;
  private readonly consoleListeners = new Set<() => void>();

  constructor(
    readonly providers: SandboxProviders,
    readonly jobControl: JobControl,
    private readonly registry: FilesystemRegistry,
  ) {}

  /** Opens /dev/ptmx: a new locked pair owned by the caller; the master side. */
  openMaster(ctx: FsContext): FileImpl {
    return this.openPair({ uid: ctx.creds.uid, gid: ctx.creds.gid }).master;
  }

  /** A new locked pair owned by owner, and its master side. */
  openPair(owner: Owner): { pty: Pty; master: FileImpl } {
    const index = this.freeIndex();
    const pty = new Pty(index, owner, this);
    this.ptys.set(index, pty);
    this.opened++;
    this.registerSlaveDevice(index);
    const master = pty.openMaster();
    for (const listener of this.listeners) listener(pty, true);
    return { pty, master };
  }

  /** Numbers a terminal from outside the sandbox (ENOSPC when all are taken). */
  showOutside(owner: Owner, openSlave: (flags: number) => FileImpl): OutsideTerminal {
    const terminal = { index: this.freeIndex(), owner, openSlave };
    this.outside.set(terminal.index, terminal);
    this.registerSlaveDevice(terminal.index);
    for (const listener of this.listeners) listener(terminal, true);
    return terminal;
  }

  /** The outside terminal is no longer held by any process of the sandbox. */
  hideOutside(terminal: OutsideTerminal): void {
    if (this.outside.get(terminal.index) !== terminal) return;
    this.outside.delete(terminal.index);
    if (this.console === terminal.index) this.console = undefined;
    for (const listener of this.listeners) listener(terminal, false);
  }

  /** The lowest number neither a pair nor an outside terminal has. */
  private freeIndex(): number {
    let index = 0;
    while (this.ptys.has(index) || this.outside.has(index)) index++;
    if (index >= PTY_MAX) fail(E.ENOSPC);
    return index;
  }

  /** Follows pairs appearing and going (a /dev without a devpts mount lists them). */
  listen(listener: PtyListener): void {
    this.listeners.add(listener);
  }

  get(index: number): Pty | undefined {
    return this.ptys.get(index);
  }

  /** The owner of terminal index (a pair's or an outside one's). */
  ownerOf(index: number): Owner | undefined {
    return (this.ptys.get(index) ?? this.outside.get(index))?.owner;
  }

  indices(): number[] {
    return [...this.ptys.keys(), ...this.outside.keys()].sort((a, b) => a - b);
  }

  remove(pty: Pty): void {
    if (this.ptys.get(pty.index) !== pty) return;
    this.ptys.delete(pty.index);
    if (this.console === pty.index) this.console = undefined;
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

  /** For a spec with process.terminal: /dev/console is terminal index (runc binds the init's there). */
  showConsole(index: number): void {
    this.console = index;
    for (const listener of this.consoleListeners) listener();
  }

  /** Follows showConsole (a /dev makes its console node). */
  listenConsole(listener: () => void): void {
    this.consoleListeners.add(listener);
  }

  /** /dev/console: the console's slave (ENXIO when the sandbox has no terminal). */
  openConsole(flags: number): FileImpl {
    // A pair's last master close takes it out of the table, and the console with it.
    if (this.console === undefined) fail(E.ENXIO);
    return this.openSlave(this.console, flags);
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
    this.registry.registerCharDevice(PTY_SLAVE_MAJOR, index, (flags) => this.openSlave(index, flags));
  }

  private openSlave(index: number, flags: number): FileImpl {
    const terminal = this.ptys.get(index) ?? this.outside.get(index);
    if (!terminal) fail(E.ENXIO);
    return terminal.openSlave(flags);
  }
}
