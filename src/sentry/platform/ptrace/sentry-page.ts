// A few pages of the sentry's own in a task's address space, for the calls the sentry
// makes the task run in its old program (the exec of the stub, a shared mapping's
// recvmsg/mmap/close, a filter of the workload's): the task's own seccomp-stopped call is
// replaced by the mmap that makes them, so they are a fresh private anonymous mapping no
// other process can share and nothing of the workload's ever held. They carry a `syscall`
// instruction the later calls run through (never one the workload could unmap, make
// non-executable or rewrite) and the data the host kernel reads for those calls, written
// by the sentry. Read-only to the workload; an optional writable part takes what the kernel
// writes back. The caller keeps every other task of the address space frozen meanwhile
// (freezer.ts): then only the sentry changes them.

import { E, fail } from '../../../abi/errno.js';
import type { Tracer } from '../../../native/ptrace.js';
import { hostMappings } from '../host/host-proc.js';
import { Injector } from './injector.js';

const NR = { mmap: 9, mprotect: 10, munmap: 11 } as const;
const PROT = { READ: 1, WRITE: 2, EXEC: 4 } as const;
const MAP = { PRIVATE: 0x02, ANONYMOUS: 0x20, FIXED_NOREPLACE: 0x100000 } as const;
const PAGE = 4096n;
/** `syscall; int3`: a call that returns where nothing steps on ends at the int3. */
const CODE = Uint8Array.of(0x0f, 0x05, 0xcc);
/** Where the data starts, after the code. */
const DATA_OFFSET = 16n;
/** The lowest and highest addresses a mapping of the task may take (mmap_min_addr, TASK_SIZE). */
const LOWEST = 0x10000n;
const HIGHEST = 0x7ffffffff000n;

export interface AddressRange {
  start: bigint;
  end: bigint;
}

export interface PageLayout {
  /** Bytes of data the host kernel only reads (pointers, strings, a filter program). */
  readOnly: number;
  /** Bytes the host kernel writes back (a received message). */
  writable?: number;
  /** A range the pages must stay out of (one a MAP_FIXED call of the workload's will map). */
  avoid?: AddressRange;
  /**
   * A `syscall` instruction nothing can change (the sealed exec page's, stub-exec.ts): the
   * pages then need none of their own, and are all writable (two calls fewer).
   */
  instruction?: bigint;
}

export class SentryPage {
  private constructor(
    private readonly tracer: Tracer,
    private readonly hostTid: number,
    /** Runs calls through the pages' syscall instruction (or the one the layout named). */
    readonly injector: Injector,
    readonly address: bigint,
    private readonly size: bigint,
    /** Where the data the kernel only reads goes. */
    readonly dataAddress: bigint,
    /** Where the writable part starts (the end when there is none). */
    readonly writableAddress: bigint,
    /** Whether the whole of it is writable (else the code and read-only data are not). */
    private readonly allWritable: boolean,
  ) {}

  /**
   * Maps the pages in the task hostTid, stopped at a seccomp stop with saved as its
   * registers (its call is used up by the mmap): fails with that mmap's errno, which the
   * task's own call can then return.
   */
  static open(tracer: Tracer, hostTid: number, saved: BigUint64Array, layout: PageLayout): SentryPage {
    const own = layout.instruction === undefined;
    const readOnlySize = pageUp((own ? DATA_OFFSET : 0n) + BigInt(layout.readOnly));
    const size = readOnlySize + pageUp(BigInt(layout.writable ?? 0));
    const injector = new Injector(tracer, hostTid, saved);
    const place = layout.avoid ? freePlace(hostTid, size, layout.avoid) : 0n;
    const flags = MAP.PRIVATE | MAP.ANONYMOUS | (layout.avoid ? MAP.FIXED_NOREPLACE : 0);
    let address: bigint;
    try {
      address = injector.succeed(NR.mmap, place, size, own ? PROT.READ | PROT.EXEC : PROT.READ | PROT.WRITE, flags, -1, 0);
    } catch (e) {
      injector.restore();
      throw e;
    }
    const data = own ? address + DATA_OFFSET : address;
    const page = new SentryPage(tracer, hostTid, injector, address, size, data, address + readOnlySize, !own);
    if (!own) {
      injector.useInstruction(layout.instruction!);
      return page;
    }
    try {
      page.poke(address, CODE);
      injector.useInstruction(address);
      if (size > readOnlySize) injector.succeed(NR.mprotect, page.writableAddress, size - readOnlySize, PROT.READ | PROT.WRITE);
      return page;
    } catch (e) {
      page.close();
      throw e;
    }
  }

  /** Writes into the pages (through /proc/PID/mem where they are read-only). */
  poke(address: bigint, data: Uint8Array): void {
    const written = this.allWritable ? this.tracer.writeMem(this.hostTid, address, data) : this.tracer.pokeMem(this.hostTid, address, data);
    if (written !== data.length) fail(E.EFAULT);
  }

  read(address: bigint, length: number): Buffer {
    const out = Buffer.alloc(length);
    if (this.tracer.readMem(this.hostTid, address, out) !== length) fail(E.EFAULT);
    return out;
  }

  /** Unmaps the pages (through the injector's instruction) and puts the task's registers back. */
  close(): void {
    try {
      if (this.injector.syscallInsn !== undefined) this.injector.call(NR.munmap, this.address, this.size);
    } catch {
      // The task died or was killed: its pages went with it.
    }
    this.injector.restore();
  }
}

function pageUp(n: bigint): bigint {
  return (n + PAGE - 1n) & ~(PAGE - 1n);
}

/**
 * The highest free place of size bytes in the task's address space outside avoid (the
 * other tasks of it are frozen: it cannot change before the mmap).
 */
function freePlace(hostTid: number, size: bigint, avoid: AddressRange): bigint {
  const mappings = hostMappings(hostTid)?.filter((m) => m.start < HIGHEST);
  if (!mappings) fail(E.ESRCH);
  let above = HIGHEST;
  for (let i = mappings.length - 1; i >= -1; i--) {
    const below = i >= 0 ? mappings[i]!.end : LOWEST;
    // The free gap [below, above): its top, or its top below avoid.
    for (const top of [above, above < avoid.start ? above : avoid.start]) {
      const start = top - size;
      if (start >= below && (start >= avoid.end || top <= avoid.start)) return start;
    }
    if (i >= 0) above = mappings[i]!.start;
  }
  fail(E.ENOMEM);
}
