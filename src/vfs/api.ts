// The public contract of the VFS: what the Linux syscall handlers and the WASI layer call
// (Vfs, FileDescription), and what filesystems plug in (FilesystemType, Inode, FileImpl)
// and the sentry fills in (SandboxProviders). Modelled on gVisor's pkg/sentry/vfs.
//
// Conventions:
// - Synchronous. Failures throw SysError(errno) from src/abi/errno.ts.
// - Paths and names are latin1 byte strings: one JS char per byte.
// - Flag arguments carry the Linux values (src/abi/linux-fcntl.ts: O, AT, RENAME, SEEK, ACCESS).

import type { MqueueNamespace } from './mqueue/namespace.js';
import type { StatFields } from '../abi/linux-stat.js';
import type { MemoryCharge } from '../accounting/memory-account.js';
import type { FsNotifier } from './notify.js';

export { S, UTIME_NOW, UTIME_OMIT } from '../abi/linux-stat.js';
export { DT, direntTypeOfMode } from '../abi/linux-dirent.js';
export { POLL } from '../abi/linux-poll.js';
export { CAP } from '../abi/linux-capability.js';

// ---------------------------------------------------------------------------------------
// Identities and per-task filesystem state

/**
 * The identity a filesystem operation is checked against: Linux's fsuid/fsgid, the
 * supplementary groups, and the effective capability set as a bit mask.
 */
export interface Credentials {
  readonly uid: number;
  readonly gid: number;
  readonly groups: readonly number[];
  readonly caps: bigint;
  /**
   * The capabilities of a task in a user namespace made inside the sandbox (caps is then
   * 0): they count for a file whose owner and group both have ids in that namespace
   * (capable_wrt_inode_uidgid), never for any other.
   */
  readonly userNamespace?: { readonly caps: bigint; maps(uid: number, gid: number): boolean };
}

/** A place in the tree: a dentry seen through a mount (gVisor's VirtualDentry). */
export interface Location {
  readonly mount: Mount;
  readonly dentry: Dentry;
}

/**
 * The filesystem state of a task (Linux's fs_struct plus the credentials): shared by
 * CLONE_FS threads, copied on fork. The VFS only reads it; chdir/chroot/umask/setuid are
 * the sentry's to apply (it gets the new Location from Vfs.resolve).
 */
export interface FsContext {
  root: Location;
  cwd: Location;
  umask: number;
  creds: Credentials;
  /** Limits on the resolutions of one call (openat2's RESOLVE_*, WASI's rule for paths). */
  limits?: ResolveLimits;
}

/**
 * How one call's paths may be resolved, on a copy of the task's FsContext: openat2's
 * RESOLVE_* flags, and WASI's rule that a path relative to a directory fd stays beneath it.
 * RESOLVE_IN_ROOT is the caller's FsContext.root set to the starting directory, with
 * inRoot.
 */
export interface ResolveLimits {
  /**
   * Every path stays beneath the directory it is looked up from: an absolute path, a `..`
   * above that directory, a symlink that leads out of it or a magic link calls escaped().
   */
  beneath?: boolean;
  /** The root is the starting directory (RESOLVE_IN_ROOT): a magic link calls escaped(). */
  inRoot?: boolean;
  /** Any symlink to follow is ELOOP (RESOLVE_NO_SYMLINKS). */
  noSymlinks?: boolean;
  /** Any magic link to follow (/proc/PID/fd/N, cwd, root, exe) is ELOOP (RESOLVE_NO_MAGICLINKS). */
  noMagicLinks?: boolean;
  /** Crossing a mount, either way, is EXDEV (RESOLVE_NO_XDEV). */
  noXdev?: boolean;
  /** A lookup the VFS cannot answer from what it holds is EAGAIN (RESOLVE_CACHED). */
  cached?: boolean;
  /** Throws the caller's error for a path that leaves where it may go (EXDEV; WASI's ENOTCAPABLE). */
  escaped(): never;
}

// ---------------------------------------------------------------------------------------
// Attributes

export interface Timespec {
  sec: number;
  nsec: number;
}

/** What stat/statx report (numbers; statFields converts for the abi encoders). dev and
 *  rdev are Linux dev_t values (see makedev). A snapshot: treat it as read-only. */
export interface Stat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  blksize: number;
  blocks: number;
  atime: Timespec;
  mtime: Timespec;
  ctime: Timespec;
  btime?: Timespec;
}

