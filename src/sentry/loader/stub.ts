// Where the stub (native/ptrace/src/stub.S) sits in a task that exec'd it: the address
// range of its code, which no program may be loaded over (the loader's calls run through
// its `syscall` instruction), and that instruction, right after the int3 at its entry.

import { readFileSync } from 'node:fs';
import { loadSpan, parseElf } from './elf.js';

export interface StubLayout {
  /** [start, end) of its loaded segments, page aligned. */
  readonly start: number;
  readonly end: number;
  /** Its `syscall` instruction: where rip is at its first trap. */
  readonly syscallInsn: bigint;
}

const layouts = new Map<string, StubLayout>();

/** The layout of the stub at path (read once). */
export function stubLayout(path: string): StubLayout {
  let layout = layouts.get(path);
  if (!layout) {
    const elf = parseElf(readFileSync(path));
    const span = loadSpan(elf);
    layout = { start: span.start, end: span.end, syscallInsn: BigInt(elf.entry) + 1n };
    layouts.set(path, layout);
  }
  return layout;
}
