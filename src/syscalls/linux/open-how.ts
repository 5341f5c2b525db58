// openat2(2)'s struct open_how: read as copy_struct_from_user reads it (a newer, longer
// struct is fine when its extra bytes are zero), checked as build_open_flags checks it,
// and its RESOLVE_* bits as the VFS's resolution limits.

import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { PAGE_SIZE } from '../../abi/linux-mman.js';
import { OPEN_HOW_SIZE_VER0, RESOLVE, RESOLVE_ALL } from '../../abi/linux-openat2.js';
import type { TaskMemory } from '../../sentry/kernel/syscall.js';
import type { FsContext, Location, ResolveLimits } from '../../vfs/api.js';

/** O_SYNC's own bit (O.SYNC is __O_SYNC|O_DSYNC) and O_TMPFILE's (O.TMPFILE adds O_DIRECTORY). */
const O_SYNC_BIT = 0o4000000;
const O_TMPFILE_BIT = 0o20000000;

/** Every flag open(2) knows (VALID_OPEN_FLAGS): openat2 refuses the others. */
const VALID_OPEN_FLAGS =
  O.ACCMODE | O.CREAT | O.EXCL | O.NOCTTY | O.TRUNC | O.APPEND | O.NONBLOCK | O.DSYNC | O.ASYNC | O.DIRECT | O.LARGEFILE | O.DIRECTORY |
  O.NOFOLLOW | O.NOATIME | O.CLOEXEC | O_SYNC_BIT | O.PATH | O_TMPFILE_BIT;
/** What O_PATH may come with. */
const O_PATH_FLAGS = O.DIRECTORY | O.NOFOLLOW | O.PATH | O.CLOEXEC;
/** S_IALLUGO: the bits a new file's mode may have. */
const MODE_BITS = 0o7777;

export interface OpenHow {
  /** The open flags, O_LARGEFILE added where a 64-bit kernel adds it. */
  flags: number;
  mode: number;
  resolve: number;
}

/** Reads the struct at addr of size bytes: EINVAL below its first size, E2BIG past a page or with unknown fields set. */
export function readOpenHow(mem: TaskMemory, addr: bigint, size: bigint): { flags: bigint; mode: bigint; resolve: bigint } {
  if (size < BigInt(OPEN_HOW_SIZE_VER0)) fail(E.EINVAL);
  if (size > PAGE_SIZE) fail(E.E2BIG);
  const raw = mem.read(addr, Number(size));
  if (raw.subarray(OPEN_HOW_SIZE_VER0).some((byte) => byte !== 0)) fail(E.E2BIG);
  return { flags: raw.readBigUInt64LE(0), mode: raw.readBigUInt64LE(8), resolve: raw.readBigUInt64LE(16) };
}

/** build_open_flags' checks, in its order; the flags and mode as open(2) takes them. */
export function checkOpenHow(how: { flags: bigint; mode: bigint; resolve: bigint }): OpenHow {
  let raw = how.flags;
  // O_LARGEFILE is forced, except on O_PATH (where it is refused like any other flag).
  if ((raw & BigInt(O.PATH)) === 0n) raw |= BigInt(O.LARGEFILE);
  raw &= ~BigInt(O.CLOEXEC);
  if (raw & ~BigInt(VALID_OPEN_FLAGS)) fail(E.EINVAL);
  if (how.resolve & ~BigInt(RESOLVE_ALL)) fail(E.EINVAL);
  const flags = Number(raw);
  const resolve = Number(how.resolve);
  if (resolve & RESOLVE.BENEATH && resolve & RESOLVE.IN_ROOT) fail(E.EINVAL);
  const willCreate = (flags & (O.CREAT | O_TMPFILE_BIT)) !== 0;
  if (willCreate ? how.mode & ~BigInt(MODE_BITS) : how.mode !== 0n) fail(E.EINVAL);
  if ((flags & (O.DIRECTORY | O.CREAT)) === (O.DIRECTORY | O.CREAT)) fail(E.EINVAL);
  if (flags & O_TMPFILE_BIT && (!(flags & O.DIRECTORY) || (flags & O.ACCMODE) === O.RDONLY)) fail(E.EINVAL);
  if (flags & O.PATH && flags & ~O_PATH_FLAGS) fail(E.EINVAL);
  if (resolve & RESOLVE.CACHED && flags & (O.TRUNC | O.CREAT | O_TMPFILE_BIT)) fail(E.EAGAIN);
  return { flags: flags | (Number(how.flags) & O.CLOEXEC), mode: Number(how.mode), resolve };
}

const ESCAPED: ResolveLimits['escaped'] = () => fail(E.EXDEV);

/**
 * The caller's FsContext for one openat2 with the resolve bits: RESOLVE_IN_ROOT makes the
 * starting directory (dir, or the cwd) the root.
 */
export function resolveContext(fs: FsContext, dir: Location | undefined, resolve: number): FsContext {
  if (resolve === 0) return fs;
  const limits: ResolveLimits = {
    beneath: (resolve & RESOLVE.BENEATH) !== 0,
    inRoot: (resolve & RESOLVE.IN_ROOT) !== 0,
    noSymlinks: (resolve & RESOLVE.NO_SYMLINKS) !== 0,
    noMagicLinks: (resolve & RESOLVE.NO_MAGICLINKS) !== 0,
    noXdev: (resolve & RESOLVE.NO_XDEV) !== 0,
    cached: (resolve & RESOLVE.CACHED) !== 0,
    escaped: ESCAPED,
  };
  return { ...fs, ...(limits.inRoot ? { root: dir ?? fs.cwd } : {}), limits };
}