/** The abi encoders' view of a Stat (encodeStat, encodeStatx). */
export function statFields(st: Stat, mountId: number): StatFields {
  const ts = (t: Timespec) => ({ sec: BigInt(t.sec), nsec: t.nsec });
  return {
    dev: BigInt(st.dev),
    ino: BigInt(st.ino),
    nlink: st.nlink,
    mode: st.mode,
    uid: st.uid,
    gid: st.gid,
    rdev: BigInt(st.rdev),
    size: BigInt(st.size),
    blksize: st.blksize,
    blocks: BigInt(st.blocks),
    atime: ts(st.atime),
    mtime: ts(st.mtime),
    ctime: ts(st.ctime),
    ...(st.btime ? { btime: ts(st.btime) } : {}),
    mountId: BigInt(mountId),
  };
}

/**
 * glibc's dev_t encoding (what st_dev and st_rdev hold), for majors below 4096 and minors
 * below 2^20: every device the sandbox shows fits.
 */
export function makedev(major: number, minor: number): number {
  return ((minor & 0xff) | ((major & 0xfff) << 8) | ((minor & 0xfff00) << 12)) >>> 0;
}

/** One attribute change (chmod/chown/utimens/truncate); absent fields stay as they are. */
export interface AttrChange {
  mode?: number; // permission bits and S_ISUID/S_ISGID/S_ISVTX, never the type
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Timespec; // already resolved: no UTIME_NOW/UTIME_OMIT here
  mtime?: Timespec;
  ctime?: Timespec;
}

/** statfs(2) fields. */
export interface Statfs {
  type: number; // f_type magic (TMPFS_MAGIC, PROC_SUPER_MAGIC, ...)
  bsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  fsid: [number, number];
  namelen: number;
  frsize: number;
  flags: number; // ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC ... of the mount
}

/** One getdents entry. offset is the cookie of the NEXT entry (Linux's d_off). */
export interface DirEntry {
  ino: number;
  type: number; // DT_*
  name: string;
  offset: number;
}

// ---------------------------------------------------------------------------------------
// Readiness lives in src/waiter (the netstack shares it); files here are Waitables.

export type { Unsubscribe, Waitable } from '../waiter/index.js';
import type { Unsubscribe, Waitable } from '../waiter/index.js';

// ---------------------------------------------------------------------------------------
// The tree: mounts, dentries

/** Mount flags kept per mount and honoured by the VFS (MS_* values from linux/mount.h). */
export const MS = {
  RDONLY: 1,
  NOSUID: 2,
  NODEV: 4,
  NOEXEC: 8,
  NOSYMFOLLOW: 256,
  NOATIME: 1024,
  NODIRATIME: 2048,
  RELATIME: 1 << 21,
} as const;

export interface Mount {
  /** mnt_id as /proc/self/mountinfo shows it. */
  readonly id: number;
  readonly fs: Filesystem;
  /** MS_* flags of this mount (a read-only bind of a writable fs has MS_RDONLY here). */
  readonly flags: number;
  /** Where it is attached; undefined for the root mount. */
  readonly parent: Location | undefined;
  /** The dentry of fs this mount shows at its mount point (a bind mount's subtree). */
  readonly root: Dentry;
  /** The OCI mount's source and options, for /proc/mounts. */
  readonly source: string;
  readonly options: readonly string[];
}

/**
 * A name in a directory, bound to an inode, as a lookup found it. Parent links let the
 * VFS rebuild paths; a directory whose inode has parentLink reports where it is now.
 */
export interface Dentry {
  readonly name: string;
  readonly parent: Dentry | undefined;
  readonly inode: Inode;
}

/** A row of the mount table, for /proc/mounts and /proc/self/mountinfo. */
export interface MountInfo {
  id: number;
  parentId: number;
  dev: number;
  /** Path of the mount's root inside its filesystem (a bind's source subtree). */
  root: string;
  /** Mount point, as seen from the sandbox root. */
  mountPoint: string;
  fsType: string;
  source: string;
  flags: number;
  options: readonly string[];
  /** The filesystem is read-only as a whole (mountinfo's super options say ro). */
  superReadonly: boolean;
  /** mountinfo's optional fields: "shared:N", "unbindable" or nothing. */
  propagation: string;
}

// ---------------------------------------------------------------------------------------
// What syscall handlers call

/** Options of Vfs.resolve. */
export interface ResolveOptions {
  /** Follow a symlink in the last component (not AT_SYMLINK_NOFOLLOW / O_NOFOLLOW). */
  follow: boolean;
  /** AT_EMPTY_PATH: an empty path names dir itself. */
  emptyPath?: boolean;
  /** The result must be a directory (chdir, chroot, O_DIRECTORY): ENOTDIR otherwise. */
  directory?: boolean;
}

