// Path resolution confined to a directory, as if it were "/" (chroot semantics): ".." stops
// at the root and symlinks, absolute or relative, are read and resolved inside it. Used to
// read files of an unpacked image (/etc/passwd, blobs) that may be symlinks planted by it.
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { TsscError } from '../errors.js';

const MAX_SYMLINKS = 40; // as Linux's MAXSYMLINKS

/** Host path of `inner` (a path inside `root`); the result contains no symlink below root. */
export function resolveInRoot(root: string, inner: string): string {
  const pending = inner.split('/').reverse();
  const resolved: string[] = [];
  let links = 0;
  while (pending.length > 0) {
    const component = pending.pop() ?? '';
    if (component === '' || component === '.') continue;
    if (component === '..') {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, component);
    let isLink = false;
    try {
      isLink = lstatSync(candidate).isSymbolicLink();
    } catch {
      // A missing component: the caller's open reports it.
    }
    if (!isLink) {
      resolved.push(component);
      continue;
    }
    if (++links > MAX_SYMLINKS) throw new TsscError(`${inner}: too many levels of symbolic links`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) resolved.length = 0;
    pending.push(...target.split('/').reverse());
  }
  return path.join(root, ...resolved);
}
