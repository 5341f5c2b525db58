// /proc/PID/fd and /proc/PID/fdinfo. An fd link is a magic link: following it lands on
// the open file's place in the sandbox tree (or its anonymous inode), never on a path
// re-read from text, so it cannot lead outside the sandbox whatever the file's name says.

import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import type { FileDescription } from '../api.js';
import { DirNode, GeneratedFile, MagicLink, NumberedChildren, type Owner, type SynthFs } from '../synthetic/nodes.js';
import { checkInspect, processOf, readerContext, type ProcDeps } from './deps.js';

function fileOf(deps: ProcDeps, pid: number, fd: number): FileDescription {
  const file = processOf(deps, pid).fds().get(fd);
  if (!file) fail(E.ENOENT);
  return file;
}

/** lr-x / l-wx / lrwx, as Linux shows an fd link by the file's access mode. */
function linkMode(file: FileDescription | undefined): number {
  if (!file) return 0o700;
  const access = file.statusFlags & O.ACCMODE;
  if (file.isPath) return 0o500;
  if (access === O.RDONLY) return 0o500;
  if (access === O.WRONLY) return 0o300;
  return 0o700;
}

export function fdDir(fs: SynthFs, deps: ProcDeps, pid: number, owner: () => Owner): DirNode {
  const fds = () => processOf(deps, pid).fds().keys();
  const link = (fd: number) =>
    new MagicLink(
      fs,
      () => {
        const reader = readerContext(deps);
        checkInspect(reader, processOf(deps, pid));
        return deps.vfs.pathOf(reader, fileOf(deps, pid, fd).location);
      },
      (ctx) => {
        checkInspect(ctx, processOf(deps, pid));
        return fileOf(deps, pid, fd).location;
      },
      () => linkMode(deps.providers.process(pid)?.fds().get(fd)),
      owner,
    );
  return new DirNode(fs, 0o500, new NumberedChildren(fds, link), owner, false);
}

export function fdinfoDir(fs: SynthFs, deps: ProcDeps, pid: number, owner: () => Owner): DirNode {
  const fds = () => processOf(deps, pid).fds().keys();
  const info = (fd: number) =>
    new GeneratedFile(
      fs,
      0o400,
      () => {
        const file = fileOf(deps, pid, fd);
        const flags = file.statusFlags.toString(8).padStart(7, '0');
        return `pos:\t${file.offset}\nflags:\t${flags}\nmnt_id:\t${file.location.mount.id}\nino:\t${file.inode.ino}\n`;
      },
      owner,
    );
  return new DirNode(fs, 0o500, new NumberedChildren(fds, info), owner, false);
}