/**
 * The VFS of one sandbox. Every path operation takes the caller's FsContext, a starting
 * directory (undefined = ctx.cwd, i.e. AT_FDCWD; a Location for a dirfd) and a path, so
 * each *at syscall maps onto one call. Absolute paths start at ctx.root; `..` never goes
 * above it; symlinks are interpreted inside the sandbox (40 then ELOOP).
 */
export interface Vfs {
  /** The root of the mount tree (the initial FsContext.root and cwd). */
  readonly root: Location;
  /** Tells watchers of inodes about every change the VFS makes to them (inotify). */
  readonly notifier: FsNotifier;

  /** Looks a path up (chdir, chroot, execve's lookup, name_to_handle...). */
  resolve(ctx: FsContext, dir: Location | undefined, path: string, opts: ResolveOptions): Location;

  /**
   * openat(2) with flags/mode as Linux takes them (umask applied here). O_CLOEXEC is the
   * caller's (it belongs to the fd, not the description). O_TMPFILE, O_PATH supported.
   */
  open(ctx: FsContext, dir: Location | undefined, path: string, flags: number, mode: number): FileDescription;

  /** Opens a file for execve: search + exec permission, regular file, not on a noexec mount. */
  openExecutable(ctx: FsContext, dir: Location | undefined, path: string, flags: number): FileDescription;

  /** newfstatat/statx; flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
  stat(ctx: FsContext, dir: Location | undefined, path: string, flags: number): Stat;
  /** stat of a Location already held (fstat of an O_PATH fd, /proc links). */
  statAt(loc: Location): Stat;

  mkdir(ctx: FsContext, dir: Location | undefined, path: string, mode: number): void;
  /** mknodat: S_IFREG/S_IFCHR/S_IFBLK/S_IFIFO/S_IFSOCK in mode. */
  mknod(ctx: FsContext, dir: Location | undefined, path: string, mode: number, rdev: number): void;
  /** unlinkat; AT_REMOVEDIR in flags makes it rmdir. */
  unlink(ctx: FsContext, dir: Location | undefined, path: string, flags: number): void;
  /** renameat2; flags RENAME_NOREPLACE, RENAME_EXCHANGE. EXDEV across mounts. */
  rename(ctx: FsContext, oldDir: Location | undefined, oldPath: string, newDir: Location | undefined, newPath: string, flags: number): void;
  /** linkat; AT_SYMLINK_FOLLOW, AT_EMPTY_PATH in flags. */
  link(ctx: FsContext, oldDir: Location | undefined, oldPath: string, newDir: Location | undefined, newPath: string, flags: number): void;
  symlink(ctx: FsContext, target: string, dir: Location | undefined, path: string): void;
  readlink(ctx: FsContext, dir: Location | undefined, path: string): string;

  /** fchmodat (flags: AT_SYMLINK_NOFOLLOW gives EOPNOTSUPP on a symlink, as Linux). */
  chmod(ctx: FsContext, dir: Location | undefined, path: string, mode: number, flags: number): void;
  /** fchownat; -1 leaves an id unchanged. */
  chown(ctx: FsContext, dir: Location | undefined, path: string, uid: number, gid: number, flags: number): void;
  /** utimensat; nsec may be UTIME_NOW or UTIME_OMIT; undefined times = both now. */
  utimens(ctx: FsContext, dir: Location | undefined, path: string, atime: Timespec | undefined, mtime: Timespec | undefined, flags: number): void;
  /** faccessat2; mode is R_OK|W_OK|X_OK or F_OK; AT_EACCESS is the caller's to honour by passing creds. */
  access(ctx: FsContext, dir: Location | undefined, path: string, mode: number, flags: number): void;
  truncate(ctx: FsContext, dir: Location | undefined, path: string, length: number): void;
  statfs(ctx: FsContext, dir: Location | undefined, path: string): Statfs;

  getxattr(ctx: FsContext, dir: Location | undefined, path: string, name: string, flags: number): Uint8Array;
  /** xflags: XATTR_CREATE (1), XATTR_REPLACE (2). */
  setxattr(ctx: FsContext, dir: Location | undefined, path: string, name: string, value: Uint8Array, xflags: number, flags: number): void;
  listxattr(ctx: FsContext, dir: Location | undefined, path: string, flags: number): string[];
  removexattr(ctx: FsContext, dir: Location | undefined, path: string, name: string, flags: number): void;

  /**
   * The path of loc as seen from ctx.root (getcwd, /proc/PID/fd links, /proc/PID/cwd).
   * A location outside ctx.root is shown from the tree's root; an unlinked file or a
   * removed directory gets Linux's " (deleted)" suffix.
   */
  pathOf(ctx: FsContext | undefined, loc: Location): string;

