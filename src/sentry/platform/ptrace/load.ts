// The second half of execve, in the freshly exec'd stub stopped at its first int3: map
// the program (and its interpreter) by injected mmaps, copy the segments in, set their
// protections, build the initial stack and point the registers at the entry. Mirrors
// Linux's load_elf_binary; the stub keeps only its vDSO.

import { randomBytes } from 'node:crypto';
import { E, fail } from '../../../abi/errno.js';
import { NR } from '../../../abi/linux-syscalls.js';
import { REG, type Tracer } from '../../../native/ptrace.js';
import { Injector } from './injector.js';
import { loadSpan, pageDown, pageUp, PF, phdrAddress, PT, type ElfImage } from '../../loader/elf.js';
import type { ProgramImage } from '../../loader/image.js';
import type { StubLayout } from './stub.js';
import { AT, buildStack, findAuxv } from '../../loader/stack.js';

const PROT = { NONE: 0, READ: 1, WRITE: 2, EXEC: 4 } as const;
const MAP = { PRIVATE: 0x02, FIXED: 0x10, ANONYMOUS: 0x20, NORESERVE: 0x4000, STACK: 0x20000 } as const;
/** Where position-independent programs go, as Linux's ELF_ET_DYN_BASE puts them. */
const PIE_BASE = 0x555555554000;
/** The program's stack: a private writable mapping (the host counts it in RLIMIT_DATA, Linux's own stack not). */
export const STACK_SIZE = 8n << 20n;

/** The ids a program's auxiliary vector shows it (AT_UID and its kin). */
export interface ProgramIds {
  readonly ruid: number;
  readonly euid: number;
  readonly rgid: number;
  readonly egid: number;
}

export interface AddressRange {
  start: number;
  end: number;
}

/** Where a PT_LOAD segment's file pages went (its bss beyond them is anonymous memory). */
export interface LoadedSegment {
  start: bigint;
  end: bigint;
  /** The file offset at start. */
  offset: bigint;
  /** Of the interpreter rather than the program. */
  interpreter: boolean;
}

export interface LoadResult {
  /** The end of its bss, page aligned (where its program break goes). */
  brk: bigint;
  /** start_data and end_data as Linux's load_elf_binary sets them (for RLIMIT_DATA). */
  startData: bigint;
  endData: bigint;
  segments: LoadedSegment[];
  /** The stub's sealed exec page, when the kernel could seal it (stub-exec.ts). */
  execPage: bigint | undefined;
  /** The auxiliary vector the program starts with. */
  auxv: Buffer;
}

/** The file pages of image's PT_LOAD segments, mapped at bias. */
function segmentsOf(image: ElfImage, bias: number, interpreter: boolean): LoadedSegment[] {
  return image.phdrs
    .filter((p) => p.type === PT.LOAD && p.filesz > 0)
    .map((seg) => ({
      start: BigInt(pageDown(bias + seg.vaddr)),
      end: BigInt(pageUp(bias + seg.vaddr + seg.filesz)),
      offset: BigInt(pageDown(seg.offset)),
      interpreter,
    }));
}

function protOf(flags: number): number {
  return (flags & PF.R ? PROT.READ : 0) | (flags & PF.W ? PROT.WRITE : 0) | (flags & PF.X ? PROT.EXEC : 0);
}

function writeMemory(tracer: Tracer, hostTid: number, addr: bigint, data: Uint8Array): void {
  if (data.length === 0) return;
  if (tracer.writeMem(hostTid, addr, data) !== data.length) fail(E.EFAULT);
}

/**
 * Where the loader maps image at a fixed address (MAP_FIXED): all of an ET_EXEC, a
 * position-independent program at PIE_BASE; preferredBase says which (an interpreter that
 * is position independent goes where the kernel finds room, next to nothing).
 */
function fixedRange(image: ElfImage, preferredBase: number | undefined): AddressRange | undefined {
  const span = loadSpan(image);
  if (!image.dynamic) return span;
  if (preferredBase !== undefined) return { start: preferredBase, end: preferredBase + span.end - span.start };
  return undefined;
}

/** The ranges a program and its interpreter are loaded at with MAP_FIXED. */
export function fixedRanges(elf: ElfImage, interpreter: ElfImage | undefined): AddressRange[] {
  return [fixedRange(elf, PIE_BASE), interpreter && fixedRange(interpreter, undefined)].filter((r): r is AddressRange => r !== undefined);
}

/** Maps image at bias (a fixed bias for ET_EXEC, a chosen one for ET_DYN); returns the bias. */
function mapImage(injector: Injector, tracer: Tracer, hostTid: number, image: ElfImage, preferredBase: number | undefined, stub: StubLayout): number {
  const span = loadSpan(image);
  const length = span.end - span.start;
  const fixed = fixedRange(image, preferredBase);
  // A MAP_FIXED over the stub's code would take away the instruction the calls run through.
  if (fixed && fixed.start < stub.reserved.end && stub.reserved.start < fixed.end) fail(E.ENOEXEC, 'a loadable segment overlaps the sandbox stub');
  let bias: number;
  if (fixed) {
    bias = fixed.start - span.start;
    injector.succeed(NR.mmap, fixed.start, length, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED, -1, 0);
  } else {
    const at = Number(injector.succeed(NR.mmap, 0, length, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS, -1, 0));
    bias = at - span.start;
  }
  const loads = image.phdrs.filter((p) => p.type === PT.LOAD);
  for (const seg of loads) {
    writeMemory(tracer, hostTid, BigInt(bias + seg.vaddr), image.bytes.subarray(seg.offset, seg.offset + seg.filesz));
  }
  // Holes between segments are not part of the program; then each segment gets its own protection.
  injector.succeed(NR.mprotect, bias + span.start, length, PROT.NONE);
  for (const seg of loads) {
    const start = pageDown(bias + seg.vaddr);
    injector.succeed(NR.mprotect, start, pageUp(bias + seg.vaddr + seg.memsz) - start, protOf(seg.flags));
  }
  return bias;
}

