// A host terminal the sandbox's processes hold (tssc's own tty, the pty of a console
// socket or of an exec) shows inside as /dev/pts/N, as the pty runc makes for a
// container would: /proc/PID/fd names it, its fstat is that node's stat (ttyname(3) and
// tty(1) compare the two), and opening the name opens the same host terminal again.

import { E, fail, isSysError } from '../../../abi/errno.js';
import { S, makedev, type FileImpl, type FsContext, type Stat, type Vfs } from '../../../vfs/api.js';
import { PTY_SLAVE_MAJOR, type OutsideTerminal, type PtyTable } from '../../../vfs/devpts/table.js';
import type { Owner } from '../../../vfs/synthetic/nodes.js';

/** Where a sandbox shows its host terminals: its pty table, and the VFS and context their names resolve in. */
export interface TerminalNaming {
  readonly ptys: PtyTable;
  readonly vfs: Vfs;
  readonly ctx: FsContext;
}

/** A description's worth of the host terminal: what a new open of its name goes through. */
export interface TerminalHolder {
  open(flags: number): FileImpl;
}

/** One number per host terminal device and sandbox: fds 0, 1 and 2 of a tty are one terminal. */
const namesOf = new WeakMap<PtyTable, Map<number, HostTerminalName>>();

export class HostTerminalName {
  private readonly holders = new Set<TerminalHolder>();
  private readonly terminal: OutsideTerminal;

  private constructor(
    private readonly naming: TerminalNaming,
    owner: Owner,
    private readonly forget: () => void,
  ) {
    this.terminal = naming.ptys.showOutside(owner, (flags) => this.reopen(flags));
  }

  /** The name of host terminal hostRdev in naming's sandbox, numbered on first use. */
  static of(naming: TerminalNaming, hostRdev: number, owner: Owner): HostTerminalName {
    let names = namesOf.get(naming.ptys);
    if (!names) {
      names = new Map();
      namesOf.set(naming.ptys, names);
    }
    let name = names.get(hostRdev);
    if (!name) {
      const forget = () => names.delete(hostRdev);
      name = new HostTerminalName(naming, owner, forget);
      names.set(hostRdev, name);
    }
    return name;
  }

  get index(): number {
    return this.terminal.index;
  }

  get path(): string {
    return `/dev/pts/${this.terminal.index}`;
  }

  hold(holder: TerminalHolder): void {
    this.holders.add(holder);
  }

  /** holder's last description went; with no holder left the name goes too. */
  release(holder: TerminalHolder): void {
    this.holders.delete(holder);
    if (this.holders.size > 0) return;
    this.naming.ptys.hideOutside(this.terminal);
    this.forget();
  }

  /** The stat of the name as the sandbox sees it; undefined when it names no such device now. */
  stat(): Stat | undefined {
    try {
      const { vfs, ctx } = this.naming;
      const st = vfs.stat(ctx, undefined, this.path, 0);
      return (st.mode & S.IFMT) === S.IFCHR && st.rdev === makedev(PTY_SLAVE_MAJOR, this.index) ? st : undefined;
    } catch (error) {
      if (isSysError(error)) return undefined;
      throw error;
    }
  }

  private reopen(flags: number): FileImpl {
    const [holder] = this.holders;
    if (!holder) fail(E.ENXIO);
    return holder.open(flags);
  }
}
