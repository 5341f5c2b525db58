// File descriptions over tssc's own host fds, given to the workload as its stdin,
// stdout and stderr: a tty, a pipe, a socket or a file of the caller's. Reads never block
// the event loop (HostStreamReader); writes go straight to the host fd at its own offset,
// so `2>&1` interleaves as it would natively.

import * as fs from 'node:fs';
import * as tty from 'node:tty';
import { E, fail } from '../../../abi/errno.js';
import { IOCTL } from '../../../abi/linux-ioctl.js';
import { O } from '../../../abi/linux-fcntl.js';
import { POLL } from '../../../abi/linux-poll.js';
import { S, type Credentials, type FileDescription, type FileImpl, type FsContext, type Inode, type Stat, type Unsubscribe, type UserMemory, type Vfs } from '../../../vfs/api.js';
import { WaitQueue } from '../../../waiter/index.js';
import { allocateIno, anonFilesystem } from './anon-fs.js';
import { HostStreamReader } from './host-file-reader.js';
import { HostTerminal, type JobControlTerminal } from './host-file-termios.js';
import { HostTerminalName, type TerminalNaming } from './host-terminal-name.js';
import type { PtyTable } from '../../../vfs/devpts/table.js';

const hostStdioFs = anonFilesystem('host', 0);
const WRITABLE = POLL.OUT | POLL.WRNORM;
/** Retry delays for a host fd that said EAGAIN: it has no readiness source of its own. */
const WRITE_RETRY_MS = [1, 4, 16, 50, 100];

function hostErrno(e: unknown): never {
  const errno = (e as NodeJS.ErrnoException).errno;
  if (typeof errno === 'number') fail(Math.abs(errno));
  throw e;
}

export class HostFileInode implements Inode {
  readonly fs = hostStdioFs;
  readonly ino = allocateIno();
  private readonly type: number;
  private readonly reader: HostStreamReader | undefined;
  /** Set when the host fd is a tty. */
  readonly terminal: HostTerminal | undefined;
  private readonly queue = new WaitQueue();
  private writeBlocked = false;
  private retry = 0;
  private opens = 0;
  private lastHostStat: fs.Stats | undefined;
  private writeTarget: number | undefined;
  private readable = false;
  /** A tty's name inside the sandbox (/dev/pts/N), while a description holds it. */
  private readonly name: HostTerminalName | undefined;

  constructor(
    readonly hostFd: number,
    private readonly owner: Credentials,
    /** The job-control states of the sandbox's host terminals, by device (see terminalsOf). */
    terminals: Map<number, JobControlTerminal>,
    /**
     * The sandbox owns hostFd (an exec's stdio, received from its client): it is closed
     * once no description uses it, so the client's readers see the end of output.
     */
    private readonly ownsFd = false,
    naming?: TerminalNaming,
  ) {
    const isTty = tty.isatty(hostFd);
    this.type = this.hostStat().mode & S.IFMT;
    const streamed = isTty || this.type === S.IFIFO || this.type === S.IFSOCK;
    if (streamed) this.reader = new HostStreamReader(hostFd, isTty ? 'tty' : 'stream');
    if (isTty) {
      const terminal = new HostTerminal(hostFd, () => this.reader?.ttyStream, jobStateOf(terminals, this.hostStat().rdev));
      this.terminal = terminal;
      this.reader!.inputFilter = (chunk) => terminal.filterInput(chunk);
      if (naming) {
        this.name = HostTerminalName.of(naming, this.hostStat().rdev, { uid: owner.uid, gid: owner.gid });
        this.name.hold(this);
      }
    }
  }

  /** Whether the host fd is a socket (Node's child_process hands out socketpairs as stdio). */
  get isSocket(): boolean {
    return this.type === S.IFSOCK;
  }

  /** What /proc/PID/fd shows for it. */
  get displayName(): string {
    if (this.type === S.IFIFO) return `pipe:[${this.ino}]`;
    if (this.type === S.IFSOCK) return `socket:[${this.ino}]`;
    if (this.name) return this.name.path;
    return this.terminal ? '/dev/tty' : `host:[${this.hostFd}]`;
  }

