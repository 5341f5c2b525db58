// `tssc exec` into a container whose init is a wasm module: a new WASI process in the
// running sandbox, with its own args, env, cwd and stdio, the same VFS (the files the init
// reads), its exit status reported, and signals passed on; a program that is not a wasm
// module is refused, as nothing but WASI runs there; the init's end ends them.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasBusybox, makeRootfs, writeConfig } from '../e2e/busybox-bundle.js';
import { compileFixture, ensureCompiled } from '../wasi/harness.js';
import { LifecycleFixture, until } from './lifecycle-fixture.js';
import { runCli, TSSC } from './run-cli.js';

const fixture = new LifecycleFixture();
const SLOW_MS = 240_000;
let bundle: string;

function cli(args: readonly string[], input?: string) {
  return runCli(['--root', fixture.root, ...args], { timeout: 60_000, ...(input !== undefined && { input }) });
}

/**
 * A wasm container created and started, its init cat.wasm copying a fifo (its stdin,
 * which it holds open for writing too, so it never ends) to a file.
 */
async function running() {
  const id = fixture.newId();
  const fifo = path.join(fixture.scratch, `${id}.fifo`);
  expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
  const out = path.join(fixture.scratch, `${id}.out`);
  const inFd = openSync(fifo, 'r+');
  const outFd = openSync(out, 'w');
  const create = spawnSync(process.execPath, [TSSC, '--root', fixture.root, 'create', '--bundle', bundle, id], { stdio: [inFd, outFd, outFd], timeout: 60_000 });
  closeSync(inFd);
  closeSync(outFd);
  expect(create.status).toBe(0);
  expect(cli(['start', id])).toMatchObject({ status: 0, stderr: '' });
  const toInit = (text: string): void => {
    const fd = openSync(fifo, 'w');
    writeSync(fd, text);
    closeSync(fd);
  };
  return { id, toInit, initOutput: () => readFileSync(out, 'utf8') };
}

describe.skipIf(!hasBusybox())('tssc exec into a wasm container', () => {
  beforeAll(async () => {
    ensureCompiled();
    fixture.setUp('tssc-exec-wasm-');
    bundle = path.join(fixture.scratch, 'bundle');
    const rootfs = makeRootfs(bundle);
    for (const name of ['args-env', 'cat', 'files']) copyFileSync(await compileFixture(name, 'wasm'), path.join(rootfs, 'bin', `${name}.wasm`));
    mkdirSync(path.join(rootfs, 'work'));
    writeConfig(bundle, { args: ['/bin/cat.wasm'], env: ['PATH=/bin', 'GREETING=from the spec'] });
  }, SLOW_MS);
  afterAll(() => fixture.cleanUp());

  it('runs a new WASI process with its own args, env, cwd and stdio, and exits with its status', async () => {
    const { id, toInit, initOutput } = await running();
    const result = cli(['exec', '--cwd', '/work', '-e', 'GREETING=from exec', id, 'args-env.wasm', '7', 'x y']);
    expect(result).toEqual({
      status: 7,
      stdout: 'argc 3\nargv[1] = [7]\nargv[2] = [x y]\nGREETING=from exec\nEMPTY=(unset)\nUNSET=(unset)\nPWD=/work\nTSSC_ vars 0\n',
      stderr: '',
    });
    expect(cli(['exec', id, 'cat.wasm'], 'piped through\n')).toMatchObject({ status: 0, stdout: 'piped through\n' });
    // A trap ends it as a signal would (SIGABRT: 134), told in the container's log; the container runs on.
    expect(cli(['exec', id, 'args-env.wasm', 'abort']).status).toBe(134);
    expect(fixture.state(id).status).toBe('running');
    // The init still copies its own stdin: the exec'd ones had stdio of their own.
    toInit('to the init\n');
    await until(() => initOutput().endsWith('to the init\n'));
    expect(initOutput()).toMatch(/^time=\S+ level=warning msg="pid \d+: unreachable"\nto the init\n$/);
    expect(fixture.cli(['kill', id, 'KILL']).status).toBe(0);
  }, SLOW_MS);

  it('passes signals on, refuses what is not a wasm module, and ends with the init', async () => {
    const { id } = await running();
    const blocked = spawn(process.execPath, [TSSC, '--root', fixture.root, 'exec', id, 'cat.wasm'], { stdio: ['pipe', 'pipe', 'pipe'] });
    fixture.started.push(blocked);
    let output = '';
    blocked.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    blocked.stdin.write('first\n');
    await until(() => output === 'first\n');
    const ended = new Promise<number | null>((resolve) => blocked.on('close', resolve));
    blocked.kill('SIGTERM');
    expect(await ended).toBe(143);

    expect(cli(['exec', id, 'sh', '-c', 'true'])).toEqual({
      status: 1,
      stdout: '',
      stderr: 'tssc: ENOEXEC: Exec format error (/bin/sh is not a wasm module (a wasm container runs wasm modules only))\n',
    });
    expect(cli(['exec', id, 'nosuch.wasm']).stderr).toBe('tssc: nosuch.wasm: executable file not found in $PATH\n');

    // The init's end ends the container; an exec'd module with it.
    const left = spawn(process.execPath, [TSSC, '--root', fixture.root, 'exec', id, 'cat.wasm'], { stdio: ['pipe', 'ignore', 'ignore'] });
    fixture.started.push(left);
    const leftEnded = new Promise<number | null>((resolve) => left.on('close', resolve));
    await new Promise((r) => setTimeout(r, 500));
    expect(fixture.cli(['kill', id, 'KILL']).status).toBe(0);
    expect(await leftEnded).toBe(137);
    await until(() => fixture.state(id).status === 'stopped');
  }, SLOW_MS);
});