  /** The mount table of ctx's mount namespace (the sandbox's first one without ctx) in mount order, as /proc/mounts lists it. */
  mounts(ctx?: FsContext): MountInfo[];

  /**
   * mount(2) of a new filesystem of type (tmpfs, proc, sysfs, mqueue, devpts; ENODEV for
   * others) at target, with mountflags' per-mount flags and data's options (EINVAL for one
   * the type does not take). The caller checked CAP_SYS_ADMIN.
   */
  mountNew(ctx: FsContext, target: Location, type: string, source: string, mountflags: number, data: string): void;
  /** MS_BIND of source (a sandbox location) at target; recursive (MS_REC) takes the mounts below it too. */
  mountBind(ctx: FsContext, source: Location, target: Location, recursive: boolean): void;
  /** MS_REMOUNT of the mount whose root target is: bind changes its own flags only, else its filesystem's too (with data). */
  remount(ctx: FsContext, target: Location, mountflags: number, data: string, bind: boolean): void;
  /** MS_MOVE of the mount whose root source is (with the mounts below it) to target. */
  moveMount(ctx: FsContext, source: Location, target: Location): void;
  /** MS_SHARED, MS_SLAVE, MS_PRIVATE or MS_UNBINDABLE (flag) of the mount at target, and below it when recursive. */
  setPropagation(ctx: FsContext, target: Location, flag: number, recursive: boolean): void;
  /**
   * pivot_root(2) in ctx's namespace: the mount whose root newRoot is becomes the root, the
   * old root is mounted at putOld; holders (every task's fs context) whose root or cwd was
   * the old root get the new one. Linux's EINVAL/EBUSY/ENOENT cases; permission is the caller's.
   */
  pivotRoot(ctx: FsContext, newRoot: Location, putOld: Location, holders: Iterable<FsContext>): void;
  /** umount2 of the mount whose root target is; flags MNT_DETACH, MNT_FORCE, MNT_EXPIRE. EBUSY while in use. */
  unmount(ctx: FsContext, target: Location, flags: number): void;
  /**
   * unshare(CLONE_NEWNS)'s VFS half: a copy of ctx's mount namespace, private to whoever
   * holds the returned context (ctx with its root and cwd moved into the copy).
   */
  /** lock: the new namespace belongs to a less privileged user namespace, so its mounts are locked together (lock_mnt_tree). */
  unshareMounts(ctx: FsContext, lock?: boolean): FsContext;
  /** The mount namespace ctx is in, as an identity (what /proc/PID/ns/mnt names). */
  mountNamespace(ctx: FsContext): object;
  /**
   * setns(CLONE_NEWNS)'s VFS half: ctx with its root and cwd at the root of namespace (one
   * mountNamespace gave); EINVAL for anything else.
   */
  enterMounts(ctx: FsContext, namespace: object): FsContext;
  /** Where a file with no name in the tree sits (see openAnonymous), for a magic link to land on. */
  anonymousLocation(inode: Inode, name: string): Location;

  /**
   * A description for a file that has no name in the tree (pipes, sockets, eventfd,
   * epoll): the inode lives on an internal mount; pathOf shows `name` (e.g. "pipe:[12]").
   */
  openAnonymous(inode: Inode, name: string, flags: number, ctx: FsContext): FileDescription;

  /** memfd_create: an unlinked tmpfs regular file opened O_RDWR ("/memfd:NAME (deleted)"). */
  memfd(ctx: FsContext, name: string, flags: number): FileDescription;
}

/** How the sentry builds the VFS of a sandbox (createVfs in src/vfs/index.ts). */
export interface VfsOptions {
  /** The validated spec's root and mounts (src/oci's Spec satisfies this). */
  spec: {
    root: { path: string; readonly?: boolean };
    mounts?: readonly { destination: string; type?: string; source?: string; options?: readonly string[] }[];
    /** Paths hidden (an empty directory, or /dev/null over a file) or made read-only, as runc does. */
    linux?: { maskedPaths?: readonly string[]; readonlyPaths?: readonly string[] };
  };
  /** The bundle directory: relative root.path and bind sources resolve against it, and
   *  BUNDLE/tssc-rootfs-meta.json (ownership, modes, device nodes) is read from it. */
  bundleDir: string;
  /** 'memory' (default): a writable root gets an in-memory upper layer; 'none': writes
   *  go through to the host rootfs (runsc --overlay=none). */
  overlay?: 'memory' | 'none';
  /** proc, sysfs, devpts, mqueue and the synthesized /dev ("dev") types. */
  registry: FilesystemRegistry;
  providers: SandboxProviders;
  /** Replaces the pure-Node component-by-component open beneath a host directory (e.g.
   *  the native helper's openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS). */
  openBeneath?: OpenBeneath;
  /** The sandbox's memory, charged for every page and name of its memory filesystems
   *  (unlimited when absent). */
  account?: MemoryCharge;
}

