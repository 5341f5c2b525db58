// Shared fixtures of the VFS tests: scratch host trees, contexts, small I/O helpers.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import { isSysError } from '../../src/abi/errno.js';
import { O } from '../../src/abi/linux-fcntl.js';
import {
  createVfs,
  Registry,
  type FsContext,
  type SandboxProviders,
  type Vfs,
  type VfsOptions,
} from '../../src/vfs/index.js';

export const ALL_CAPS = (1n << 41n) - 1n;

const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** A scratch directory removed after the test. */
export function tempDir(prefix = 'tssc-vfs-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

/** Writes a tree: keys are relative paths; a string is a file, null a directory, {link} a symlink. */
export function writeTree(root: string, tree: Record<string, string | null | { link: string }>): void {
  for (const [rel, content] of Object.entries(tree)) {
    const full = path.join(root, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    if (content === null) fs.mkdirSync(full, { recursive: true });
    else if (typeof content === 'string') fs.writeFileSync(full, content);
    else fs.symlinkSync(content.link, full);
  }
}

export const providers: SandboxProviders = {
  hostname: () => 'sandbox',
  domainname: () => '(none)',
  currentPid: () => 1,
  currentTid: () => 1,
  processes: () => [1],
  process: () => undefined,
  uptime: () => 0,
};

/** A bundle with a rootfs/ directory; returns the bundle dir and the rootfs path. */
export function makeBundle(tree: Record<string, string | null | { link: string }> = {}): { bundle: string; rootfs: string } {
  const bundle = tempDir('tssc-bundle-');
  const rootfs = path.join(bundle, 'rootfs');
  fs.mkdirSync(rootfs);
  writeTree(rootfs, tree);
  return { bundle, rootfs };
}

export function buildVfs(
  bundle: string,
  spec: Partial<VfsOptions['spec']> = {},
  extra: Partial<Omit<VfsOptions, 'spec' | 'bundleDir'>> = {},
): Vfs {
  return createVfs({
    spec: { root: { path: 'rootfs', readonly: false }, ...spec },
    bundleDir: bundle,
    registry: new Registry(),
    providers,
    ...extra,
  });
}

export function rootCtx(vfs: Vfs): FsContext {
  return { root: vfs.root, cwd: vfs.root, umask: 0o022, creds: { uid: 0, gid: 0, groups: [], caps: ALL_CAPS } };
}

export function userCtx(vfs: Vfs, uid = 1000, gid = 1000, groups: number[] = []): FsContext {
  return { root: vfs.root, cwd: vfs.root, umask: 0o022, creds: { uid, gid, groups, caps: 0n } };
}

/** The errno a call throws, or 0 when it succeeds. */
export function errnoOf(call: () => unknown): number {
  try {
    call();
    return 0;
  } catch (error) {
    if (isSysError(error)) return error.errno;
    throw error;
  }
}

export function readAll(vfs: Vfs, ctx: FsContext, file: string): string {
  const fd = vfs.open(ctx, undefined, file, O.RDONLY, 0);
  try {
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = fd.read(buf);
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    return Buffer.concat(chunks).toString('latin1');
  } finally {
    fd.unref();
  }
}

export function writeFile(vfs: Vfs, ctx: FsContext, file: string, content: string, flags = O.CREAT | O.TRUNC | O.WRONLY, mode = 0o644): void {
  const fd = vfs.open(ctx, undefined, file, flags, mode);
  try {
    fd.write(Buffer.from(content, 'latin1'));
  } finally {
    fd.unref();
  }
}

export function listDir(vfs: Vfs, ctx: FsContext, dir: string): string[] {
  const fd = vfs.open(ctx, undefined, dir, O.RDONLY | O.DIRECTORY, 0);
  const names: string[] = [];
  try {
    fd.getdents((entry) => {
      names.push(entry.name);
      return true;
    });
  } finally {
    fd.unref();
  }
  return names;
}