  /** The sandbox's number for a terminal (/dev/pts/N); undefined for anything else. */
  get terminalIndex(): number | undefined {
    return this.name?.index;
  }

  stat(): Stat {
    const named = this.name?.stat();
    if (named) return named;
    const st = this.hostStat();
    const time = (ms: number) => ({ sec: Math.floor(ms / 1000), nsec: Math.round((ms % 1000) * 1e6) });
    return {
      dev: hostStdioFs.dev,
      ino: this.ino,
      mode: st.mode,
      nlink: st.nlink,
      uid: this.owner.uid,
      gid: this.owner.gid,
      rdev: st.rdev,
      size: this.type === S.IFREG ? st.size : 0,
      blksize: st.blksize,
      blocks: st.blocks,
      atime: time(st.atimeMs),
      mtime: time(st.mtimeMs),
      ctime: time(st.ctimeMs),
    };
  }

  /** The host fd's attributes; the last ones seen once a socket's fd closed at end of input. */
  private hostStat(): fs.Stats {
    try {
      this.lastHostStat = fs.fstatSync(this.hostFd);
    } catch (e) {
      if (!this.lastHostStat) throw e;
    }
    return this.lastHostStat;
  }

  open(flags: number): FileImpl {
    this.opens++;
    // Only a description opened for reading may ever read the host fd (a stdout pipe's
    // readiness must not take bytes out of it).
    if ((flags & O.ACCMODE) !== O.WRONLY) this.readable = true;
    let released = false;
    const impl: FileImpl = {
      seekable: false,
      read: (buf) => this.read(buf),
      write: (buf) => this.write(buf),
      readiness: (mask) => this.readiness(mask),
      subscribe: (mask, callback) => this.subscribe(mask, callback),
      ioctl: (request, arg, memory) => this.ioctl(request, arg, memory),
      release: () => {
        if (released) return;
        released = true;
        if (--this.opens > 0) return;
        this.name?.release(this);
        if (this.ownsFd) this.closeHost();
        else this.reader?.stop();
      },
    };
    descriptionsOf.set(impl, this);
    return impl;
  }

  /** The last description of an owned fd went: every host fd of it is closed. */
  private closeHost(): void {
    const closedByReader = this.reader?.close() ?? false;
    if (this.writeTarget !== undefined && this.writeTarget !== this.hostFd) fs.closeSync(this.writeTarget);
    if (!closedByReader) fs.closeSync(this.hostFd);
  }

  private read(buf: Uint8Array): number {
    if (!this.readable) fail(E.EBADF);
    this.terminal?.access('read');
    if (this.reader) return this.reader.read(buf);
    try {
      return fs.readSync(this.hostFd, buf, 0, buf.length, null);
    } catch (e) {
      return hostErrno(e);
    }
  }

  /**
   * Where writes go: for a host pipe, a private non-blocking description of it, so a
   * full pipe whose reader is alive but not reading makes the writer wait (EAGAIN and
   * readiness) instead of blocking the sentry's event loop, which would stop every task
   * and the signal proxy with it. Anything else is written through tssc's own fd.
   */
  private writeFd(): number {
    if (this.writeTarget === undefined) {
      this.writeTarget = this.hostFd;
      if (this.type === S.IFIFO) {
        try {
          this.writeTarget = fs.openSync(`/proc/self/fd/${this.hostFd}`, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
        } catch {
          // No reader to open it against (ENXIO) or no /proc: tssc's own fd it is.
        }
      }
    }
    return this.writeTarget;
  }

  private write(buf: Uint8Array): number {
    this.terminal?.access('write');
    if (this.writeBlocked) fail(E.EAGAIN);
    try {
      const n = fs.writeSync(this.writeFd(), buf, 0, buf.length, null);
      this.retry = 0;
      return n;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
        this.blockWrites();
        fail(E.EAGAIN);
      }
      return hostErrno(e);
    }
  }

  /**
   * A non-blocking host fd that is full: Node offers no way to watch an arbitrary fd for
   * writability, so the writer retries on a short backoff (reset by every write that
   * goes through).
   */
  private blockWrites(): void {
    this.writeBlocked = true;
    const delay = WRITE_RETRY_MS[Math.min(this.retry++, WRITE_RETRY_MS.length - 1)]!;
    setTimeout(() => {
      this.writeBlocked = false;
      this.queue.notify(WRITABLE);
    }, delay).unref();
  }

