// The ELF loader's pure parts: header parsing, `#!` resolution through the VFS, and the
// initial stack layout.
import { readFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync, copyFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { E } from '../../src/abi/errno.js';
import { parseElf, loadSpan, phdrAddress, PT } from '../../src/sentry/loader/elf.js';
import { prepareProgram } from '../../src/sentry/loader/image.js';
import { AT, buildStack, findAuxv } from '../../src/sentry/loader/stack.js';
import { createVfs, Registry, type FsContext, type SandboxProviders } from '../../src/vfs/index.js';
import { errnoOf } from './errno-of.js';

/** A minimal valid ELF64 header with one PT_LOAD, for mutation. */
function tinyElf(): Uint8Array {
  const bytes = new Uint8Array(0x1000);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, 62, true); // x86-64
  view.setBigUint64(24, 0x401000n, true);
  view.setBigUint64(32, 64n, true);
  view.setUint16(54, 56, true);
  view.setUint16(56, 1, true);
  view.setUint32(64, PT.LOAD, true);
  view.setUint32(68, 5, true);
  view.setBigUint64(64 + 16, 0x400000n, true);
  view.setBigUint64(64 + 32, 0x1000n, true);
  view.setBigUint64(64 + 40, 0x2000n, true);
  return bytes;
}

describe('ELF parsing', () => {
  it.skipIf(!existsSync('/bin/busybox'))('reads the static busybox', () => {
    const elf = parseElf(readFileSync('/bin/busybox'));
    expect(elf.dynamic).toBe(false);
    expect(elf.interpreter).toBeUndefined();
    expect(loadSpan(elf).start).toBe(0x400000);
    expect(phdrAddress(elf)).toBe(0x400040);
  });

  it('accepts a minimal executable', () => {
    const elf = parseElf(tinyElf());
    expect(elf.entry).toBe(0x401000);
    expect(loadSpan(elf)).toEqual({ start: 0x400000, end: 0x402000 });
  });

  it('answers ENOEXEC for what is not a loadable x86-64 ELF', () => {
    expect(errnoOf(() => parseElf(Buffer.from('#!/bin/sh\n')))).toBe(E.ENOEXEC);
    const i386 = tinyElf();
    i386[4] = 1;
    expect(errnoOf(() => parseElf(i386))).toBe(E.ENOEXEC);
    const arm = tinyElf();
    new DataView(arm.buffer).setUint16(18, 183, true);
    expect(errnoOf(() => parseElf(arm))).toBe(E.ENOEXEC);
    const truncatedSegment = tinyElf();
    new DataView(truncatedSegment.buffer).setBigUint64(64 + 32, 0x100000n, true);
    expect(errnoOf(() => parseElf(truncatedSegment))).toBe(E.ENOEXEC);
    const noHeaders = tinyElf();
    new DataView(noHeaders.buffer).setUint16(56, 0, true);
    expect(errnoOf(() => parseElf(noHeaders))).toBe(E.ENOEXEC);
  });
});

describe('the initial stack', () => {
  it('lays out argc, argv, envp and auxv as the kernel does', () => {
    const top = 0x7fff_0000_0000n;
    const stack = buildStack({
      top,
      argv: ['/bin/sh', '-c', 'echo hi'],
      envp: ['PATH=/bin', 'HOME=/root'],
      execfn: '/bin/sh',
      auxv: [[AT.PAGESZ, 4096n], [AT.ENTRY, 0x401000n]],
      random: new Uint8Array(16).fill(7),
    });
    expect(stack.sp % 16n).toBe(0n);
    expect(stack.sp + BigInt(stack.bytes.length)).toBe(top);
    const at = (addr: bigint): number => Number(addr - stack.sp);
    const cstring = (addr: bigint): string => {
      const start = at(addr);
      return stack.bytes.subarray(start, stack.bytes.indexOf(0, start)).toString('latin1');
    };
    expect(stack.bytes.readBigUInt64LE(0)).toBe(3n);
    const argv = [1, 2, 3].map((i) => cstring(stack.bytes.readBigUInt64LE(i * 8)));
    expect(argv).toEqual(['/bin/sh', '-c', 'echo hi']);
    expect(stack.bytes.readBigUInt64LE(32)).toBe(0n);
    expect(cstring(stack.bytes.readBigUInt64LE(40))).toBe('PATH=/bin');
    expect(findAuxv(stack.bytes, AT.ENTRY)).toBe(0x401000n);
    expect(cstring(findAuxv(stack.bytes, AT.EXECFN)!)).toBe('/bin/sh');
    const random = findAuxv(stack.bytes, AT.RANDOM)!;
    expect([...stack.bytes.subarray(at(random), at(random) + 16)]).toEqual(new Array(16).fill(7));
  });
});

describe.skipIf(!existsSync('/bin/busybox'))('finding the program through the VFS', () => {
  const bundle = mkdtempSync(path.join(tmpdir(), 'tssc-loader-'));
  afterAll(() => rmSync(bundle, { recursive: true, force: true }));
  const rootfs = path.join(bundle, 'rootfs');
  mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  copyFileSync('/bin/busybox', path.join(rootfs, 'bin', 'busybox'));
  chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  writeFileSync(path.join(rootfs, 'script'), '#!/bin/busybox  sh  -e \necho hi\n', { mode: 0o755 });
  writeFileSync(path.join(rootfs, 'loop1'), '#!/loop2\n', { mode: 0o755 });
  writeFileSync(path.join(rootfs, 'loop2'), '#!/loop1\n', { mode: 0o755 });
  writeFileSync(path.join(rootfs, 'plain'), 'just text\n', { mode: 0o755 });
  writeFileSync(path.join(rootfs, 'noexec'), '#!/bin/busybox sh\n', { mode: 0o644 });
  const providers: SandboxProviders = {
    hostname: () => 'h', domainname: () => '', currentPid: () => 1, currentTid: () => 1, processes: () => [1], process: () => undefined, uptime: () => 0,
  };
  const vfs = createVfs({ spec: { root: { path: 'rootfs' } }, bundleDir: bundle, registry: new Registry(), providers });
  const ctx: FsContext = { root: vfs.root, cwd: vfs.root, umask: 0o22, creds: { uid: 0, gid: 0, groups: [], caps: 0n } };
  /** Where the stub's code is in a task (no segment may be loaded over it). */
  const STUB = { start: 0x7e0000000000, end: 0x7e0000002000 };

  it('follows `#!` with its one argument, then the script path and the arguments', () => {
    const program = prepareProgram(vfs, ctx, undefined, '/script', ['script', 'a1'], ['X=1'], STUB);
    expect(program.argv).toEqual(['/bin/busybox', 'sh  -e', '/script', 'a1']);
    expect(program.elf.dynamic).toBe(false);
  });

  it('answers ELOOP, ENOEXEC, EACCES and ENOENT', () => {
    expect(errnoOf(() => prepareProgram(vfs, ctx, undefined, '/loop1', ['x'], [], STUB))).toBe(E.ELOOP);
    expect(errnoOf(() => prepareProgram(vfs, ctx, undefined, '/plain', ['x'], [], STUB))).toBe(E.ENOEXEC);
    expect(errnoOf(() => prepareProgram(vfs, ctx, undefined, '/noexec', ['x'], [], STUB))).toBe(E.EACCES);
    expect(errnoOf(() => prepareProgram(vfs, ctx, undefined, '/missing', ['x'], [], STUB))).toBe(E.ENOENT);
  });
});