/**
 * Opens path (relative, latin1, no `..`) beneath the host directory fd dirFd without the
 * host kernel following any symlink; returns a new O_CLOEXEC host fd or throws SysError
 * (ELOOP/ENOTDIR/ENOENT/EXDEV as openat2 gives them).
 */
export type OpenBeneath = (dirFd: number, path: string, flags: number, mode: number) => number;

/**
 * An open file description (Linux's struct file): shared by dup'd and inherited fds.
 * The fd table holds references: ref() on dup/fork/SCM_RIGHTS, unref() on close; the last
 * unref releases it (an unlinked file's data lives until then).
 */
export interface FileDescription extends Waitable {
  readonly location: Location;
  readonly inode: Inode;
  /** What the open gave: a device node's driver, the inode's own file; none for O_PATH. */
  readonly impl: FileImpl | undefined;
  /** O_RDONLY, O_WRONLY or O_RDWR. */
  readonly accessMode: number;
  /** Status flags for F_GETFL (access mode included). */
  readonly statusFlags: number;
  /** F_SETFL: only O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME change. */
  setStatusFlags(flags: number): void;
  /** An O_PATH description: only fstat, fchdir, *at, dup, close work (EBADF otherwise). */
  readonly isPath: boolean;

  ref(): void;
  unref(): void;

  /** read/pread: the count read (0 at end of file); EAGAIN when a non-blocking file is empty. */
  read(buf: Uint8Array, position?: number): number;
  /** write/pwrite: the count written (O_APPEND writes at the end whatever the position). */
  write(buf: Uint8Array, position?: number): number;
  /** lseek with SEEK_SET/CUR/END/DATA/HOLE; ESPIPE on pipes and sockets. */
  seek(offset: number, whence: number): number;
  /** The current offset (for /proc/PID/fdinfo). */
  readonly offset: number;

  /**
   * getdents from the current offset: calls emit for each entry until it returns false
   * (the entry did not fit: it is kept for the next call). `.` and `..` are included;
   * offsets are cookies that survive concurrent creation and removal of other entries.
   */
  getdents(emit: (entry: DirEntry) => boolean): void;

  stat(): Stat;
  truncate(length: number): void;
  fsync(): void;
  /** fallocate(2) mode 0 and FALLOC_FL_KEEP_SIZE / PUNCH_HOLE|KEEP_SIZE; EOPNOTSUPP otherwise. */
  allocate(mode: number, offset: number, length: number): void;
  chmod(ctx: FsContext, mode: number): void;
  chown(ctx: FsContext, uid: number, gid: number): void;
  utimens(ctx: FsContext, atime: Timespec | undefined, mtime: Timespec | undefined): void;
  getxattr(ctx: FsContext, name: string): Uint8Array;
  setxattr(ctx: FsContext, name: string, value: Uint8Array, xflags: number): void;
  listxattr(ctx: FsContext): string[];
  removexattr(ctx: FsContext, name: string): void;
  statfs(): Statfs;
  /** ioctl; ENOTTY unless the file implements the request. */
  ioctl(request: number, arg: bigint, memory: UserMemory): number;
  /**
   * The host file whose pages are this file's contents, for a real shared mmap (see
   * FileImpl.sharedHostFile), opened for writing when the description is O_RDWR. The fd
   * stays the VFS's: valid while the description is open, never closed by the caller.
   * EACCES for a description not open for reading, ENODEV when the file has none.
   */
  sharedHostFile(createMemoryFile: MemoryFileFactory): number;
}

/** Creates an empty host memory file (memfd) and returns its O_RDWR, close-on-exec host fd. */
export type MemoryFileFactory = (name: string) => number;

/** The calling task's memory, for ioctls that read or write structs (EFAULT on a bad address). */
export interface UserMemory {
  read(addr: bigint, length: number): Uint8Array;
  write(addr: bigint, data: Uint8Array): void;
}

// ---------------------------------------------------------------------------------------
// What filesystems implement

