// Reading a program file whole, as execve does before it commits: the ELF loader and the
// wasm loader both take the whole image into memory, so both refuse the same sizes.

import { E, fail } from '../../abi/errno.js';
import type { FileDescription, Inode, Stat } from '../../vfs/api.js';

/** Program files above this size are refused with ENOMEM rather than read into memory. */
const MAX_PROGRAM_BYTES = 1 << 30;

/**
 * Recently executed programs, unchanged since (same size, mtime and ctime): a shell that
 * forks and execs the same few programs reads each once (busybox is ~1 MiB, a read of it
 * costs about as much as the rest of an exec). Least recently used first; its bytes are
 * never written to, only copied into the new process. A file changed less than
 * SETTLED_MS ago is not kept: host filesystems stamp times coarsely, and a second change
 * within the same tick would leave the stamp as it was. Shared by every sandbox of the Node
 * process: a key is an inode of one sandbox's VFS, so no sandbox is given another's bytes
 * (only the byte budget is common).
 */
const MAX_CACHED_BYTES = 64 << 20;
const SETTLED_MS = 2000;
const cache = new Map<Inode, { stamp: string; bytes: Uint8Array }>();
let cachedBytes = 0;

function stampOf(st: Stat): string {
  return `${st.size}:${st.mtime.sec}.${st.mtime.nsec}:${st.ctime.sec}.${st.ctime.nsec}`;
}

/** The whole file's bytes (fewer if it shrank while being read). */
export function readWholeProgram(file: FileDescription): Uint8Array {
  const st = file.stat();
  if (st.size > MAX_PROGRAM_BYTES) fail(E.ENOMEM);
  const stamp = stampOf(st);
  const cached = cache.get(file.inode);
  if (cached) {
    cache.delete(file.inode);
    if (cached.stamp === stamp) {
      cache.set(file.inode, cached);
      return cached.bytes;
    }
    cachedBytes -= cached.bytes.length;
  }
  const bytes = readAll(file, st.size);
  remember(file.inode, st, stamp, bytes);
  return bytes;
}

function readAll(file: FileDescription, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const n = file.read(bytes.subarray(done), done);
    if (n <= 0) break;
    done += n;
  }
  return bytes.subarray(0, done);
}

function remember(inode: Inode, st: Stat, stamp: string, bytes: Uint8Array): void {
  if (bytes.length > MAX_CACHED_BYTES / 4) return;
  if (Date.now() - (st.ctime.sec * 1000 + st.ctime.nsec / 1e6) < SETTLED_MS) return;
  cache.set(inode, { stamp, bytes });
  cachedBytes += bytes.length;
  for (const [oldest, entry] of cache) {
    if (cachedBytes <= MAX_CACHED_BYTES) break;
    cache.delete(oldest);
    cachedBytes -= entry.bytes.length;
  }
}
