// Builds a sandbox's VFS from a validated spec: the root (read-only host, host
// write-through, or host under an in-memory upper layer), then each mount in order.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { E, fail, isSysError } from '../abi/errno.js';
import { MemoryAccount } from '../accounting/memory-account.js';
import { ALL_CAPS } from '../abi/linux-capability.js';
import { O } from '../abi/linux-fcntl.js';
import { MS, S, makedev, type Filesystem, type FsContext, type Location, type OpenBeneath, type Vfs, type VfsOptions } from './api.js';
import { byteString } from './byte-string.js';
import { fstat } from './host/calls.js';
import { HostFs } from './host/fs.js';
import { HostDir, openBeneathHost } from './host/handle.js';
import { HostLowerDir, lowerAttrs } from './host/lower.js';
import { OwnershipMap, ROOTFS_META_FILE } from './host/ownership.js';
import { MemFs, OVERLAYFS_SUPER_MAGIC, TMPFS_MAGIC } from './memfs/fs.js';
import { parseMountOptions } from './options.js';
import { makeTmpfs } from './tmpfs.js';
import { MountIds, MountImpl, MountTree } from './tree.js';
import { VfsImpl } from './vfs.js';

type SpecMount = NonNullable<VfsOptions['spec']['mounts']>[number];

/** A mount the config asks for that cannot be made; names the mount. */
export class MountError extends Error {}


