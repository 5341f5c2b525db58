// Wasm processes as sandbox processes: the WasmSandbox (no ptrace, no native addon) with
// the spec's cwd, limits and signals, and the preview1 layer's blocking calls.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { E, SysError } from '../../src/abi/errno.js';
import { RlimitTable } from '../../src/sentry/kernel/rlimits.js';
import { createNetworkStack } from '../../src/netstack/index.js';
import { WasmSandbox } from '../../src/sentry/wasm/sandbox.js';
import { wasiPreview1Table } from '../../src/syscalls/wasi/table.js';
import type { FileDescription } from '../../src/vfs/api.js';
import { POLL } from '../../src/abi/linux-poll.js';
import { compileFixture, drain, waitFor, ensureCompiled, feed, makePipe, makeRootfs, makeSandbox, runWasm, type Sandbox } from './harness.js';

let tmp: string;
beforeAll(() => {
  ensureCompiled();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-wasm-sandbox-'));
});

interface Started {
  sandbox: WasmSandbox;
  status: Promise<number>;
  stdout: Promise<Buffer>;
  stdinWrite: FileDescription;
  stdoutRead: FileDescription;
}

async function start(program: string, options: { args?: string[]; cwd?: string; rlimits?: { type: 'RLIMIT_CPU'; soft: number; hard: number }[]; memoryLimitBytes?: number; bytes?: Uint8Array; keepStdout?: boolean } = {}): Promise<Started> {
  const rootfs = makeRootfs(fs.mkdtempSync(path.join(tmp, 'rootfs-')));
  fs.mkdirSync(path.join(rootfs, 'bin'));
  fs.writeFileSync(path.join(rootfs, 'bin/prog.wasm'), options.bytes ?? fs.readFileSync(await compileFixture(program, 'wasm')), { mode: 0o755 });
  const base: Sandbox = makeSandbox(rootfs);
  const [stdinRead, stdinWrite] = makePipe(base);
  const [stdoutRead, stdoutWrite] = makePipe(base);
  const [stderrRead, stderrWrite] = makePipe(base);
  void drain(stderrRead);
  const sandbox = new WasmSandbox({
    table: wasiPreview1Table,
    vfs: base.vfs,
    net: createNetworkStack(),
    hostname: 'tssc',
    domainname: '',
    ...(options.memoryLimitBytes === undefined ? {} : { memoryLimitBytes: options.memoryLimitBytes }),
    init: {
      program: '/bin/prog.wasm',
      argv: ['/bin/prog.wasm', ...(options.args ?? [])],
      envp: ['GREETING=hello'],
      cwd: options.cwd ?? '/',
      identity: { uid: 0, gid: 0, groups: [], effective: 0n, permitted: 0n, inheritable: 0n, bounding: 0n },
      umask: 0o022,
      rlimits: RlimitTable.fromSpec(options.rlimits),
      stdio: [stdinRead, stdoutWrite, stderrWrite],
    },
  });
  const status = sandbox.run();
  return { sandbox, status, stdout: options.keepStdout ? Promise.resolve(Buffer.alloc(0)) : drain(stdoutRead), stdinWrite, stdoutRead };
}

describe('WasmSandbox', () => {
  it('runs init with the spec cwd as PWD and reports its exit status', async () => {
    const { status, stdout, stdinWrite } = await start('args-env', { args: ['3'], cwd: '/work' });
    stdinWrite.unref();
    expect(await status).toBe(3 << 8);
    const text = (await stdout).toString();
    expect(text).toContain('GREETING=hello\n');
    expect(text).toContain('PWD=/work\n');
  });

  it('RLIMIT_CPU ends a spinning module with SIGXCPU', async () => {
    const { status, stdout, stdinWrite } = await start('spin', { rlimits: [{ type: 'RLIMIT_CPU', soft: 1, hard: 2 }] });
    stdinWrite.unref();
    expect(await status).toBe(24);
    expect((await stdout).toString()).toBe('spinning\n');
  });

  it('a spinning module does not block the sentry, and a signal kills it', async () => {
    const { sandbox, status, stdout, stdinWrite, stdoutRead } = await start('spin', { keepStdout: true });
    stdinWrite.unref();
    // The module is spinning once it printed; the event loop still runs and can kill it.
    await waitFor(stdoutRead, POLL.IN);
    setTimeout(() => sandbox.signalGroup(sandbox.initGroup!, 15), 50);
    expect(await status).toBe(15);
    void stdout;
  });

  it('the memory limit bounds the module memory (malloc fails)', async () => {
    const { status, stdout, stdinWrite } = await start('alloc', { memoryLimitBytes: 16 << 20 });
    stdinWrite.unref();
    expect(await status).toBe(0);
    const allocated = Number(/allocated (\d+) MiB/.exec((await stdout).toString())![1]);
    expect(allocated).toBeGreaterThan(4);
    expect(allocated).toBeLessThan(16);
  });

  it('poll_oneoff waits on a pipe and a clock', async () => {
    const { status, stdinWrite, stdoutRead } = await start('poll', { keepStdout: true });
    // Data arrives only once the first poll has timed out and said so.
    await waitFor(stdoutRead, POLL.IN);
    const first = Buffer.alloc(64);
    const n = stdoutRead.read(first);
    void feed(stdinWrite, Buffer.from('ping'));
    const rest = await drain(stdoutRead);
    expect(await status).toBe(0);
    expect(first.toString('latin1', 0, n) + rest.toString()).toBe('first poll: 0\nsecond poll: 1 readable 1\nread 4: ping\nthen read 0\nbad fd poll: 1 flagged 1\n');
  });

  it.each([
    ['garbage after the magic', Uint8Array.of(0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 0xff, 0xff)],
    ['a module importing something else', Uint8Array.from(Buffer.from('0061736d01000000010401600000020b0103656e7603666f6f0000', 'hex'))],
    ['a module without _start', Uint8Array.from(Buffer.from('0061736d01000000', 'hex'))],
  ])('refuses %s with ENOEXEC before anything runs', async (_name, bytes) => {
    const { status } = await start('args-env', { bytes });
    await expect(status).rejects.toSatisfy((e: unknown) => e instanceof SysError && e.errno === E.ENOEXEC);
  });

  it('an ELF is not taken for wasm', async () => {
    const { status } = await start('args-env', { bytes: fs.readFileSync('/bin/true') });
    await expect(status).rejects.toSatisfy((e: unknown) => e instanceof SysError && e.errno === E.ENOEXEC);
  });
});

describe('the preview1 layer', () => {
  it('a module blocked on a read does not hold up another one', async () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(tmp, 'two-')));
    const sandbox = makeSandbox(rootfs);
    const [stdinRead, stdinWrite] = makePipe(sandbox);
    const blocked = runWasm(sandbox, await compileFixture('cat', 'wasm'), [], { stdio: [stdinRead] });
    const other = await runWasm(sandbox, await compileFixture('args-env', 'wasm'), ['4']);
    expect(other.status).toEqual({ kind: 'exited', code: 4 });
    await feed(stdinWrite, Buffer.from('late input\n'));
    expect(await blocked).toMatchObject({ status: { kind: 'exited', code: 0 }, stdout: 'late input\n' });
  });

  it('a trap ends the process as the matching signal', async () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(tmp, 'trap-')));
    const result = await runWasm(makeSandbox(rootfs), await compileFixture('args-env', 'wasm'), ['abort']);
    expect(result.status).toMatchObject({ kind: 'signaled', signal: 6 });
  });
});
