// The operations of the VFS-versus-host property test: a seeded generator, the VFS side
// executor (the host side is fixtures/host-ops.mjs) and tree snapshots of both sides.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { errnoName, isSysError } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import { S, type FsContext, type Vfs } from '../../src/vfs/index.js';

export type Op =
  | { op: 'open'; path: string; flags: number; mode: number; data?: string }
  | { op: 'read' | 'rmdir' | 'unlink' | 'readlink' | 'readdir'; path: string }
  | { op: 'ftruncate'; path: string; length: number }
  | { op: 'mkdir' | 'chmod'; path: string; mode: number }
  | { op: 'rename' | 'link'; from: string; to: string }
  | { op: 'symlink'; target: string; path: string }
  | { op: 'chown'; path: string; uid: number; gid: number }
  | { op: 'access'; path: string; mode: number }
  | { op: 'stat'; path: string; follow: boolean };

/** mulberry32: a small seeded generator, so a failing seed replays exactly. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['a', 'b', 'c', 'd1', 'f1', 'sub', 'f3', 'ln', 'ro', 'r', 'sticky', 'rootfile'];
const MODES = [0o755, 0o700, 0o644, 0o600, 0o000, 0o555, 0o1777, 0o2755, 0o4755, 0o111, 0o222, 0o1755];
const OPEN_FLAGS = [
  O.RDONLY,
  O.WRONLY,
  O.RDWR,
  O.WRONLY | O.CREAT,
  O.WRONLY | O.CREAT | O.EXCL,
  O.WRONLY | O.CREAT | O.TRUNC,
  O.WRONLY | O.APPEND,
  O.RDONLY | O.DIRECTORY,
  O.WRONLY | O.CREAT | O.NOFOLLOW,
  O.RDWR | O.TRUNC,
  O.RDONLY | O.NOFOLLOW,
];

export function generateOps(seed: number, count: number): Op[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const name = () => pick(NAMES);
  const somePath = (): string => {
    const depth = 1 + Math.floor(next() * 3);
    const parts: string[] = [];
    // `..` never climbs above the starting directory: the host side has no sandbox root.
    let height = 0;
    for (let i = 0; i < depth; i++) {
      const roll = next();
      if (roll < 0.05) parts.push('.');
      else if (roll < 0.1 && height > 0) {
        parts.push('..');
        height--;
      } else {
        parts.push(name());
        height++;
      }
    }
    return parts.join('/') + (next() < 0.08 ? '/' : '');
  };
  const target = () => pick(['a', 'b', 'd1/../a', 'd1/f1', 'nowhere', 'ln', 'sub', '.', 'd1']);
  const ops: Op[] = [];
  for (let i = 0; i < count; i++) {
    const kind = Math.floor(next() * 16);
    switch (kind) {
      case 0:
      case 1:
        ops.push({ op: 'open', path: somePath(), flags: pick(OPEN_FLAGS), mode: pick(MODES), data: next() < 0.7 ? `data${i}-`.repeat(1 + Math.floor(next() * 3)) : '' });
        break;
      case 2:
        ops.push({ op: 'read', path: somePath() });
        break;
      case 3:
        ops.push({ op: 'mkdir', path: somePath(), mode: pick(MODES) });
        break;
      case 4:
        ops.push({ op: 'rmdir', path: somePath() });
        break;
      case 5:
        ops.push({ op: 'unlink', path: somePath() });
        break;
      case 6:
        ops.push({ op: 'rename', from: somePath(), to: somePath() });
        break;
      case 7:
        ops.push({ op: 'link', from: somePath(), to: somePath() });
        break;
      case 8:
        ops.push({ op: 'symlink', target: target(), path: somePath() });
        break;
      case 9:
        ops.push({ op: 'readlink', path: somePath() });
        break;
      case 10:
        ops.push({ op: 'chmod', path: somePath(), mode: pick(MODES) });
        break;
      case 11:
        ops.push({ op: 'stat', path: somePath(), follow: next() < 0.5 });
        break;
      case 12:
        ops.push({ op: 'readdir', path: somePath() });
        break;
      case 13:
        ops.push({ op: 'access', path: somePath(), mode: pick([0, 1, 2, 4, 6, 7]) });
        break;
      case 14:
        ops.push({ op: 'ftruncate', path: somePath(), length: pick([0, 1, 5, 10000]) });
        break;
      default:
        ops.push({ op: 'chown', path: somePath(), uid: pick([-1, 1000, 0]), gid: pick([-1, 1000, 0]) });
    }
  }
  return ops;
}

const TYPE_NAMES: Record<number, string> = { [S.IFDIR]: 'dir', [S.IFREG]: 'reg', [S.IFLNK]: 'lnk', [S.IFIFO]: 'fifo' };

function runOnVfs(vfs: Vfs, ctx: FsContext, op: Op): string {
  switch (op.op) {
    case 'open': {
      const fd = vfs.open(ctx, undefined, op.path, op.flags, op.mode);
      try {
        if (op.data) fd.write(Buffer.from(op.data, 'latin1'));
      } finally {
        fd.unref();
      }
      return 'ok';
    }
    case 'read': {
      const fd = vfs.open(ctx, undefined, op.path, O.RDONLY, 0);
      try {
        const buf = Buffer.alloc(1 << 16);
        return buf.subarray(0, fd.read(buf)).toString('latin1');
      } finally {
        fd.unref();
      }
    }
    case 'ftruncate': {
      const fd = vfs.open(ctx, undefined, op.path, O.WRONLY, 0);
      try {
        fd.truncate(op.length);
      } finally {
        fd.unref();
      }
      return 'ok';
    }
    case 'mkdir':
      vfs.mkdir(ctx, undefined, op.path, op.mode);
      return 'ok';
    case 'rmdir':
      vfs.unlink(ctx, undefined, op.path, 0x200);
      return 'ok';
    case 'unlink':
      vfs.unlink(ctx, undefined, op.path, 0);
      return 'ok';
    case 'rename':
      vfs.rename(ctx, undefined, op.from, undefined, op.to, 0);
      return 'ok';
    case 'link':
      vfs.link(ctx, undefined, op.from, undefined, op.to, 0);
      return 'ok';
    case 'symlink':
      vfs.symlink(ctx, op.target, undefined, op.path);
      return 'ok';
    case 'readlink':
      return vfs.readlink(ctx, undefined, op.path);
    case 'chmod':
      vfs.chmod(ctx, undefined, op.path, op.mode, 0);
      return 'ok';
    case 'chown':
      vfs.chown(ctx, undefined, op.path, op.uid, op.gid, 0);
      return 'ok';
    case 'access':
      vfs.access(ctx, undefined, op.path, op.mode, 0);
      return 'ok';
    case 'stat': {
      const st = vfs.stat(ctx, undefined, op.path, op.follow ? 0 : 0x100);
      const type = TYPE_NAMES[st.mode & S.IFMT] ?? 'other';
      return `${type}:${(st.mode & 0o7777).toString(8)}:${type === 'dir' ? '-' : st.size}:${type === 'dir' ? '-' : st.nlink}:${st.uid}:${st.gid}`;
    }
    case 'readdir': {
      const fd = vfs.open(ctx, undefined, op.path, O.RDONLY | O.DIRECTORY, 0);
      const names: string[] = [];
      try {
        fd.getdents((entry) => {
          if (entry.name !== '.' && entry.name !== '..') names.push(entry.name);
          return true;
        });
      } finally {
        fd.unref();
      }
      return names.sort().join(',');
    }
  }
}

export function runAllOnVfs(vfs: Vfs, ctx: FsContext, ops: Op[]): string[] {
  return ops.map((op) => {
    try {
      return runOnVfs(vfs, ctx, op);
    } catch (error) {
      if (isSysError(error)) return errnoName(error.errno);
      throw error;
    }
  });
}

/** One line per file: path, type, permission bits, size, link target or contents. */
export type TreeSnapshot = string[];

