// Pieces of the WASI layer on their own: the import object, errno mapping, the memory
// limit rewrite, trap signals, and the preopen taking fd 3.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { E, SysError } from '../../src/abi/errno.js';
import { CallBuffer, CallClient } from '../../src/sentry/wasm/channel.js';
import { limitModuleMemory, WASM_PAGE_SIZE } from '../../src/sentry/wasm/memory-limit.js';
import { compileCached } from '../../src/sentry/wasm/module-cache.js';
import { wasmEnvironment } from '../../src/sentry/wasm/sandbox.js';
import { PREVIEW1_FUNCTIONS, WasiErrno } from '../../src/syscalls/wasi/abi.js';
import { wasiErrnoOfLinux } from '../../src/syscalls/wasi/errno.js';
import { GuestMemory } from '../../src/syscalls/wasi/guest-memory.js';
import { preview1Imports } from '../../src/syscalls/wasi/imports.js';
import { signalOfTrap } from '../../src/syscalls/wasi/traps.js';
import { compileFixture, makeRootfs, makeSandbox, makePipe, runWasm } from './harness.js';

describe('the preview1 import object', () => {
  it('has every preview1 function and nothing else', () => {
    const { port1 } = new MessageChannel();
    const imports = preview1Imports({
      client: new CallClient(new CallBuffer(), port1),
      memory: new GuestMemory(),
      argv: [],
      envp: [],
      realtimeOffsetNs: 0n,
      monotonicOffsetNs: 0n,
    });
    expect(new Set(Object.keys(imports))).toEqual(PREVIEW1_FUNCTIONS);
    port1.close();
  });
});

describe('errno mapping', () => {
  it.each([
    [E.ENOENT, WasiErrno.NOENT],
    [E.EBADF, WasiErrno.BADF],
    [E.E2BIG, WasiErrno.TOOBIG],
    [E.EOPNOTSUPP, WasiErrno.NOTSUP],
    [E.ENOTEMPTY, WasiErrno.NOTEMPTY],
    [E.ELOOP, WasiErrno.LOOP],
    [512, WasiErrno.INTR], // ERESTARTSYS: a signal ended the wait
    [E.EHWPOISON, WasiErrno.IO], // nothing like it in WASI
  ])('Linux %i is WASI %i', (linux, wasi) => {
    expect(wasiErrnoOfLinux(linux)).toBe(wasi);
    expect(wasiErrnoOfLinux(-linux)).toBe(wasi);
  });
});

describe('the memory limit', () => {
  // (module (memory (export "memory") ...)) with the given limits bytes (flags, min[, max]).
  const moduleWith = (limits: number[]) =>
    Buffer.concat([Buffer.from('0061736d01000000', 'hex'), Buffer.from([5, limits.length + 1, 1, ...limits]), Buffer.from('070a01066d656d6f72790200', 'hex')]);

  it('gives every memory a maximum no larger than the limit', async () => {
    for (const bytes of [moduleWith([0, 2]), moduleWith([1, 2, 100])]) {
      const limited = limitModuleMemory(bytes, 10 * WASM_PAGE_SIZE);
      const { instance } = await WebAssembly.instantiate(limited);
      const memory = instance.exports['memory'] as WebAssembly.Memory;
      expect(memory.grow(8)).toBe(2);
      expect(() => memory.grow(1)).toThrow(RangeError);
    }
  });

  it('refuses a module whose initial memory is above the limit', () => {
    expect(() => limitModuleMemory(moduleWith([0, 20]), 10 * WASM_PAGE_SIZE)).toThrow(SysError);
  });
});

describe('the compile cache', () => {
  it('compiles the same bytes once', async () => {
    const bytes = Buffer.from('0061736d01000000', 'hex');
    const first = compileCached(bytes);
    expect(compileCached(Buffer.from(bytes))).toBe(first);
    expect(WebAssembly.Module.exports(await first)).toEqual([]);
  });

  it('rejects bytes that are not a module with ENOEXEC', async () => {
    await expect(compileCached(Buffer.from('0061736d02000000', 'hex'))).rejects.toSatisfy((e: unknown) => e instanceof SysError && e.errno === E.ENOEXEC);
  });
});

describe('traps', () => {
  it.each([
    ['unreachable', 6],
    ['memory access out of bounds', 11],
    ['divide by zero', 8],
    ['indirect call signature mismatch', 4],
  ])('%s ends the process with signal %i', (message, signal) => {
    expect(signalOfTrap(new WebAssembly.RuntimeError(message)).signal).toBe(signal);
  });
});

describe('process setup', () => {
  it('passes a cwd other than / as PWD unless the env has one', () => {
    expect(wasmEnvironment(['A=1'], '/work')).toEqual(['A=1', 'PWD=/work']);
    expect(wasmEnvironment(['PWD=/x'], '/work')).toEqual(['PWD=/x']);
    expect(wasmEnvironment(['A=1'], '/')).toEqual(['A=1']);
  });

  it('an inherited fd 3 moves out of the preopen slot and stays usable', async () => {
    const rootfs = makeRootfs(fs.mkdtempSync(path.join(os.tmpdir(), 'tssc-fd3-')));
    const sandbox = makeSandbox(rootfs);
    const [read, write] = makePipe(sandbox);
    // The module finds the preopen on 3 and writes to fd 4, where the inherited pipe end went.
    const result = await runWasm(sandbox, await compileFixture('fd4', 'wasm'), [], { extraFds: { 3: write } });
    expect(result.status).toEqual({ kind: 'exited', code: 0 });
    expect(result.stdout).toBe('preopen on 3: /\n');
    const buf = Buffer.alloc(64);
    expect(buf.toString('latin1', 0, read.read(buf))).toBe('to the inherited fd\n');
  });
});