/** Asks a filesystem type for an instance; what a mount of that type gets. */
export interface MountRequest {
  /** The OCI mount's source, type and options; destination as written in the spec. */
  readonly source: string;
  readonly options: readonly string[];
  readonly destination: string;
  /** The anonymous dev_t the VFS allocated for this instance: use it as st_dev. */
  readonly dev: number;
  readonly providers: SandboxProviders;
  readonly vfs: Vfs;
  /** The sandbox's memory, for filesystems that keep the workload's data in memory. */
  readonly account: MemoryCharge;
}

/** A filesystem type (proc, sysfs, devpts, mqueue, the synthesized /dev ...). */
export interface FilesystemType {
  readonly name: string;
  mount(request: MountRequest): Filesystem;
}

/** One filesystem instance (a superblock). */
export interface Filesystem {
  readonly type: string;
  readonly dev: number;
  readonly root: Inode;
  statfs(): Statfs;
}

/**
 * A file in a filesystem. Synthesized filesystems implement this (a read-only one needs
 * stat, lookup/readdir on directories, readlink on symlinks, open). Permission checks,
 * path walking, mounts, sticky bits and read-only mounts are the VFS's, before it calls
 * these. Mutating operations left out answer EPERM; directory operations on a
 * non-directory are never called (the VFS answers ENOTDIR).
 *
 * Identity matters: the same file must be the same Inode object while it is in use, so
 * mount points and hard links stay recognisable.
 */
export interface Inode {
  readonly fs: Filesystem;
  readonly ino: number;
  stat(): Stat;

  /** The child named name (never `.` or `..`): throws ENOENT when absent. */
  lookup?(name: string): Inode;
  /**
   * A directory's entries without `.` and `..`. Here DirEntry.offset is the entry's own
   * cookie: at least 3, increasing along the iteration, stable while the entry exists
   * (the VFS resumes getdents at the first entry whose cookie is not below the offset).
   */
  readdir?(): Iterable<DirEntry>;
  /**
   * Whether the VFS may cache lookups through this directory. Synthesized directories
   * whose contents change on their own (/proc) return false.
   */
  readonly cacheable?: boolean;

  /** Creates a regular file, device, fifo or socket node (mode has the type). */
  mknod?(name: string, mode: number, rdev: number, creds: Credentials): Inode;
  mkdir?(name: string, mode: number, creds: Credentials): Inode;
  symlink?(name: string, target: string, creds: Credentials): Inode;
  /** Adds a hard link to target (same filesystem). */
  link?(name: string, target: Inode): void;
  /** Removes the name of a non-directory (the VFS checked the type). */
  unlink?(name: string): void;
  /** Removes an empty directory: ENOTEMPTY otherwise. */
  rmdir?(name: string): void;
  /** Moves a name; the VFS checked types, emptiness and loops. exchange: RENAME_EXCHANGE. */
  rename?(oldName: string, newDir: Inode, newName: string, exchange: boolean): void;
  /** An unnamed regular file in this directory (O_TMPFILE). */
  tmpfile?(mode: number, creds: Credentials): Inode;

  /**
   * For directories: the directory holding this one now and its name there, so `..`,
   * getcwd and /proc/PID/cwd follow renames made after the lookup. Undefined at the
   * filesystem's root (and where the filesystem does not track it).
   */
  parentLink?(): { parent: Inode; name: string } | undefined;

  readlink?(): string;
  /**
   * For magic links (/proc/PID/fd/N, /proc/PID/cwd, exe, root): the Location the link
   * jumps to, instead of interpreting readlink()'s text. Called with the resolving ctx.
   */
  follow?(ctx: FsContext): Location;

  setattr?(change: AttrChange): void;
  getxattr?(name: string): Uint8Array;
  setxattr?(name: string, value: Uint8Array, xflags: number): void;
  /** Removes name if the inode has it (no ENODATA), without reading what it has not read yet. */
  dropxattr?(name: string): void;
  listxattr?(): string[];
  removexattr?(name: string): void;

  /** Overrides the generic mode-bits check (mask: 4 read, 2 write, 1 exec/search). */
  permission?(creds: Credentials, mask: number): boolean;

  /**
   * Opens the file's contents. flags are the open flags (access mode, O_NONBLOCK, ...).
   * Regular files of ordinary filesystems are opened by the VFS's own code; devices,
   * fifos and synthesized files return their FileImpl here.
   */
  open(flags: number, ctx: FsContext): FileImpl;
}

/**
 * The contents side of an open file, wrapped by the VFS's FileDescription (which owns
 * offsets, O_APPEND, access mode and reference counting).
 */
