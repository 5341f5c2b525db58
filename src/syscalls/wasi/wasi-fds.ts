// The WASI view of a process's fds: the sentry's FdTable holds the descriptions (so
// /proc, pipes shared with Linux processes and inheritance all work as for any process);
// this adds what preview1 has on top: rights per fd and which fds are preopens.

import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { S } from '../../abi/linux-stat.js';
import type { FdTable } from '../../sentry/kernel/fd-table.js';
import type { FileDescription } from '../../vfs/api.js';
import { Filetype, WasiErrno } from './abi.js';
import { WasiError } from './errno.js';
import { defaultRights, Right, type FdRights } from './rights.js';

export function filetypeOfMode(mode: number): number {
  switch (mode & S.IFMT) {
    case S.IFDIR:
      return Filetype.DIRECTORY;
    case S.IFREG:
      return Filetype.REGULAR_FILE;
    case S.IFLNK:
      return Filetype.SYMBOLIC_LINK;
    case S.IFCHR:
      return Filetype.CHARACTER_DEVICE;
    case S.IFBLK:
      return Filetype.BLOCK_DEVICE;
    case S.IFSOCK:
      return Filetype.SOCKET_STREAM;
    default:
      return Filetype.UNKNOWN; // FIFOs have no preview1 type (wasmtime reports them so too)
  }
}

export function filetypeOf(file: FileDescription): number {
  return filetypeOfMode(file.inode.stat().mode);
}

function accessOf(file: FileDescription): { readable: boolean; writable: boolean } {
  const mode = file.accessMode & O.ACCMODE;
  return { readable: mode !== O.WRONLY, writable: mode !== O.RDONLY };
}

export class WasiFds {
  private readonly rights = new Map<number, FdRights>();
  private readonly preopens = new Map<number, string>();

  constructor(readonly table: FdTable) {}

  /** Records fd as a preopen named name with full directory rights. */
  addPreopen(fd: number, name: string): void {
    this.preopens.set(fd, name);
    this.rights.delete(fd);
  }

  preopenName(fd: number): string {
    this.table.get(fd);
    const name = this.preopens.get(fd);
    // wasi-libc scans fds from 3 until BADF: any other open fd must answer BADF too.
    if (name === undefined) fail(E.EBADF);
    return name;
  }

  /** The description behind fd once rights allow each of needed; BADF/NOTCAPABLE otherwise. */
  file(fd: number, needed: bigint = 0n): FileDescription {
    const file = this.table.get(fd);
    const { base } = this.rightsOf(fd, file);
    if ((base & needed) !== needed) {
      // Missing read/write access is what Linux reports for the fd's access mode: EBADF.
      if (needed & (Right.FD_READ | Right.FD_WRITE)) fail(E.EBADF);
      throw new WasiError(WasiErrno.NOTCAPABLE);
    }
    return file;
  }

  rightsOf(fd: number, file: FileDescription = this.table.get(fd)): FdRights {
    const known = this.rights.get(fd);
    if (known) return known;
    const { readable, writable } = accessOf(file);
    return defaultRights(filetypeOf(file), readable, writable);
  }

  /** Installs a freshly opened description with the rights path_open granted. */
  install(file: FileDescription, rights: FdRights): number {
    const fd = this.table.install(file);
    this.rights.set(fd, rights);
    return fd;
  }

  setRights(fd: number, rights: FdRights): void {
    const current = this.rightsOf(fd);
    if ((rights.base & ~current.base) !== 0n || (rights.inheriting & ~current.inheriting) !== 0n) {
      throw new WasiError(WasiErrno.NOTCAPABLE);
    }
    this.rights.set(fd, rights);
  }

  close(fd: number): void {
    this.table.close(fd);
    this.forget(fd);
  }

  /** fd_renumber: to takes from's description, rights and preopen name; from is closed. */
  renumber(from: number, to: number): void {
    const file = this.table.get(from);
    this.table.get(to);
    if (from === to) return;
    const rights = this.rightsOf(from, file);
    const preopen = this.preopens.get(from);
    file.ref();
    this.table.installAt(to, file);
    this.forget(to);
    this.rights.set(to, rights);
    if (preopen !== undefined) this.preopens.set(to, preopen);
    this.close(from);
  }

  private forget(fd: number): void {
    this.rights.delete(fd);
    this.preopens.delete(fd);
  }
}
