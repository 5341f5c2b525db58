// Where the stub (native/ptrace/src/stub.S) sits in a task that exec'd it: the address
// range of its code, which no program may be loaded over (the loader's calls run through
// its `syscall` instruction), that instruction, the int3 the sentry takes over at, and the
// exec page the stub leaves, sealed, right after its code (its layout below).

import { readFileSync } from 'node:fs';
import { loadSpan, parseElf } from '../../loader/elf.js';

/** Offsets from the stub's entry (stub.S's .org lines). */
const STUB_SYSCALL = 8n;
/** rip at the stub's first trap: just past the int3 at _start + 16. */
const STUB_FIRST_TRAP = 17n;
const PAGE = 4096;

/**
 * What the exec page holds (stub.S): argv, envp, the empty path, an int3 (argv[0] at
 * +40), and `syscall; int3`.
 */
export const EXEC_PAGE = { argv: 0n, envp: 8n, path: 24n, trap: 32n, syscall: 56n } as const;

export interface StubLayout {
  /** [start, end) of its loaded segments, page aligned (the loader unmaps them). */
  readonly start: number;
  readonly end: number;
  /** Where the stub puts its exec page (the page at end). */
  readonly execPage: bigint;
  /** What no program may be loaded over: the stub and its exec page. */
  readonly reserved: { start: number; end: number };
  /** Its `syscall` instruction. */
  readonly syscallInsn: bigint;
  /** rip at its first trap, where the sentry takes over. */
  readonly firstTrap: bigint;
}

const layouts = new Map<string, StubLayout>();

/** The layout of the stub at path (read once). */
export function stubLayout(path: string): StubLayout {
  let layout = layouts.get(path);
  if (!layout) {
    const elf = parseElf(readFileSync(path));
    const span = loadSpan(elf);
    const entry = BigInt(elf.entry);
    layout = {
      start: span.start,
      end: span.end,
      execPage: BigInt(span.end),
      reserved: { start: span.start, end: span.end + PAGE },
      syscallInsn: entry + STUB_SYSCALL,
      firstTrap: entry + STUB_FIRST_TRAP,
    };
    layouts.set(path, layout);
  }
  return layout;
}
