// Builds a sandbox's VFS from a validated spec: the root (read-only host, host
// write-through, or host under an in-memory upper layer), then each mount in order.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { E, fail, isSysError } from '../abi/errno.js';
import { MemoryAccount } from '../accounting/memory-account.js';
import { ALL_CAPS } from '../abi/linux-capability.js';
import { O } from '../abi/linux-fcntl.js';
import { MS, S, makedev, type Filesystem, type FsContext, type Location, type Vfs, type VfsOptions } from './api.js';
import { byteString } from './byte-string.js';
import { HostFs } from './host/fs.js';
import { HostDir, openBeneathNode } from './host/handle.js';
import { HostLowerDir, lowerAttrs } from './host/lower.js';
import { OwnershipMap } from './host/ownership.js';
import { MemFs, OVERLAYFS_SUPER_MAGIC, TMPFS_MAGIC } from './memfs/fs.js';
import { defaultTmpfsSize, parseId, parseMountOptions, parseOctal, parseSize } from './options.js';
import { MountImpl, MountTree } from './tree.js';
import { VfsImpl } from './vfs.js';

type SpecMount = NonNullable<VfsOptions['spec']['mounts']>[number];

/** A mount the config asks for that cannot be made; names the mount. */
export class MountError extends Error {}


export function createVfs(options: VfsOptions): Vfs {
  let nextMinor = 1;
  const allocateDev = () => makedev(0, nextMinor++);
  const openBeneath = options.openBeneath ?? openBeneathNode;
  const tree = new MountTree();
  const rootPath = path.resolve(options.bundleDir, options.spec.root.path);
  const ownership = OwnershipMap.fromBundle(options.bundleDir);
  const account = options.account ?? new MemoryAccount();

  // A read-only root whose rootfs lacks some mount points (CRI mounts /etc/resolv.conf and
  // /etc/hostname into images without them) gets them in a memory layer, as runc creates
  // them before it remounts the root read-only; the host rootfs is never written.
  const readonly = options.spec.root.readonly === true;
  const missingMountPoints = readonly && (options.spec.mounts ?? []).some((m) => !fs.existsSync(path.join(rootPath, m.destination)));
  let rootFs: Filesystem;
  let rootFlags = 0;
  if ((readonly && !missingMountPoints) || options.overlay === 'none') {
    rootFs = new HostFs({ hostPath: rootPath, dev: allocateDev(), ownership, openBeneath, sandboxPath: '/', exclusive: true });
    if (options.spec.root.readonly) rootFlags |= MS.RDONLY;
  } else {
    const rootStat = fs.statSync(rootPath);
    const rootEntryAttrs = lowerAttrs(rootStat, ownership, '/');
    const lowerRoot = new HostLowerDir(() => HostDir.open(rootPath, openBeneath), '/', ownership);
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
  const rootMount = tree.add(rootFs, rootFlags, undefined, rootFs.root, rootPath, options.spec.root.readonly ? ['ro'] : ['rw']);

  const anonymousFs = new MemFs({ type: 'anon_inodefs', magic: TMPFS_MAGIC, dev: allocateDev(), sizeLimit: Infinity, account, rootMode: 0o700, rootOwner: { uid: 0, gid: 0 } });
  const anonymousMount = new MountImpl(0, anonymousFs, 0, undefined, anonymousFs.root, 'anon', []);
  const vfs = new VfsImpl(tree, rootMount, options.registry, { mount: anonymousMount, memfs: anonymousFs });

  const setupCtx: FsContext = { root: vfs.root, cwd: vfs.root, umask: 0o022, creds: { uid: 0, gid: 0, groups: [], caps: ALL_CAPS } };
  for (const mount of options.spec.mounts ?? []) {
    addMount(mount);
  }
  for (const target of options.spec.linux?.maskedPaths ?? []) mask(target);
  for (const target of options.spec.linux?.readonlyPaths ?? []) makeReadonly(target);
  if (readonly) rootMount.flags |= MS.RDONLY;
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
    tree.add(maskFs, MS.RDONLY, point, root, isDirectory ? 'tmpfs' : '/dev/null', ['ro']);
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
      let st: fs.Stats;
      try {
        st = fs.statSync(source);
      } catch {
        throw new MountError(`${where}: bind source ${source} does not exist`);
      }
      isFile = !st.isDirectory();
      fsys = new HostFs({ hostPath: source, dev, ownership: new OwnershipMap(), openBeneath, exclusive: false });
    } else if (type === 'tmpfs' && !(mount.destination === '/dev' && options.registry.get('dev'))) {
      fsys = makeTmpfs(where, dev, parsed.data);
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
    tree.add(fsys, parsed.flags, point, fsys.root, mount.source ?? type, mountOptions);
  }

  function makeTmpfs(where: string, dev: number, data: Map<string, string>): MemFs {
    const size = data.get('size');
    const mode = data.get('mode');
    const uid = data.get('uid');
    const gid = data.get('gid');
    return new MemFs({
      type: 'tmpfs',
      magic: TMPFS_MAGIC,
      dev,
      sizeLimit: size === undefined ? defaultTmpfsSize() : parseSize(size, where),
      account,
      rootMode: mode === undefined ? 0o1777 : parseOctal(mode, where),
      rootOwner: { uid: uid === undefined ? 0 : parseId(uid, where), gid: gid === undefined ? 0 : parseId(gid, where) },
    });
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

function describe(where: string, error: unknown, what = 'cannot resolve the mount point'): Error {
  return new MountError(`${where}: ${what}: ${isSysError(error) ? error.message : String(error)}`);
}
