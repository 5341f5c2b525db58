// preview1 rights: a capability mask per WASI fd. tssc keeps them beside the sentry's fd
// table (the VFS checks permissions as on Linux); rights only narrow what an fd may do.

import { Filetype } from './abi.js';

const bit = (n: number): bigint => 1n << BigInt(n);

export const Right = {
  FD_DATASYNC: bit(0),
  FD_READ: bit(1),
  FD_SEEK: bit(2),
  FD_FDSTAT_SET_FLAGS: bit(3),
  FD_SYNC: bit(4),
  FD_TELL: bit(5),
  FD_WRITE: bit(6),
  FD_ADVISE: bit(7),
  FD_ALLOCATE: bit(8),
  PATH_CREATE_DIRECTORY: bit(9),
  PATH_CREATE_FILE: bit(10),
  PATH_LINK_SOURCE: bit(11),
  PATH_LINK_TARGET: bit(12),
  PATH_OPEN: bit(13),
  FD_READDIR: bit(14),
  PATH_READLINK: bit(15),
  PATH_RENAME_SOURCE: bit(16),
  PATH_RENAME_TARGET: bit(17),
  PATH_FILESTAT_GET: bit(18),
  PATH_FILESTAT_SET_SIZE: bit(19),
  PATH_FILESTAT_SET_TIMES: bit(20),
  FD_FILESTAT_GET: bit(21),
  FD_FILESTAT_SET_SIZE: bit(22),
  FD_FILESTAT_SET_TIMES: bit(23),
  PATH_SYMLINK: bit(24),
  PATH_REMOVE_DIRECTORY: bit(25),
  PATH_UNLINK_FILE: bit(26),
  POLL_FD_READWRITE: bit(27),
  SOCK_SHUTDOWN: bit(28),
  SOCK_ACCEPT: bit(29),
} as const;

export const ALL_RIGHTS = bit(30) - 1n;

/** What an fd on a regular file (or character device, pipe) can ever be asked to do. */
export const FILE_RIGHTS =
  Right.FD_DATASYNC | Right.FD_READ | Right.FD_SEEK | Right.FD_FDSTAT_SET_FLAGS | Right.FD_SYNC |
  Right.FD_TELL | Right.FD_WRITE | Right.FD_ADVISE | Right.FD_ALLOCATE | Right.FD_FILESTAT_GET |
  Right.FD_FILESTAT_SET_SIZE | Right.FD_FILESTAT_SET_TIMES | Right.POLL_FD_READWRITE;

/** What an fd on a directory can ever be asked to do. */
export const DIRECTORY_RIGHTS =
  Right.FD_FDSTAT_SET_FLAGS | Right.FD_SYNC | Right.FD_ADVISE | Right.PATH_CREATE_DIRECTORY |
  Right.PATH_CREATE_FILE | Right.PATH_LINK_SOURCE | Right.PATH_LINK_TARGET | Right.PATH_OPEN |
  Right.FD_READDIR | Right.PATH_READLINK | Right.PATH_RENAME_SOURCE | Right.PATH_RENAME_TARGET |
  Right.PATH_FILESTAT_GET | Right.PATH_FILESTAT_SET_SIZE | Right.PATH_FILESTAT_SET_TIMES |
  Right.FD_FILESTAT_GET | Right.FD_FILESTAT_SET_TIMES | Right.PATH_SYMLINK |
  Right.PATH_REMOVE_DIRECTORY | Right.PATH_UNLINK_FILE | Right.POLL_FD_READWRITE;

const SOCKET_RIGHTS =
  Right.FD_READ | Right.FD_WRITE | Right.FD_FDSTAT_SET_FLAGS | Right.FD_FILESTAT_GET |
  Right.POLL_FD_READWRITE | Right.SOCK_SHUTDOWN | Right.SOCK_ACCEPT;

export interface FdRights {
  base: bigint;
  inheriting: bigint;
}

/** The rights an fd gets when the sandbox hands it over (stdio, the preopen). */
export function defaultRights(filetype: number, readable: boolean, writable: boolean): FdRights {
  switch (filetype) {
    case Filetype.DIRECTORY:
      return { base: DIRECTORY_RIGHTS, inheriting: DIRECTORY_RIGHTS | FILE_RIGHTS };
    case Filetype.SOCKET_STREAM:
    case Filetype.SOCKET_DGRAM:
      return { base: SOCKET_RIGHTS, inheriting: ALL_RIGHTS };
    default: {
      let base = FILE_RIGHTS;
      if (!readable) base &= ~Right.FD_READ;
      if (!writable) base &= ~(Right.FD_WRITE | Right.FD_ALLOCATE | Right.FD_FILESTAT_SET_SIZE);
      // Pipes and ttys cannot seek; WASI libc asks for FD_SEEK to decide buffering.
      if (filetype === Filetype.CHARACTER_DEVICE || filetype === Filetype.UNKNOWN) {
        base &= ~(Right.FD_SEEK | Right.FD_TELL);
      }
      return { base, inheriting: 0n };
    }
  }
}
