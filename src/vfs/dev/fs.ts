// The sandbox's /dev: the spec's tmpfs at /dev (as runsc and `tssc spec` write it)
// becomes a tmpfs pre-populated with the device nodes, the /proc/self/fd links and the
// pts/ and shm/ directories, so new files under /dev work as on any tmpfs.

import { S, makedev, type Credentials, type FilesystemType, type MountRequest } from '../api.js';
import { MemFs, TMPFS_MAGIC } from '../memfs/fs.js';
import { parseMountOptions, parseOctal, parseSize } from '../options.js';
import { DEVICES } from './devices.js';

const ROOT: Credentials = { uid: 0, gid: 0, groups: [], caps: 0n };

const LINKS: readonly [string, string][] = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
];

export const devType: FilesystemType = {
  name: 'dev',
  mount(request: MountRequest): MemFs {
    const where = `mount ${request.destination}`;
    const data = parseMountOptions(request.options).data;
    const size = data.get('size');
    const mode = data.get('mode');
    const fs = new MemFs({
      type: 'tmpfs',
      magic: TMPFS_MAGIC,
      dev: request.dev,
      sizeLimit: size === undefined ? Infinity : parseSize(size, where),
      rootMode: mode === undefined ? 0o755 : parseOctal(mode, where),
      rootOwner: { uid: 0, gid: 0 },
    });
    const root = fs.root;
    for (const [name, { major, minor }] of Object.entries(DEVICES)) {
      root.mknod(name, S.IFCHR | 0o666, makedev(major, minor), ROOT);
    }
    for (const [name, target] of LINKS) root.symlink(name, target, ROOT);
    root.mkdir('pts', 0o755, ROOT);
    root.mkdir('shm', 0o1777, ROOT);
    return fs;
  },
};
