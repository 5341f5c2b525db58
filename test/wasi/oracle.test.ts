// node:wasi as an oracle: where it follows Linux, tssc gives the same output; where it
// does not (the fixes the WASI issue lists), tssc follows the native build instead.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { compileFixture, ensureCompiled, makeRootfs, makeSandbox, REPO, runWasm } from './harness.js';

let tmp: string;
beforeAll(() => {
  ensureCompiled();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-oracle-'));
});

/** The program under node:wasi with a fresh rootfs preopened as `/`. */
async function underNodeWasi(name: string, args: string[]): Promise<string> {
  const rootfs = makeRootfs(fs.mkdtempSync(path.join(tmp, 'node-')));
  const runner = path.join(REPO, 'bench/wasi-run-nodewasi.mjs');
  const result = spawnSync('node', ['--no-warnings', runner, rootfs, await compileFixture(name, 'wasm'), ...args], { encoding: 'utf8' });
  return result.stdout;
}

async function underTssc(name: string, args: string[]): Promise<string> {
  const rootfs = makeRootfs(fs.mkdtempSync(path.join(tmp, 'tssc-')));
  return (await runWasm(makeSandbox(rootfs), await compileFixture(name, 'wasm'), args)).stdout;
}

it('matches node:wasi on arguments and the environment', async () => {
  expect(await underTssc('args-env', ['1', 'two'])).toBe(await underNodeWasi('args-env', ['1', 'two']));
});

it('lists . and .. and fills short readlink buffers, where node:wasi does not', async () => {
  const tssc = await underTssc('files', []);
  const node = await underNodeWasi('files', []);
  expect(tssc).toContain('readlink short 4: rena\n');
  expect(node).not.toContain('readlink short 4: rena\n');
  const dirsTssc = await underTssc('dirs', []);
  const dirsNode = await underNodeWasi('dirs', []);
  expect(dirsTssc).toContain('data: ../ ./ hello.txt link@ sub/\n');
  expect(dirsNode).toContain('data: hello.txt link@ sub/\n');
});
