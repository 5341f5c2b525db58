// runc's --preserve-fds N (create, run, exec): tssc's fds 3 .. 3+N-1 become the
// container's process's fds of the same numbers. Inside they are what stdio is: host
// files, pipes or sockets reached only through the description the caller opened (its
// access mode, its offset), never by a host path the workload could name.
import { readFileSync, readlinkSync } from 'node:fs';
import { O } from '../../abi/linux-fcntl.js';
import { openHostStdio, type HostStdioOptions } from '../../sentry/kernel/files/host-file.js';
import type { FileDescription, FsContext, Vfs } from '../../vfs/api.js';
import { TsscError } from '../errors.js';

/** The first preserved fd, in tssc and in the container alike. */
export const FIRST_PRESERVED_FD = 3;

/** An exec sends stdio and the preserved fds in one SCM_RIGHTS message, which carries 253 at most. */
export const MAX_PRESERVED_FDS = 250;

/** The N of --preserve-fds N, checked. */
export function parsePreserveFds(value: string): number {
  const count = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(count <= MAX_PRESERVED_FDS)) throw new TsscError(`--preserve-fds ${value}: expected a number of fds from 0 to ${MAX_PRESERVED_FDS}`);
  return count;
}

/** What Node's event loop opens first when it starts: its own fds, never a caller's. */
const EVENT_LOOP_FD = /^anon_inode:\[(eventpoll|eventfd|io_uring)\]$/;

/**
 * tssc's fds 3 .. 3+count-1, each checked to be one tssc was started with. Node opens fds
 * of its own as it starts, at the lowest free numbers, its event loop's epoll first (and
 * marks every fd close-on-exec, inherited or not): a gap in the range holds one of its
 * event loop's fds, which must never go inside, so such an fd is taken for not open.
 */
export function preservedFdsOf(count: number): number[] {
  const fds = Array.from({ length: count }, (_, i) => FIRST_PRESERVED_FD + i);
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      target = '';
    }
    if (target === '' || EVENT_LOOP_FD.test(target)) throw new TsscError(`--preserve-fds ${count}: fd ${fd} is not open`);
  }
  return fds;
}

/** The file status flags of this process's fd, from /proc; undefined when it is not open. */
function fdFlags(fd: number): number | undefined {
  let info: string;
  try {
    info = readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const flags = /^flags:\s*([0-7]+)$/m.exec(info)?.[1];
  return flags === undefined ? undefined : parseInt(flags, 8);
}

/** The access mode (O_RDONLY, O_WRONLY, O_RDWR) the host fd was opened with. */
function hostAccessMode(fd: number): number {
  const flags = fdFlags(fd);
  if (flags === undefined) throw new Error(`fd ${fd} is not open`);
  return flags & O.ACCMODE;
}

/**
 * Descriptions of the host fds the process gets as its fds 3, 4, ...; with ownsFd, the
 * sandbox closes each once nothing inside uses it (an exec's, received from its client).
 */
export function openPreservedFds(vfs: Vfs, ctx: FsContext, hostFds: readonly number[], options: HostStdioOptions): FileDescription[] {
  return hostFds.map((fd) => openHostStdio(vfs, ctx, fd, hostAccessMode(fd), options));
}
