// tmpfs instances: from a spec's mount options or a sandbox's mount(2) data, with Linux's
// size=, mode=, uid= and gid=, and the options /proc shows for them (shmem_show_options).

import type { MemoryCharge } from '../accounting/memory-account.js';
import { MemFs, TMPFS_MAGIC } from './memfs/fs.js';
import { defaultTmpfsSize, parseId, parseOctal, parseSize } from './options.js';

const PAGE_KIB = 4;
const DEFAULT_MODE = 0o1777;

export interface Tmpfs {
  fs: MemFs;
  /** What /proc/mounts shows after the flags: size=NNNk, mode=, uid=, gid= where not the default. */
  shown: string[];
}

/**
 * A tmpfs from its data options; where names the mount in errors. Its pages and names are
 * charged to account, the sandbox's memory, as every memory filesystem of the sandbox is.
 */
export function makeTmpfs(dev: number, data: ReadonlyMap<string, string>, where: string, account: MemoryCharge): Tmpfs {
  const size = data.get('size') ?? (data.has('nr_blocks') ? String(Number(data.get('nr_blocks')) * PAGE_KIB * 1024) : undefined);
  const mode = data.get('mode');
  const uid = data.get('uid');
  const gid = data.get('gid');
  const sizeLimit = size === undefined ? defaultTmpfsSize() : parseSize(size, where);
  const rootMode = mode === undefined ? DEFAULT_MODE : parseOctal(mode, where);
  const owner = { uid: uid === undefined ? 0 : parseId(uid, where), gid: gid === undefined ? 0 : parseId(gid, where) };
  const fs = new MemFs({ type: 'tmpfs', magic: TMPFS_MAGIC, dev, sizeLimit, account, rootMode, rootOwner: owner });
  const shown: string[] = [];
  if (size !== undefined && Number.isFinite(sizeLimit)) shown.push(`size=${Math.floor(sizeLimit / (PAGE_KIB * 1024)) * PAGE_KIB}k`);
  if (rootMode !== DEFAULT_MODE) shown.push(`mode=${rootMode.toString(8).padStart(3, '0')}`);
  if (owner.uid !== 0) shown.push(`uid=${owner.uid}`);
  if (owner.gid !== 0) shown.push(`gid=${owner.gid}`);
  return { fs, shown };
}