export interface FileImpl {
  /** Seekable files get position = the description's offset; others get position -1. */
  readonly seekable: boolean;
  read?(buf: Uint8Array, position: number, flags: number): number;
  write?(buf: Uint8Array, position: number, flags: number): number;
  /** SEEK_DATA/SEEK_HOLE answers; by default the whole file is data. */
  seekData?(offset: number, whence: number): number;
  truncate?(length: number): void;
  allocate?(mode: number, offset: number, length: number): void;
  fsync?(): void;
  /** Defaults: always readable and writable (POLLIN|POLLOUT), no events ever. */
  readiness?(mask: number): number;
  subscribe?(mask: number, callback: (events: number) => void): Unsubscribe;
  ioctl?(request: number, arg: bigint, memory: UserMemory): number;
  /**
   * A host fd whose pages are the contents, read-write when writable: a host file's own
   * fd; a memory file's contents move into a host memory file made by createMemoryFile
   * (once; from then on its reads, writes and size go there), so a mapping of that fd and
   * the file's read/write see each other's changes at once.
   */
  sharedHostFile?(writable: boolean, createMemoryFile: MemoryFileFactory): number;
  /** Called once when the last reference to the description goes. */
  release?(): void;
}

/** Opens a character device's driver (by dev_t) or a fifo's pipe, for a node anywhere in the tree. */
export type DeviceOpen = (flags: number, ctx: FsContext) => FileImpl;
export type FifoOpen = (inode: Inode, flags: number, ctx: FsContext) => FileImpl;

/**
 * Filesystem types that are not the VFS's own (host, tmpfs, overlay), and the drivers
 * behind device nodes and fifos (filled in by /dev and pipe code). Implemented by
 * Registry in src/vfs/registry.ts.
 */
export interface FilesystemRegistry {
  register(type: FilesystemType): void;
  get(name: string): FilesystemType | undefined;
  registerCharDevice(major: number, minor: number, open: DeviceOpen): void;
  /** The driver of a character device node; undefined gives ENXIO on open. */
  charDevice(rdev: number): DeviceOpen | undefined;
  setFifo(open: FifoOpen): void;
  fifo(): FifoOpen | undefined;
}

// ---------------------------------------------------------------------------------------
// What the sentry provides to synthesized filesystems (/proc, /sys, /dev, devpts)

/** One process (thread group) as /proc shows it. */
/** A /proc/PID/ns link: the namespace's nsfs inode, and what readlink shows (`uts:[INODE]`). */
export interface NamespaceLink {
  readonly inode: Inode;
  readonly name: string;
}

/**
 * A process's user namespace as its /proc files show and set it (uid_map, gid_map,
 * projid_map, setgroups), for the task reading or writing them now. Each throws the errno
 * Linux gives.
 */
export interface UserNamespaceFiles {
  readMap(kind: 'uid' | 'gid' | 'projid'): string;
  /** One write at offset 0 of the whole map. */
  writeMap(kind: 'uid' | 'gid' | 'projid', text: string): void;
  readSetgroups(): string;
  writeSetgroups(text: string): void;
  /** A sandbox id as the reader's user namespace shows it (65534 when it has no mapping). */
  shownId(kind: 'uid' | 'gid', id: number): number;
}

export interface ProcessView {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly sid: number;
  readonly tids: readonly number[];
  /** Its personality (personality(2)), for /proc/PID/personality. */
  personality?(): number;
  /** /proc/PID/ns by link name (absent: no directory; empty: a zombie's). */
  namespaces?(): ReadonlyMap<string, NamespaceLink>;
  /** Its user namespace's files (absent: the sandbox's own, shown as identity maps). */
  userNamespace?(): UserNamespaceFiles;
  /** One of R S D Z T t X. */
  readonly state: string;
  /** Thread tid's own state (t while a tracer holds it stopped); absent: the process's. */
  threadState?(tid: number): string;
  /** The process's name: its leader thread's. */
  readonly comm: string;
  /** A thread's own name (pthread_setname_np), /proc/PID/task/TID/comm. */
  threadComm(tid: number): string;
  /** A write to a comm file: names thread tid (the leader's names the process). */
  setThreadComm(tid: number, name: string): void;
  readonly cmdline: Uint8Array;
  readonly environ: Uint8Array;
  readonly uid: number;
  readonly gid: number;
  readonly euid: number;
  readonly egid: number;
  /** The rest of the identity /proc/PID/status shows (absent: derived from the fs view). */
  readonly identity?: ProcessIdentity;
  /** Start time in clock ticks since boot (field 22 of /proc/PID/stat). */
  readonly startTicks: number;
  readonly fsContext: FsContext;
  readonly exe: Location | undefined;
  /** The open fds of the process and what they refer to. */
  fds(): ReadonlyMap<number, FileDescription>;
  /** The pid of the process tracing thread tid (ptrace), 0 for none (/proc/PID/status's TracerPid). */
  tracerPid?(tid: number): number;
  /**
   * Thread tid's numbers in each pid namespace from the one /proc shows down to its own
   * (/proc/PID/status's NStgid, NSpid, NSpgid, NSsid; 0 where a namespace cannot see it).
   */
  namespaceNumbers?(tid: number): { readonly tgid: readonly number[]; readonly pid: readonly number[]; readonly pgid: readonly number[]; readonly sid: readonly number[] };
  /** The auxiliary vector its program started with (/proc/PID/auxv), when the sentry loaded it. */
  readonly auxv?: Uint8Array;
  /**
   * Its memory for /proc/PID/mem, when the process making the current call may ptrace it
   * (EACCES otherwise); undefined where the platform gives no access.
   */
  memory?(): ProcessMemory;
  /** /proc/PID/maps text, when the platform knows the mappings. */
  maps?(): string;
  /** CPU and memory counters, when the sentry can measure the task (else /proc shows 0). */
  usage?(): ProcessUsage;
  /** Where its data and its heap start (stat's start_data, end_data, start_brk), for programs with a break. */
  readonly dataLayout?: { readonly startData: bigint; readonly endData: bigint; readonly startBrk: bigint };
}

