// The per-task file descriptor table (Linux's files_struct): small integers naming open
// file descriptions, each with its own close-on-exec flag. ABI-neutral: the Linux table
// and the WASI layer both use it.
//
// References: the table owns one reference per fd. install() takes over the reference the
// caller holds (a fresh description from Vfs.open has one); dup/fork take new ones; every
// way an fd goes away (close, replacement by dup2, exec, release of the table) drops its.

import { E, fail } from '../../abi/errno.js';
import type { FileDescription } from '../../vfs/api.js';

export interface FdEntry {
  readonly file: FileDescription;
  readonly cloexec: boolean;
}

/** Linux's default fs.nr_open: no fd at or above it ever exists. */
export const NR_OPEN = 1 << 20;

export interface InstallOptions {
  cloexec?: boolean;
  /** The lowest fd to use (F_DUPFD's argument). */
  minFd?: number;
  /** RLIMIT_NOFILE of the caller: EMFILE when no fd below it is free. */
  limit?: number;
}

/**
 * How many fds, across every table, name each description. Lock owners need it: flock
 * and OFD locks go when the last fd naming their description closes.
 */
const fdsNaming = new WeakMap<FileDescription, number>();

function countFd(file: FileDescription, delta: number): void {
  fdsNaming.set(file, (fdsNaming.get(file) ?? 0) + delta);
}

/** Whether any fd in any table still names file. */
export function isNamedByAnyFd(file: FileDescription): boolean {
  return (fdsNaming.get(file) ?? 0) > 0;
}

type CloseListener = (table: FdTable, file: FileDescription) => void;
const closeListeners: CloseListener[] = [];

/**
 * Calls listener for every fd that goes away, however it goes (close, dup2 over it,
 * exec, the end of the process), before its reference is dropped. POSIX record locks
 * need it: Linux releases a table's locks on a file when any fd of it closes.
 */
export function onFdClosed(listener: CloseListener): void {
  closeListeners.push(listener);
}

export class FdTable {
  private readonly entries = new Map<number, FdEntry>();
  /** No fd below this is free: where the lowest-free search starts. */
  private freeHint = 0;
  /** Tasks using the table (clone with CLONE_FILES shares it); the last one to go closes every fd. */
  private users = 1;

  /** The description behind fd, or EBADF. */
  get(fd: number): FileDescription {
    const entry = this.entries.get(fd);
    if (!entry) fail(E.EBADF);
    return entry.file;
  }

  /** The entry of fd, or undefined when fd is not open. */
  entry(fd: number): FdEntry | undefined {
    return this.entries.get(fd);
  }

  /** Installs file at the lowest free fd >= minFd and returns it; takes over one reference. */
  install(file: FileDescription, options: InstallOptions = {}): number {
    const fd = this.lowestFree(options.minFd ?? 0, effectiveLimit(options.limit));
    if (fd === undefined) {
      file.unref();
      fail(E.EMFILE);
    }
    this.entries.set(fd, { file, cloexec: options.cloexec ?? false });
    countFd(file, 1);
    return fd;
  }

  /**
   * Puts file at exactly fd (dup2/dup3, stdio setup), closing what was there; takes over
   * one reference. EBADF when fd is outside the limit, as dup2 reports it.
   */
  installAt(fd: number, file: FileDescription, options: { cloexec?: boolean; limit?: number } = {}): void {
    if (!Number.isInteger(fd) || fd < 0 || fd >= effectiveLimit(options.limit)) {
      file.unref();
      fail(E.EBADF);
    }
    const previous = this.entries.get(fd);
    this.entries.set(fd, { file, cloexec: options.cloexec ?? false });
    countFd(file, 1);
    if (previous) this.release(previous.file);
  }

  /** A new fd for the description behind fd (dup, F_DUPFD): the two share offset and flags. */
  dup(fd: number, options: InstallOptions = {}): number {
    const file = this.get(fd);
    file.ref();
    return this.install(file, options);
  }

  /** Closes fd; EBADF when it is not open. Returns the description it named. */
  close(fd: number): FileDescription {
    const entry = this.entries.get(fd);
    if (!entry) fail(E.EBADF);
    this.remove(fd, entry);
    return entry.file;
  }

  setCloexec(fd: number, cloexec: boolean): void {
    const entry = this.entries.get(fd);
    if (!entry) fail(E.EBADF);
    this.entries.set(fd, { file: entry.file, cloexec });
  }

  /** close_range(2) without CLOSE_RANGE_CLOEXEC: closes every open fd in [first, last]. */
  closeRange(first: number, last: number): FileDescription[] {
    return this.openFdsIn(first, last).map((fd) => this.close(fd));
  }

  /** close_range(2) with CLOSE_RANGE_CLOEXEC: marks every open fd in [first, last]. */
  setCloexecRange(first: number, last: number): void {
    for (const fd of this.openFdsIn(first, last)) this.setCloexec(fd, true);
  }

  /** A copy for fork (or CLONE_FILES-less clone, unshare(CLONE_FILES)): same descriptions, new references. */
  fork(): FdTable {
    const copy = new FdTable();
    for (const [fd, entry] of this.entries) {
      entry.file.ref();
      countFd(entry.file, 1);
      copy.entries.set(fd, entry);
    }
    return copy;
  }

  /** One more task uses the table (clone with CLONE_FILES): it is shared, not copied. */
  share(): this {
    this.users++;
    return this;
  }

  /** A task using the table is gone (or has a copy of its own): the last one closes every fd. */
  leave(): void {
    if (--this.users === 0) this.closeAll();
  }

  /** Whether more than one task uses it. */
  get shared(): boolean {
    return this.users > 1;
  }

  /** execve: closes every close-on-exec fd. */
  closeOnExec(): void {
    for (const [fd, entry] of [...this.entries]) {
      if (entry.cloexec) this.remove(fd, entry);
    }
  }

  /** Closes every fd (the end of a table's last user). */
  closeAll(): void {
    for (const [fd, entry] of [...this.entries]) this.remove(fd, entry);
  }

  /** The open fds in increasing order with their descriptions (for /proc/PID/fd, poll, select). */
  snapshot(): ReadonlyMap<number, FileDescription> {
    const fds = [...this.entries.keys()].sort((a, b) => a - b);
    return new Map(fds.map((fd) => [fd, this.entries.get(fd)!.file]));
  }

  get count(): number {
    return this.entries.size;
  }

  /** The highest open fd, -1 when none is open. */
  get highest(): number {
    let highest = -1;
    for (const fd of this.entries.keys()) if (fd > highest) highest = fd;
    return highest;
  }

  private remove(fd: number, entry: FdEntry): void {
    this.entries.delete(fd);
    if (fd < this.freeHint) this.freeHint = fd;
    this.release(entry.file);
  }

  private release(file: FileDescription): void {
    countFd(file, -1);
    for (const listener of closeListeners) listener(this, file);
    file.unref();
  }

  private lowestFree(minFd: number, limit: number): number | undefined {
    let fd = Math.max(minFd, 0);
    const fromHint = fd <= this.freeHint;
    if (fromHint) fd = this.freeHint;
    while (fd < limit && this.entries.has(fd)) fd++;
    if (fd >= limit) return undefined;
    if (fromHint) this.freeHint = fd + 1;
    return fd;
  }

  private openFdsIn(first: number, last: number): number[] {
    return [...this.entries.keys()].filter((fd) => fd >= first && fd <= last).sort((a, b) => a - b);
  }
}

function effectiveLimit(limit: number | undefined): number {
  if (limit === undefined) return NR_OPEN;
  return Math.min(limit, NR_OPEN);
}