export function createVfs(options: VfsOptions): Vfs {
  let nextMinor = 1;
  const allocateDev = () => makedev(0, nextMinor++);
  const openBeneath = options.openBeneath ?? openBeneathHost;
  const tree = new MountTree(new MountIds());
  const readonlyFs = new WeakSet<Filesystem>();
  const rootPath = path.resolve(options.bundleDir, options.spec.root.path);
  const ownership = readOwnership(options.bundleDir);
  const account = options.account ?? new MemoryAccount();

  // A read-only root whose rootfs lacks some mount points (CRI mounts /etc/resolv.conf and
  // /etc/hostname into images without them) gets them in a memory layer, as runc creates
  // them before it remounts the root read-only; the host rootfs is never written.
  const readonly = options.spec.root.readonly === true;
  const rootFd = openMountSource(rootPath, 'root.path');
  const specMounts = withDefaultDev(options.spec.mounts ?? [], options.registry.get('dev') !== undefined);
  const missingMountPoints = readonly && specMounts.some((m) => !existsBeneath(rootFd, m.destination, openBeneath));
  let rootFs: Filesystem;
  let rootFlags = 0;
  if ((readonly && !missingMountPoints) || options.overlay === 'none') {
    rootFs = new HostFs({ rootFd, dev: allocateDev(), ownership, openBeneath, sandboxPath: '/', exclusive: true });
    if (options.spec.root.readonly) rootFlags |= MS.RDONLY;
  } else {
    const rootEntryAttrs = lowerAttrs(fstat(rootFd), ownership, '/');
    const lowerRoot = new HostLowerDir(() => HostDir.pinned(rootFd, openBeneath), '/', ownership);
    rootFs = new MemFs({
      type: 'overlay',
      magic: OVERLAYFS_SUPER_MAGIC,
      dev: allocateDev(),
      sizeLimit: Infinity,
      account,
      rootMode: rootEntryAttrs.mode,
      rootOwner: rootEntryAttrs,
      lower: {
        root: lowerRoot,
        rootEntry: { attrs: rootEntryAttrs, directory: () => lowerRoot, readlink: () => fail(E.EINVAL), openRead: () => fail(E.EISDIR) },
      },
    });
  }
  const rootMount = tree.add(rootFs, withAtime(rootFlags), undefined, rootFs.root, shownSource(rootPath), options.spec.root.readonly ? ['ro'] : ['rw']);

  const anonymousFs = new MemFs({ type: 'anon_inodefs', magic: TMPFS_MAGIC, dev: allocateDev(), sizeLimit: Infinity, account, rootMode: 0o700, rootOwner: { uid: 0, gid: 0 } });
  const anonymousMount = new MountImpl(0, anonymousFs, 0, undefined, anonymousFs.root, 'anon', []);
  const vfs = new VfsImpl({ tree, registry: options.registry, providers: options.providers, anonymous: { mount: anonymousMount, memfs: anonymousFs }, readonlyFs, allocateDev, account });

  const setupCtx: FsContext = { root: vfs.root, cwd: vfs.root, umask: 0o022, creds: { uid: 0, gid: 0, groups: [], caps: ALL_CAPS } };
  for (const mount of specMounts) addMount(mount);
  for (const target of options.spec.linux?.maskedPaths ?? []) mask(target);
  for (const target of options.spec.linux?.readonlyPaths ?? []) makeReadonly(target);
  if (readonly) {
    rootMount.flags |= MS.RDONLY;
    readonlyFs.add(rootFs);
  }
  // What the spec mounted is the sandbox's boundary: a sandbox process may mount over it,
  // never unmount it or make it writable, suid, dev or exec again.
  for (const mount of tree.mounts) mount.lock();
  return vfs;

  /** The sandbox location of a spec path, or undefined when it does not exist (runc skips those). */
  function existing(target: string): Location | undefined {
    try {
      return vfs.resolve(setupCtx, undefined, byteString(target), { follow: true });
    } catch (error) {
      if (isSysError(error) && (error.errno === E.ENOENT || error.errno === E.ENOTDIR)) return undefined;
      throw describe(`masked or read-only path ${target}`, error);
    }
  }

  /** linux.maskedPaths: an empty read-only directory over a directory, /dev/null over a file. */
  function mask(target: string): void {
    const point = existing(target);
    if (!point) return;
    const maskFs = new MemFs({ type: 'tmpfs', magic: TMPFS_MAGIC, dev: allocateDev(), sizeLimit: 0, account, rootMode: 0o555, rootOwner: { uid: 0, gid: 0 } });
    const isDirectory = (point.dentry.inode.stat().mode & S.IFMT) === S.IFDIR;
    const root = isDirectory ? maskFs.root : maskFs.root.mknod('null', S.IFCHR | 0o666, makedev(1, 3), setupCtx.creds);
    readonlyFs.add(maskFs);
    tree.add(maskFs, withAtime(MS.RDONLY), point, root, isDirectory ? 'tmpfs' : shownSource('/dev/null'), ['ro']);
  }

  /** linux.readonlyPaths: the same files again, mounted read-only over themselves. */
  function makeReadonly(target: string): void {
    const point = existing(target);
    if (!point) return;
    tree.add(point.mount.fs, point.mount.flags | MS.RDONLY, point, point.dentry.inode, point.mount.source, ['ro']);
  }

  function addMount(mount: SpecMount): void {
    const where = `mount ${mount.destination}`;
    const mountOptions = mount.options ?? [];
    const parsed = parseMountOptions(mountOptions);
    const type = mount.type ?? (parsed.isBind ? 'bind' : 'none');
    let fsys: Filesystem;
    let isFile = false;
    const dev = allocateDev();
    if (type === 'bind' || parsed.isBind) {
      if (!mount.source) throw new MountError(`${where}: a bind mount needs a source`);
      const source = path.resolve(options.bundleDir, mount.source);
      const sourceFd = openMountSource(source, `${where}: bind source`);
      isFile = (fstat(sourceFd).mode & S.IFMT) !== S.IFDIR;
      fsys = new HostFs({ rootFd: sourceFd, dev, ownership: new OwnershipMap(), openBeneath, exclusive: false });
    } else if (type === 'tmpfs' && !(isDevDestination(mount.destination) && options.registry.get('dev'))) {
      fsys = makeTmpfs(dev, parsed.data, where, account).fs;
    } else {
      const typeName = type === 'tmpfs' ? 'dev' : type;
      const fsType = options.registry.get(typeName);
      if (!fsType) throw new MountError(`${where}: unsupported filesystem type "${type}"`);
      fsys = fsType.mount({ source: mount.source ?? type, options: mountOptions, destination: mount.destination, dev, providers: options.providers, vfs, account });
      // A sandbox has no host cgroups: podman's, runc's and CRI's specs mount /sys/fs/cgroup,
      // which shows the sandbox's own limits (vfs/cgroup), read-only as in an unprivileged container.
      if (type === 'cgroup' || type === 'cgroup2') parsed.flags |= MS.RDONLY;
    }
    const point = mountPoint(where, mount.destination, isFile);
    if (parsed.flags & MS.RDONLY) readonlyFs.add(fsys);
    tree.add(fsys, withAtime(parsed.flags), point, fsys.root, shownSource(mount.source ?? type), mountOptions);
  }

  /** Finds (or creates, as runc does) the mount point inside the sandbox tree. */
  function mountPoint(where: string, destination: string, isFile: boolean): Location {
    if (!destination.startsWith('/')) throw new MountError(`${where}: destination must be an absolute path`);
    const latin1 = byteString(destination);
    try {
      return vfs.resolve(setupCtx, undefined, latin1, { follow: true });
    } catch (error) {
      if (!isSysError(error) || error.errno !== E.ENOENT) throw describe(where, error);
    }
    const parts = latin1.split('/').filter((part) => part !== '');
    let current = '';
    for (let i = 0; i < parts.length; i++) {
      current += `/${parts[i]}`;
      const last = i === parts.length - 1;
      try {
        if (last && isFile) vfs.open(setupCtx, undefined, current, O.CREAT | O.WRONLY, 0o644).unref();
        else vfs.mkdir(setupCtx, undefined, current, 0o755);
      } catch (error) {
        if (!isSysError(error) || error.errno !== E.EEXIST) throw describe(where, error, 'cannot create the mount point');
      }
    }
    return vfs.resolve(setupCtx, undefined, latin1, { follow: true });
  }
}