/** A process's memory as /proc/PID/mem reads and writes it: bytes moved (0 at an unmapped address). */
export interface ProcessMemory {
  read(addr: bigint, into: Uint8Array): number;
  write(addr: bigint, data: Uint8Array): number;
}

/** Saved ids, capability sets and no_new_privs of a process (/proc/PID/status). */
export interface ProcessIdentity {
  readonly suid: number;
  readonly sgid: number;
  readonly inheritable: bigint;
  readonly permitted: bigint;
  readonly effective: bigint;
  readonly bounding: bigint;
  readonly ambient: bigint;
  readonly noNewPrivs: boolean;
}

/** Resource counters of a process for /proc/PID/stat, status and statm. */
export interface ProcessUsage {
  /** CPU time in clock ticks (USER_HZ = 100). */
  readonly utimeTicks: number;
  readonly stimeTicks: number;
  /** Virtual memory size in bytes and resident set in pages. */
  readonly vsizeBytes: number;
  readonly rssPages: number;
  readonly minorFaults: number;
  readonly majorFaults: number;
}

/** The sandbox facts synthesized filesystems show. Filled in by the sentry. */
/** The owner, creator and mode of a System V object, with its key and id, as /proc/sysvipc shows them. */
export interface SysvIpcRow {
  key: number;
  id: number;
  mode: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
}

/** The sandbox's System V objects for /proc/sysvipc/{sem,msg,shm} (times in seconds). */
export interface SysvIpcRows {
  sem: (SysvIpcRow & { nsems: number; otime: number; ctime: number })[];
  msg: (SysvIpcRow & { cbytes: number; qnum: number; lspid: number; lrpid: number; stime: number; rtime: number; ctime: number })[];
  shm: (SysvIpcRow & { size: number; cpid: number; lpid: number; nattch: number; atime: number; dtime: number; ctime: number; rssPages: number })[];
}

export interface SandboxProviders {
  hostname(): string;
  domainname(): string;
  /** The pid (thread group id) and tid of the task making the current call, for /proc/self. */
  currentPid(): number;
  currentTid(): number;
  processes(): readonly number[];
  process(pid: number): ProcessView | undefined;
  /**
   * The process making the current call, also when a proc mount of another pid namespace
   * cannot see it (its pid then 0): whose credentials /proc's access checks use.
   */
  currentProcess?(): ProcessView | undefined;
  /**
   * What a proc mount made now shows: the processes of the calling task's pid namespace,
   * by their numbers there (pid_namespaces(7): /proc belongs to the namespace it was
   * mounted in). Without it, every mount shows what these providers show.
   */
  forProcMount?(): SandboxProviders;
  /** Seconds since the sandbox started (/proc/uptime). */
  uptime(): number;
  /** The System V IPC objects (/proc/sysvipc); none where the sandbox has no IPC namespace. */
  sysvipc?(): SysvIpcRows;
  /** The POSIX message queues of the calling task's IPC namespace (what an mqueue mount shows). */
  currentMqueues?(): MqueueNamespace | undefined;
  /** /proc/net: the files the sandbox's network stack describes, and the text of one. */
  networkFiles?(): readonly string[];
  networkFile?(name: string): string | undefined;
}

/** A virtual filesystem operation's error: use SysError from src/abi/errno.ts. */
export type { SysError } from '../abi/errno.js';