/**
 * Loads program into the stub task hostTid (stopped at the stub's int3) and leaves it
 * ready to resume at the program's entry. Any failure leaves the task unusable: the
 * caller kills it, as Linux kills a process whose exec failed past the point of no return.
 */
export function loadProgram(tracer: Tracer, hostTid: number, program: ProgramImage, callerCreds: ProgramIds, stub: StubLayout): LoadResult {
  const creds = program.credentials?.creds ?? callerCreds;
  if (tracer.getRegs(hostTid) !== 0) fail(E.ESRCH);
  const stubRegs = tracer.regs.slice();
  // At the int3 stop rip is just past the int3: on the stub's syscall instruction.
  if (stubRegs[REG.rip] !== stub.firstTrap) fail(E.EFAULT, 'the task is not at the stub\'s first trap');
  const injector = new Injector(tracer, hostTid, stubRegs, stub.syscallInsn);
  const stubStack = Buffer.alloc(1024);
  if (tracer.readMem(hostTid, stubRegs[REG.rsp]!, stubStack) <= 0) fail(E.EFAULT);
  const fromStub = (key: number): bigint | undefined => findAuxv(stubStack, key);

  const elf = program.elf;
  const bias = mapImage(injector, tracer, hostTid, elf, PIE_BASE, stub);
  const interpBias = program.interpreter ? mapImage(injector, tracer, hostTid, program.interpreter, undefined, stub) : 0;
  const programLoads = elf.phdrs.filter((p) => p.type === PT.LOAD);
  const end = Math.max(...programLoads.map((p) => bias + p.vaddr + p.memsz));

  const stackBase = injector.succeed(NR.mmap, 0, STACK_SIZE, PROT.READ | PROT.WRITE, MAP.PRIVATE | MAP.ANONYMOUS | MAP.STACK | MAP.NORESERVE, -1, 0);
  const auxv: [number, bigint][] = [];
  const copy = (key: number): void => {
    const value = fromStub(key);
    if (value !== undefined) auxv.push([key, value]);
  };
  copy(AT.SYSINFO_EHDR);
  copy(AT.MINSIGSTKSZ);
  copy(AT.HWCAP);
  auxv.push(
    [AT.PAGESZ, 4096n],
    [AT.CLKTCK, 100n],
    [AT.PHDR, BigInt(bias + phdrAddress(elf))],
    [AT.PHENT, 56n],
    [AT.PHNUM, BigInt(elf.phnum)],
    [AT.BASE, program.interpreter ? BigInt(interpBias + loadSpan(program.interpreter).start) : 0n],
    [AT.FLAGS, 0n],
    [AT.ENTRY, BigInt(bias + elf.entry)],
    [AT.UID, BigInt(creds.ruid)],
    [AT.EUID, BigInt(creds.euid)],
    [AT.GID, BigInt(creds.rgid)],
    [AT.EGID, BigInt(creds.egid)],
    [AT.SECURE, program.credentials?.secure ? 1n : 0n],
  );
  copy(AT.HWCAP2);
  const stack = buildStack({
    top: stackBase + STACK_SIZE,
    argv: program.argv,
    envp: program.envp,
    execfn: program.execfn,
    auxv,
    random: randomBytes(16),
  });
  if (stack.bytes.length > Number(STACK_SIZE) / 4) fail(E.E2BIG);
  writeMemory(tracer, hostTid, stack.sp, stack.bytes);

  // A page the stub could not seal is no use: the next exec makes its own (stub-exec.ts).
  const execPage = sealedExecPage(stubRegs, stub);
  if (execPage === undefined && stubRegs[REG.r12] === stub.execPage) injector.succeed(NR.munmap, stub.execPage, 4096);
  // The stub's code goes (the instruction last); its vDSO, (unused) stack and sealed exec page stay.
  injector.succeed(NR.munmap, stub.start, stub.end - stub.start);

  const regs = tracer.regs;
  regs.set(stubRegs);
  for (const r of [REG.r15, REG.r14, REG.r13, REG.r12, REG.rbp, REG.rbx, REG.r11, REG.r10, REG.r9, REG.r8, REG.rax, REG.rcx, REG.rdx, REG.rsi, REG.rdi]) {
    regs[r] = 0n;
  }
  regs[REG.orig_rax] = BigInt.asUintN(64, -1n);
  regs[REG.fs_base] = 0n;
  regs[REG.gs_base] = 0n;
  regs[REG.rsp] = stack.sp;
  const entry = program.interpreter ? interpBias + program.interpreter.entry : bias + elf.entry;
  regs[REG.rip] = BigInt(entry);
  if (tracer.setRegs(hostTid) !== 0) fail(E.ESRCH);
  const segments = [...segmentsOf(elf, bias, false), ...(program.interpreter ? segmentsOf(program.interpreter, interpBias, true) : [])];
  return {
    brk: BigInt(pageUp(end)),
    startData: BigInt(bias + Math.max(...programLoads.map((p) => p.vaddr))),
    endData: BigInt(bias + Math.max(...programLoads.map((p) => p.vaddr + p.filesz))),
    segments,
    execPage,
    auxv: stack.auxv,
  };
}

/** The stub's exec page, when it made and sealed it (r12 its address, r13 mseal's result). */
function sealedExecPage(stubRegs: BigUint64Array, stub: StubLayout): bigint | undefined {
  return stubRegs[REG.r12] === stub.execPage && stubRegs[REG.r13] === 0n ? stub.execPage : undefined;
}
