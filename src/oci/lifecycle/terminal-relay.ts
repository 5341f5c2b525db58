// process.terminal when the caller's stdin is no terminal (a pipe, /dev/null, a file) and
// no console socket takes one: as runc does since it fixed that case
// (opencontainers/runc#2535), the process gets a new pty, here the sandbox's own, and its
// caller's stdin is copied into the pty and what the pty shows to its stdout. Keys in the
// pipe work as typed keys (^C is the line discipline's to raise), and the copy of the
// output is finished before the caller hears that the process ended.

import { closeSync } from 'node:fs';
import { E, isSysError } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { POLL } from '../../abi/linux-poll.js';
import { openHostStdio } from '../../sentry/kernel/files/host-file.js';
import type { FileDescription, FileImpl, FsContext, Unsubscribe, Vfs } from '../../vfs/api.js';
import type { Pty } from '../../vfs/devpts/pty.js';
import type { PtyTable } from '../../vfs/devpts/table.js';

/** One side of a copy: reads and writes that say EAGAIN rather than wait. */
interface Endpoint {
  read(buf: Uint8Array): number;
  write(buf: Uint8Array): number;
  subscribe(mask: number, callback: () => void): Unsubscribe;
}

const CHUNK = 16 * 1024;

/** Copies from one endpoint to another as they become ready, until the source ends or fails. */
class Copy {
  private readonly buf = new Uint8Array(CHUNK);
  private pending: Uint8Array | undefined;
  private running = false;
  private again = false;
  private ended = false;
  /** Nothing more will come: a read that would wait ends the copy. */
  private draining = false;
  private readonly unsubscribe: Unsubscribe[];
  readonly done: Promise<void>;
  private resolve!: () => void;

  constructor(
    private readonly from: Endpoint,
    private readonly to: Endpoint,
  ) {
    this.done = new Promise((resolve) => (this.resolve = resolve));
    this.unsubscribe = [from.subscribe(POLL.IN | POLL.HUP | POLL.ERR, () => this.run()), to.subscribe(POLL.OUT | POLL.ERR, () => this.run())];
  }

  /** Moves what is ready; runs again when a call made from inside it made more ready. */
  run(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        this.step();
      } while (this.again && !this.ended);
    } finally {
      this.running = false;
    }
  }

  /** Ends the copy (the source has no more, or nobody will take it). */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    this.resolve();
  }

  /** Copies what the source holds now, and ends. */
  drain(): Promise<void> {
    this.draining = true;
    this.run();
    return this.done;
  }

  private step(): void {
    while (!this.ended) {
      if (!this.pending) {
        const n = this.attempt(() => this.from.read(this.buf));
        if (n === undefined) {
          if (this.draining) this.end();
          return;
        }
        if (n === 0) return this.end();
        this.pending = this.buf.slice(0, n);
      }
      const written = this.attempt(() => this.to.write(this.pending!));
      if (written === undefined) return;
      this.pending = written < this.pending.length ? this.pending.subarray(written) : undefined;
    }
  }

  /** The call's count; undefined when it would wait; the copy ends on any other error (EIO: hung up). */
  private attempt(call: () => number): number | undefined {
    try {
      return call();
    } catch (error) {
      if (!isSysError(error)) throw error;
      if (error.errno !== E.EAGAIN) this.end();
      return undefined;
    }
  }
}

function descriptionEndpoint(file: FileDescription): Endpoint {
  return { read: (buf) => file.read(buf), write: (buf) => file.write(buf), subscribe: (mask, callback) => file.subscribe(mask, callback) };
}

function masterEndpoint(master: FileImpl): Endpoint {
  return {
    read: (buf) => master.read!(buf, 0, 0),
    write: (buf) => master.write!(buf, 0, 0),
    subscribe: (mask, callback) => master.subscribe!(mask, callback),
  };
}

export class TerminalRelay {
  private input: Copy | undefined;
  private output: Copy | undefined;

  private constructor(
    readonly pty: Pty,
    private readonly master: FileImpl,
    private readonly hostIn: FileDescription,
    private readonly hostOut: FileDescription,
  ) {}

  /**
   * A new pair owned by ctx's user whose slave, opened three times, is the process's
   * stdio; hostFds are the caller's stdin, stdout and stderr: the first two are copied to
   * and from its master once started. With owned (an exec's, received from its client),
   * the sandbox closes them: stderr at once, the others when the copies end.
   */
  static open(vfs: Vfs, ctx: FsContext, ptys: PtyTable, hostFds: readonly number[], owned: boolean): { relay: TerminalRelay; stdio: FileDescription[] } {
    const { pty, master } = ptys.openPair({ uid: ctx.creds.uid, gid: ctx.creds.gid });
    pty.locked = false;
    const stdio = [0, 1, 2].map(() => vfs.open(ctx, undefined, `/dev/pts/${pty.index}`, O.RDWR, 0));
    const hostIn = openHostStdio(vfs, ctx, hostFds[0]!, O.RDONLY, { ownsFd: owned });
    const hostOut = openHostStdio(vfs, ctx, hostFds[1]!, O.WRONLY, { ownsFd: owned });
    if (owned) for (const fd of hostFds.slice(2)) closeSync(fd);
    return { relay: new TerminalRelay(pty, master, hostIn, hostOut), stdio };
  }

  /** Starts the copies, pty the controlling terminal of session sid (its leader's group in front). */
  start(sid: number): void {
    this.pty.attach(sid, sid);
    this.input = new Copy(descriptionEndpoint(this.hostIn), masterEndpoint(this.master));
    this.output = new Copy(masterEndpoint(this.master), descriptionEndpoint(this.hostOut));
    this.input.run();
    this.output.run();
  }

  /**
   * The process has ended: what the pty still holds goes to the caller's stdout (waiting
   * for a full pipe to drain), then both copies stop and the pty is hung up.
   */
  async finish(): Promise<void> {
    this.input?.end();
    // Nothing inside can write any more: once the pty is empty, the copy is done.
    await this.output?.drain();
    this.master.release?.();
    this.hostIn.unref();
    this.hostOut.unref();
  }
}
