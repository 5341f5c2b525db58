// The program break (brk(2)), as Linux keeps it. The host kernel's own break belongs to
// the stub every sandboxed execve really runs (and moving it elsewhere needs privilege),
// so the sentry keeps one per address space: a heap that starts past the program's end
// (a random distance past it, as the kernel places it, unless randomization is off) and
// grows and shrinks by anonymous memory of the task's host process. A trapped brk that
// moves the break across a page is rewritten into the mmap (MAP_FIXED_NOREPLACE, so it
// never replaces another mapping) or munmap that does it, and finishes at the syscall
// exit; RLIMIT_DATA is applied as Linux's check_data_rlimit applies it.

import { randomInt } from 'node:crypto';
import { MAP, PAGE_SIZE as PAGE, PROT } from '../../abi/linux-mman.js';
import { NR } from '../../abi/linux-syscalls.js';
import { readHostProc } from '../platform/host/host-proc.js';
import type { HostCall, SyscallResult } from './syscall.js';

/** x86-64's arch_randomize_brk: the break starts up to 1 GiB past the program. */
const RANDOM_RANGE_PAGES = (1 << 30) / 4096;
const ADDR_NO_RANDOMIZE = 0x0040000;

function pageUp(addr: bigint): bigint {
  return (addr + PAGE - 1n) & ~(PAGE - 1n);
}

/** Where a loaded program's data ends (LoadResult's), what its break starts after. */
export interface ProgramLayout {
  /** The end of its bss, page aligned. */
  readonly brk: bigint;
  /** The start of its last PT_LOAD segment and the end of the file-backed part of any. */
  readonly startData: bigint;
  readonly endData: bigint;
}

let hostRandomizesBrk: boolean | undefined;

/** Linux randomizes the break when randomize_va_space is 2 and the personality allows it. */
function randomizes(hostPid: number): boolean {
  hostRandomizesBrk ??= (readHostProc('sys/kernel/randomize_va_space') ?? '2').trim() === '2';
  if (!hostRandomizesBrk) return false;
  const personality = parseInt(readHostProc(`${hostPid}/personality`) ?? '0', 16);
  return (personality & ADDR_NO_RANDOMIZE) === 0;
}

export class ProgramBreak {
  /** A brk rewritten into a host call is between its seccomp stop and its syscall exit. */
  private moving = false;

  private constructor(
    /** start_brk: the lowest the break can go. */
    readonly start: bigint,
    /** brk: the break as the program last set it (not page aligned). */
    public current: bigint,
    readonly startData: bigint,
    readonly endData: bigint,
  ) {}

  /** The break of a freshly exec'd program (in the host process hostPid), placed as load_elf_binary places it. */
  static afterExec(layout: ProgramLayout, hostPid: number): ProgramBreak {
    let start = layout.brk;
    // A gap page past the bss, then up to 1 GiB at random.
    if (randomizes(hostPid)) start += PAGE + BigInt(randomInt(RANDOM_RANGE_PAGES)) * PAGE;
    return new ProgramBreak(start, start, layout.startData, layout.endData);
  }

  /** A fork's child has its own copy of the address space, break included. */
  copy(): ProgramBreak {
    return new ProgramBreak(this.start, this.current, this.startData, this.endData);
  }

  /**
   * brk(addr) with RLIMIT_DATA's soft limit dataLimit: the new break, or the old one when
   * it cannot move (addr 0 asks for it); a HostCall when the host process must map or
   * unmap pages first. grew is told of every byte the heap gains.
   */
  move(addr: bigint, dataLimit: bigint, grew: (bytes: bigint) => void): SyscallResult | HostCall {
    const old = this.current;
    if (addr < this.start || this.moving) return old;
    if (addr - this.start + (this.endData - this.startData) > dataLimit) return old;
    const oldEnd = pageUp(old);
    const newEnd = pageUp(addr);
    if (newEnd === oldEnd) {
      this.current = addr;
      return addr;
    }
    const growing = newEnd > oldEnd;
    this.moving = true;
    return {
      kind: 'host',
      nr: growing ? NR.mmap : NR.munmap,
      args: growing
        ? [oldEnd, newEnd - oldEnd, BigInt(PROT.READ | PROT.WRITE), BigInt(MAP.PRIVATE | MAP.ANONYMOUS | MAP.FIXED_NOREPLACE), -1n, 0n]
        : [newEnd, oldEnd - newEnd],
      complete: (result) => {
        this.moving = false;
        // mmap answers the address it mapped at, munmap 0; anything else (EEXIST: another
        // mapping is in the way, ENOMEM: the host's RLIMIT_DATA or AS; a call that could
        // not be made) leaves the break.
        if (result !== (growing ? oldEnd : 0n)) return old;
        this.current = addr;
        if (growing) grew(newEnd - oldEnd);
        return addr;
      },
    };
  }
}