  private readiness(mask: number): number {
    let ready = 0;
    if (this.readable && mask & (POLL.IN | POLL.RDNORM)) ready = this.reader ? this.reader.readiness() : POLL.IN | POLL.RDNORM;
    if (!this.writeBlocked) ready |= WRITABLE;
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  private subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    const fromReader = this.readable ? this.reader?.subscribe(mask, callback) : undefined;
    const fromWrites = this.queue.subscribe(mask, callback);
    return () => {
      fromReader?.();
      fromWrites();
    };
  }

  private ioctl(request: number, arg: bigint, memory: UserMemory): number {
    if (request === IOCTL.FIONREAD && this.reader) {
      const out = Buffer.alloc(4);
      out.writeInt32LE(this.reader.buffered);
      memory.write(arg, out);
      return 0;
    }
    if (!this.terminal) fail(E.ENOTTY);
    return this.terminal.ioctl(request, arg, memory);
  }
}

/**
 * One job-control state per host terminal device and sandbox: fds 0, 1 and 2 of a tty are
 * one terminal, and two sandboxes on one tty each have their own sessions. By the
 * sandbox's VFS: stdio is opened before the sandbox's kernel exists.
 */
const terminalJobStates = new WeakMap<Vfs, Map<number, JobControlTerminal>>();

function terminalsOf(vfs: Vfs): Map<number, JobControlTerminal> {
  let terminals = terminalJobStates.get(vfs);
  if (!terminals) {
    terminals = new Map();
    terminalJobStates.set(vfs, terminals);
  }
  return terminals;
}

function jobStateOf(terminals: Map<number, JobControlTerminal>, rdev: number): JobControlTerminal {
  let state = terminals.get(rdev);
  if (!state) {
    state = { session: undefined, foreground: undefined };
    terminals.set(rdev, state);
  }
  return state;
}

/** The host file each open gave (also through a terminal's /dev/pts/N name). */
const descriptionsOf = new WeakMap<FileImpl, HostFileInode>();

function hostFileOf(file: FileDescription): HostFileInode | undefined {
  return file.impl && descriptionsOf.get(file.impl);
}

/** The job-control state of the terminal behind file, when it is a host tty. */
export function hostTerminalOf(file: FileDescription): JobControlTerminal | undefined {
  return hostFileOf(file)?.terminal;
}

/** The sandbox's number for the host terminal behind file (/dev/pts/N), if it is one. */
export function hostTerminalIndexOf(file: FileDescription): number | undefined {
  return hostFileOf(file)?.terminalIndex;
}

/**
 * Makes the host tty behind file the controlling terminal of a session whose foreground
 * group is pgid (process.terminal: the container's init gets the caller's terminal), so
 * tcgetpgrp/tcsetpgrp work and the signal proxy can send a typed ^C to the foreground
 * group (hostTerminalOf(file).foreground). False when file is not a tty.
 */
export function attachControllingTerminal(file: FileDescription, session: number, pgid: number): boolean {
  const terminal = hostTerminalOf(file);
  if (!terminal) return false;
  terminal.session = session;
  terminal.foreground = pgid;
  return true;
}

export interface HostStdioOptions {
  /** The sandbox takes over the host fd itself (closed when the last description goes). */
  ownsFd?: boolean;
  /** Where a tty gets its /dev/pts/N name (without it, it shows as /dev/tty). */
  ptys?: PtyTable;
}

/**
 * A description for tssc's host fd hostFd, opened with accessMode (O_RDONLY for stdin,
 * O_WRONLY for stdout and stderr). The sandbox takes over its one reference.
 */
export function openHostStdio(vfs: Vfs, ctx: FsContext, hostFd: number, accessMode: number, options: HostStdioOptions = {}): FileDescription {
  const naming = options.ptys ? { ptys: options.ptys, vfs, ctx } : undefined;
  const inode = new HostFileInode(hostFd, ctx.creds, terminalsOf(vfs), options.ownsFd ?? false, naming);
  return vfs.openAnonymous(inode, inode.displayName, accessMode & O.ACCMODE, ctx);
}

