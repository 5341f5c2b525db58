// The sandbox's /dev: the spec's tmpfs at /dev (as runsc and `tssc spec` write it)
// becomes a tmpfs pre-populated with the device nodes, the /proc/self/fd links and the
// pts/ and shm/ directories, so new files under /dev work as on any tmpfs.

import { isSysError } from '../../abi/errno.js';
import { S, makedev, type Credentials, type FilesystemType, type MountRequest } from '../api.js';
import type { MemDir } from '../memfs/dir.js';
import { MemFs, TMPFS_MAGIC } from '../memfs/fs.js';
import { PTY_SLAVE_MAJOR, type NumberedTerminal, type PtyTable } from '../devpts/table.js';
import { defaultTmpfsSize, parseMountOptions, parseOctal, parseSize } from '../options.js';
import { DEVICES } from './devices.js';

const ROOT: Credentials = { uid: 0, gid: 0, groups: [], caps: 0n };

const LINKS: readonly [string, string][] = [
  ['fd', '/proc/self/fd'],
  ['stdin', '/proc/self/fd/0'],
  ['stdout', '/proc/self/fd/1'],
  ['stderr', '/proc/self/fd/2'],
];

/** Group and mode of pty slaves, as runc's devpts mount options (gid=5,mode=0620) give them. */
const TTY_GID = 5;
const SLAVE_MODE = 0o620;

export function devType(ptys: PtyTable): FilesystemType {
  return {
    name: 'dev',
    mount: (request) => mountDev(request, ptys),
  };
}

function mountDev(request: MountRequest, ptys: PtyTable): MemFs {
  const where = `mount ${request.destination}`;
  const data = parseMountOptions(request.options).data;
  const size = data.get('size');
  const mode = data.get('mode');
  const fs = new MemFs({
    type: 'tmpfs',
    magic: TMPFS_MAGIC,
    dev: request.dev,
    sizeLimit: size === undefined ? defaultTmpfsSize() : parseSize(size, where),
    account: request.account,
    rootMode: mode === undefined ? 0o755 : parseOctal(mode, where),
    rootOwner: { uid: 0, gid: 0 },
  });
  const root = fs.root;
  for (const [name, { major, minor }] of Object.entries(DEVICES)) {
    // As with runc, /dev/console appears only for a sandbox with a terminal (showConsole).
    if (name !== 'console') root.mknod(name, S.IFCHR | 0o666, makedev(major, minor), ROOT);
  }
  for (const [name, target] of LINKS) root.symlink(name, target, ROOT);
  const pts = root.mkdir('pts', 0o755, ROOT) as MemDir;
  root.mkdir('shm', 0o1777, ROOT);
  showPtys(pts, ptys);
  const { major, minor } = DEVICES.console;
  ptys.listenConsole(() => {
    try {
      root.mknod('console', S.IFCHR | 0o600, makedev(major, minor), ROOT);
    } catch (error) {
      // The workload's own /dev/console (or a name put there) stays.
      if (!isSysError(error)) throw error;
    }
  });
  return fs;
}

/**
 * Specs written by `runsc spec` (and `tssc spec`) mount no devpts at /dev/pts, so this
 * tmpfs directory lists the sandbox's terminals itself; a devpts mount there hides it.
 */
function showPtys(pts: MemDir, ptys: PtyTable): void {
  pts.mknod('ptmx', S.IFCHR | 0o666, makedev(DEVICES.ptmx.major, DEVICES.ptmx.minor), ROOT);
  const name = (pty: NumberedTerminal) => String(pty.index);
  ptys.listen((pty, present) => {
    try {
      if (present) {
        const owner = { uid: pty.owner.uid, gid: TTY_GID, groups: [], caps: 0n };
        pts.mknod(name(pty), S.IFCHR | SLAVE_MODE, makedev(PTY_SLAVE_MAJOR, pty.index), owner);
      } else {
        pts.unlink(name(pty));
      }
    } catch (error) {
      // Someone in the sandbox removed or replaced the name: it is theirs now.
      if (!isSysError(error)) throw error;
    }
  });
}