export function snapshotHost(root: string): TreeSnapshot {
  const lines: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const name of fs.readdirSync(dir).sort()) {
      const full = path.join(dir, name);
      const st = fs.lstatSync(full);
      const type = TYPE_NAMES[st.mode & S.IFMT] ?? 'other';
      const relName = `${rel}/${name}`;
      const detail = st.isSymbolicLink() ? fs.readlinkSync(full) : st.isFile() ? fs.readFileSync(full, 'latin1') : '';
      lines.push(`${relName} ${type} ${(st.mode & 0o7777).toString(8)} ${st.isDirectory() ? '-' : st.size} ${detail}`);
      if (st.isDirectory()) walk(full, relName);
    }
  };
  walk(root, '');
  return lines;
}

export function snapshotVfs(vfs: Vfs, ctx: FsContext, root: string): TreeSnapshot {
  const lines: string[] = [];
  const walk = (dir: string, rel: string) => {
    const fd = vfs.open(ctx, undefined, dir === '' ? '/' : dir, O.RDONLY | O.DIRECTORY, 0);
    const names: string[] = [];
    fd.getdents((entry) => {
      if (entry.name !== '.' && entry.name !== '..') names.push(entry.name);
      return true;
    });
    fd.unref();
    for (const name of names.sort()) {
      const full = `${dir}/${name}`;
      const st = vfs.stat(ctx, undefined, full, 0x100);
      const type = TYPE_NAMES[st.mode & S.IFMT] ?? 'other';
      const relName = `${rel}/${name}`;
      let detail = '';
      if (type === 'lnk') detail = vfs.readlink(ctx, undefined, full);
      else if (type === 'reg') {
        const file = vfs.open(ctx, undefined, full, O.RDONLY, 0);
        const buf = Buffer.alloc(st.size);
        file.read(buf);
        file.unref();
        detail = buf.toString('latin1');
      }
      lines.push(`${relName} ${type} ${(st.mode & 0o7777).toString(8)} ${type === 'dir' ? '-' : st.size} ${detail}`);
      if (type === 'dir') walk(full, relName);
    }
  };
  walk(root, '');
  return lines;
}
