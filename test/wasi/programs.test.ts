// C programs compiled to wasm32-wasi run through the preview1 layer over the sandbox's
// VFS and print what the same sources compiled natively print.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileFixture, ensureCompiled, makeRootfs, makeSandbox, runWasm } from './harness.js';

let tmp: string;

beforeAll(() => {
  ensureCompiled();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-wasi-'));
});

async function nativeRun(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<{ stdout: string; status: number | null; signal: NodeJS.Signals | null }> {
  const rootfs = makeRootfs(fs.mkdtempSync(path.join(tmp, 'native-')));
  const result = spawnSync(await compileFixture(name, 'native'), args, { cwd: rootfs, env, encoding: 'latin1' });
  return { stdout: result.stdout, status: result.status, signal: result.signal };
}

function freshSandbox() {
  const bundle = fs.mkdtempSync(path.join(tmp, 'bundle-'));
  const rootfs = makeRootfs(path.join(bundle, 'rootfs'));
  return { rootfs, sandbox: makeSandbox(rootfs) };
}

describe('wasm programs match their native builds', () => {
  it.each(['files', 'dirs'])('%s', async (name) => {
    const { rootfs, sandbox } = freshSandbox();
    const native = await nativeRun(name);
    const before = execFileSync('find', [rootfs, '-printf', '%P %s\n'], { encoding: 'utf8' });
    const wasm = await runWasm(sandbox, await compileFixture(name, 'wasm'), []);
    expect(wasm.stdout).toBe(native.stdout);
    expect(wasm.status).toEqual({ kind: 'exited', code: 0 });
    // The rootfs is the read-only lower layer: the host files are untouched.
    expect(execFileSync('find', [rootfs, '-printf', '%P %s\n'], { encoding: 'utf8' })).toBe(before);
  });

  it('args, environment and exit code', async () => {
    const { sandbox } = freshSandbox();
    const env = { GREETING: 'hi there', EMPTY: '', PWD: '/work', TSSC_A: '1', TSSC_B: '2' };
    const args = ['7', 'two words', '', 'ünï'];
    const native = await nativeRun('args-env', args, env);
    const wasm = await runWasm(sandbox, await compileFixture('args-env', 'wasm'), args.map((a) => Buffer.from(a).toString('latin1')), {
      env: Object.entries(env).map(([k, v]) => Buffer.from(`${k}=${v}`).toString('latin1')),
    });
    expect(Buffer.from(wasm.stdout, 'latin1').toString()).toBe(Buffer.from(native.stdout, 'latin1').toString());
    expect(native.status).toBe(7);
    expect(wasm.status).toEqual({ kind: 'exited', code: 7 });
  });

  it('keeps each path beneath its directory fd, as preview1 requires', async () => {
    const { rootfs, sandbox } = freshSandbox();
    fs.symlinkSync('/data/hello.txt', path.join(rootfs, 'data/abslink'));
    fs.symlinkSync('../work', path.join(rootfs, 'data/uplink'));
    const wasm = await runWasm(sandbox, await compileFixture('beneath', 'wasm'), []);
    expect(wasm.stderr).toBe('');
    expect(wasm.stdout.split('\n')).toEqual([
      'open data: 0',
      'absolute from the root fd: 76',
      'dot-dot above the root fd: 76',
      'dot-dot above data: 76',
      'dot-dot back inside data: 0',
      'relative link inside data: 0',
      'absolute link: 76',
      'absolute link not followed: 0',
      'link out of data, from data: 76',
      'the same link from the root fd: 0',
      'symlink to /: 76',
      'symlink above the root fd: 76',
      'symlink that stays inside: 0',
      'through it: 0',
      'mkdir with an absolute path: 76',
      'unlink above data: 76',
      'rename out of data: 76',
      '',
    ]);
    expect(wasm.status).toEqual({ kind: 'exited', code: 0 });
  });

  it('abort() ends the process with SIGABRT', async () => {
    const { sandbox } = freshSandbox();
    const native = await nativeRun('args-env', ['abort']);
    const wasm = await runWasm(sandbox, await compileFixture('args-env', 'wasm'), ['abort']);
    expect(native.signal).toBe('SIGABRT');
    expect(wasm.status).toMatchObject({ kind: 'signaled', signal: 6 });
    expect(wasm.stdout).toBe(native.stdout);
  });

  it('clocks', async () => {
    const { sandbox } = freshSandbox();
    const now = String(Math.floor(Date.now() / 1000));
    const native = await nativeRun('clocks', [now]);
    const wasm = await runWasm(sandbox, await compileFixture('clocks', 'wasm'), [now]);
    expect(wasm.stdout).toBe(native.stdout);
    expect(wasm.stdout).not.toContain(': 0');
  });

  it('preview1 specifics: preopen, rights, renumber, readdir cookies, sockets, clocks', async () => {
    const { sandbox } = freshSandbox();
    const wasm = await runWasm(sandbox, await compileFixture('wasi-calls', 'wasm'), []);
    expect(wasm.status).toEqual({ kind: 'exited', code: 0 });
    expect(wasm.stdout.split('\n')).toEqual([
      'prestat 3: 0',
      'preopen name length 1',
      'prestat name: 0',
      'preopen name /',
      'prestat 4: 8',
      'prestat 0: 8',
      'open read-only: 0',
      'fdstat: 0',
      'filetype 4 read 1 write 0',
      'write without the right: 8',
      'drop seek: 0',
      'seek without the right: 76',
      'regain seek: 76',
      'renumber to 9 (closed): 8',
      'open again: 0',
      'renumber onto it: 0',
      'read renumbered: 0',
      'read 5: hello',
      'old fd closed: 8',
      'open dir: 0',
      'readdir: 0',
      'entries 5',
      'readdir from the second cookie: 0',
      'entries after the first 4',
      'readdir into 30 bytes: 0',
      'used 30',
      'open beyond the inheriting rights: 76',
      'sock_shutdown on a file: 57',
      'sock_shutdown on a closed fd: 8',
      'bad clock: 28',
      '',
    ]);
  });

  it('stdin to stdout through pipes, in big chunks', async () => {
    const { sandbox } = freshSandbox();
    const input = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < input.length; i++) input[i] = (i * 7 + (i >> 11)) & 0xff;
    const wasm = await runWasm(sandbox, await compileFixture('cat', 'wasm'), [], { stdin: input });
    expect(wasm.status).toEqual({ kind: 'exited', code: 0 });
    expect(Buffer.from(wasm.stdout, 'latin1').equals(input)).toBe(true);
    expect(wasm.stderr).toBe(`copied ${input.length} bytes\n`);
  });
});
