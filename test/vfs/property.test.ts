// The VFS against the host kernel: one seeded random sequence of operations, run with the
// same unprivileged credentials (uid/gid 1000) on the VFS and, through setpriv, on a host
// scratch directory; the results, errno values and final trees must agree.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FsContext, Vfs } from '../../src/vfs/index.js';
import { buildVfs, makeBundle, rootCtx, tempDir, userCtx } from './helpers.js';
import { generateOps, runAllOnVfs, snapshotHost, snapshotVfs, type Op } from './property-ops.js';

const USER = 1000;
/**
 * The host side runs as uid 1000, which may not be able to read the checkout (CI clones
 * it under a 0700 directory): it runs from a world-readable copy.
 */
const HOST_OPS = worldReadableCopy(path.join(import.meta.dirname, 'fixtures', 'host-ops.mjs'));
// VFS_SEEDS=first-last widens the search (e.g. VFS_SEEDS=1-500 npx vitest run test/vfs/property.test.ts).
const SEEDS = seedRange(process.env.VFS_SEEDS ?? '1-10');

function seedRange(text: string): number[] {
  const [first, last] = text.split('-').map(Number) as [number, number | undefined];
  return Array.from({ length: (last ?? first) - first + 1 }, (_, i) => first + i);
}
const OPS_PER_SEED = 300;

function worldReadableCopy(file: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-host-ops-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.chmodSync(dir, 0o755);
  const copy = path.join(dir, path.basename(file));
  fs.copyFileSync(file, copy);
  fs.chmodSync(copy, 0o644);
  return copy;
}

const canSetpriv = process.geteuid?.() === 0 && spawnSync('setpriv', ['--version']).status === 0;

function runOnHost(dir: string, ops: Op[], asRoot = false): string[] {
  const user = asRoot ? [] : [`--reuid=${USER}`, `--regid=${USER}`, '--clear-groups'];
  const child = spawnSync('setpriv', [...user, process.execPath, HOST_OPS], {
    cwd: dir,
    input: JSON.stringify(ops),
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`host side failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as string[];
}

/** The starting tree: user-owned files and directories, plus root-owned and sticky ones. */
function populate(root: string): void {
  fs.mkdirSync(path.join(root, 'd1/sub'), { recursive: true });
  fs.writeFileSync(path.join(root, 'd1/f1'), 'hello');
  fs.writeFileSync(path.join(root, 'd1/sub/f2'), 'x');
  fs.writeFileSync(path.join(root, 'f3'), 'abc');
  fs.symlinkSync('d1/f1', path.join(root, 'ln'));
  for (const entry of ['d1', 'd1/sub', 'd1/f1', 'd1/sub/f2', 'f3', 'ln']) fs.lchownSync(path.join(root, entry), USER, USER);
  fs.mkdirSync(path.join(root, 'ro'), 0o755);
  fs.writeFileSync(path.join(root, 'ro/r'), 'root file');
  fs.mkdirSync(path.join(root, 'sticky'));
  fs.chmodSync(path.join(root, 'sticky'), 0o1777);
  fs.writeFileSync(path.join(root, 'sticky/rootfile'), 'r');
  fs.chmodSync(root, 0o777);
}

function hostScratch(populated: boolean): string {
  const dir = tempDir('tssc-prop-host-');
  fs.chmodSync(dir, 0o755);
  const work = path.join(dir, 'w');
  fs.mkdirSync(work);
  if (populated) populate(work);
  else fs.chmodSync(work, 0o1777);
  return work;
}

/** The user's context, in /w: the host side runs in a w directory of a root-owned 0755 one. */
function workCtx(vfs: Vfs): FsContext {
  const ctx = userCtx(vfs, USER, USER);
  ctx.cwd = vfs.resolve(ctx, undefined, '/w', { follow: true });
  return ctx;
}

/**
 * A tmpfs mounted on /w is a mount boundary the host scratch directory does not have:
 * a path that climbs out of /w (a link to `.` then `..`) gets EXDEV on the VFS only.
 */
function crossesMountOnlyInVfs(op: Op, vfsResult: string | undefined, tmpfs: boolean): boolean {
  return tmpfs && vfsResult === 'EXDEV' && JSON.stringify(op).includes('..');
}

function compare(seed: number, ops: Op[], vfsResults: string[], hostResults: string[], tmpfs = false): void {
  for (let i = 0; i < ops.length; i++) {
    if (vfsResults[i] !== hostResults[i] && !crossesMountOnlyInVfs(ops[i] as Op, vfsResults[i], tmpfs)) {
      throw new Error(`seed ${seed}, op ${i} ${JSON.stringify(ops[i])}: vfs ${JSON.stringify(vfsResults[i])}, host ${JSON.stringify(hostResults[i])}`);
    }
  }
}

describe.skipIf(!canSetpriv)('VFS and host kernel agree', () => {
  it.each(SEEDS)('memory overlay over the rootfs, seed %i', (seed) => {
    const { bundle, rootfs } = makeBundle({ w: null });
    populate(path.join(rootfs, 'w'));
    const before = snapshotHost(rootfs);
    const vfs = buildVfs(bundle);
    const ops = generateOps(seed, OPS_PER_SEED);
    const vfsResults = runAllOnVfs(vfs, workCtx(vfs), ops);
    const host = hostScratch(true);
    compare(seed, ops, vfsResults, runOnHost(host, ops));
    expect(snapshotVfs(vfs, rootCtx(vfs), '/w')).toEqual(snapshotHost(host));
    expect(snapshotHost(rootfs)).toEqual(before);
  });

  it.each(SEEDS)('host write-through (overlay none), seed %i', (seed) => {
    const { bundle, rootfs } = makeBundle({ w: null });
    populate(path.join(rootfs, 'w'));
    const vfs = buildVfs(bundle, {}, { overlay: 'none' });
    const ops = generateOps(seed, OPS_PER_SEED);
    const vfsResults = runAllOnVfs(vfs, workCtx(vfs), ops);
    const host = hostScratch(true);
    compare(seed, ops, vfsResults, runOnHost(host, ops));
    expect(snapshotHost(path.join(rootfs, 'w'))).toEqual(snapshotHost(host));
  });

  it.each(SEEDS)('memory overlay as root (every capability), seed %i', (seed) => {
    const { bundle, rootfs } = makeBundle({ w: null });
    populate(path.join(rootfs, 'w'));
    const vfs = buildVfs(bundle);
    const ctx = rootCtx(vfs);
    ctx.cwd = vfs.resolve(ctx, undefined, '/w', { follow: true });
    const ops = generateOps(seed, OPS_PER_SEED);
    const vfsResults = runAllOnVfs(vfs, ctx, ops);
    const host = hostScratch(true);
    compare(seed, ops, vfsResults, runOnHost(host, ops, true));
    expect(snapshotVfs(vfs, rootCtx(vfs), '/w')).toEqual(snapshotHost(host));
  });

  it.each(SEEDS)('tmpfs, seed %i', (seed) => {
    const { bundle } = makeBundle({ w: null });
    const vfs = buildVfs(bundle, { mounts: [{ destination: '/w', type: 'tmpfs', source: 'tmpfs', options: [] }] });
    const ops = generateOps(seed, OPS_PER_SEED);
    const vfsResults = runAllOnVfs(vfs, workCtx(vfs), ops);
    const host = hostScratch(false);
    compare(seed, ops, vfsResults, runOnHost(host, ops), true);
    expect(snapshotVfs(vfs, rootCtx(vfs), '/w')).toEqual(snapshotHost(host));
  });
});
