// SQLite (the amalgamation better-sqlite3 ships) compiled to wasm32-wasi creates, writes
// and queries a database file in the sandbox's VFS, with the results of a native build.

import { execFile, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { CACHE, compileFixture, ensureCompiled, makeRootfs, makeSandbox, runWasm } from './harness.js';

const run = promisify(execFile);

/** deps/sqlite3 of the better-sqlite3 npm package, fetched once with `npm pack` (not a dependency). */
async function sqliteSources(): Promise<string> {
  const dir = path.join(CACHE, 'sqlite3');
  if (fs.existsSync(path.join(dir, 'sqlite3.c'))) return dir;
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-npm-pack-'));
  await run('npm', ['pack', 'better-sqlite3', '--silent', '--pack-destination', packDir]);
  const tarball = fs.readdirSync(packDir).find((f) => f.endsWith('.tgz'))!;
  const extracted = fs.mkdtempSync(path.join(CACHE, 'sqlite3-'));
  await run('tar', ['xzf', path.join(packDir, tarball), '-C', extracted, 'package/deps/sqlite3']);
  fs.renameSync(path.join(extracted, 'package/deps/sqlite3'), dir);
  fs.rmSync(extracted, { recursive: true });
  fs.rmSync(packDir, { recursive: true });
  return dir;
}

let wasm: string;
let native: string;

beforeAll(async () => {
  ensureCompiled();
  fs.mkdirSync(CACHE, { recursive: true });
  const sources = await sqliteSources();
  const build = {
    sources: [path.join(sources, 'sqlite3.c')],
    flags: [
      `-I${sources}`,
      '-DSQLITE_THREADSAFE=0',
      '-DSQLITE_OMIT_WAL',
      '-DSQLITE_OMIT_LOAD_EXTENSION',
      '-D_WASI_EMULATED_MMAN',
      '-D_WASI_EMULATED_PROCESS_CLOCKS',
      '-D_WASI_EMULATED_GETPID',
    ],
    libs: ['-lwasi-emulated-mman', '-lwasi-emulated-process-clocks', '-lwasi-emulated-getpid'],
  };
  [wasm, native] = await Promise.all([compileFixture('sqlite-driver', 'wasm', build), compileFixture('sqlite-driver', 'native', build)]);
}, 300_000);

it('sqlite3 in wasm gives the native results on a database in the VFS', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-sqlite-'));
  const nativeRoot = makeRootfs(path.join(tmp, 'native'));
  const expected = spawnSync(native, [], { cwd: nativeRoot, encoding: 'utf8' });
  expect(expected.status).toBe(0);

  const rootfs = makeRootfs(path.join(tmp, 'bundle/rootfs'));
  const sandbox = makeSandbox(rootfs);
  const result = await runWasm(sandbox, wasm, []);
  expect(result.stderr).toBe('');
  expect(result.status).toEqual({ kind: 'exited', code: 0 });
  expect(result.stdout).toBe(expected.stdout);
  expect(result.stdout).toContain('reopened=1600');
  expect(result.stdout).toContain('integrity_check=ok');
  // The database lives in the sandbox's upper layer, not in the host rootfs.
  expect(fs.existsSync(path.join(rootfs, 'work/test.db'))).toBe(false);
  expect(sandbox.vfs.stat({ root: sandbox.vfs.root, cwd: sandbox.vfs.root, umask: 0o22, creds: { uid: 0, gid: 0, groups: [], caps: 0n } }, undefined, '/work/test.db', 0).size).toBeGreaterThan(0);
}, 120_000);