/** The /dev runc's and `tssc spec`'s configs mount. */
const DEFAULT_DEV_MOUNT: SpecMount = { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] };

/**
 * The spec's mounts, with /dev first when none is at /dev: the runtime spec makes the
 * runtime supply /dev/null, zero, full, random, urandom, tty and ptmx whatever the mounts
 * say (runc makes them in the rootfs's /dev, runsc mounts its /dev), and a shell's
 * `2>/dev/null` must work on a read-only rootfs that has no /dev.
 */
function withDefaultDev(mounts: readonly SpecMount[], hasDevType: boolean): readonly SpecMount[] {
  if (!hasDevType || mounts.some((m) => isDevDestination(m.destination))) return mounts;
  return [DEFAULT_DEV_MOUNT, ...mounts];
}

function isDevDestination(destination: string): boolean {
  return path.posix.normalize(`${destination}/`) === '/dev/';
}

/**
 * A spec mount's source as the sandbox may see it: names such as "proc" or "tmpfs" as
 * given, host paths (the rootfs, bind sources) as "none", so no host path shows inside.
 */
function shownSource(source: string): string {
  return source.startsWith('/') ? 'none' : source;
}

/** A spec mount's atime flags: relatime, unless it asks for noatime (as Linux defaults it). */
function withAtime(flags: number): number {
  return flags & MS.NOATIME ? flags : flags | MS.RELATIME;
}

/**
 * An O_PATH fd of a mount's host source, the one host path resolved as the host resolves
 * it (it is the user's, as runc takes it); everything below it is reached through it.
 */
function openMountSource(source: string, what: string): number {
  try {
    return fs.openSync(source, O.PATH | O.CLOEXEC);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new MountError(code === 'ENOENT' ? `${what} ${source} does not exist` : `${what} ${source}: ${code ?? String(error)}`);
  }
}

/** Whether path names something beneath dirFd without a symlink on the way (else a mount point may be missing). */
function existsBeneath(dirFd: number, path: string, openBeneath: OpenBeneath): boolean {
  try {
    fs.closeSync(openBeneath(dirFd, path, O.PATH, 0));
    return true;
  } catch {
    return false;
  }
}

/** BUNDLE/tssc-rootfs-meta.json when present: modes, owners and node types of the rootfs. */
function readOwnership(bundleDir: string): OwnershipMap {
  const file = path.join(bundleDir, ROOTFS_META_FILE);
  if (!fs.existsSync(file)) return new OwnershipMap();
  return OwnershipMap.parse(file, fs.readFileSync(file, 'utf8'));
}

function describe(where: string, error: unknown, what = 'cannot resolve the mount point'): Error {
  return new MountError(`${where}: ${what}: ${isSysError(error) ? error.message : String(error)}`);
}
