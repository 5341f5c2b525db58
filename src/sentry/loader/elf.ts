// Parsing the ELF headers the loader needs (x86-64, little endian, ET_EXEC/ET_DYN).
// A malformed file is ENOEXEC, as Linux's binfmt_elf answers.

import { E, fail } from '../../abi/errno.js';

export const PT = { LOAD: 1, INTERP: 3, PHDR: 6, GNU_STACK: 0x6474e551 } as const;
export const PF = { X: 1, W: 2, R: 4 } as const;
const ET_EXEC = 2;
const ET_DYN = 3;
const EM_X86_64 = 62;
const PHDR_SIZE = 56;

export interface ProgramHeader {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

export interface ElfImage {
  /** ET_DYN images are position independent: the loader picks their base. */
  readonly dynamic: boolean;
  readonly entry: number;
  readonly phoff: number;
  readonly phnum: number;
  readonly phdrs: readonly ProgramHeader[];
  /** The PT_INTERP path, when the program needs an interpreter. */
  readonly interpreter: string | undefined;
  /** The file's bytes, kept to copy segments from. */
  readonly bytes: Uint8Array;
}

export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

export function parseElf(bytes: Uint8Array): ElfImage {
  if (!isElf(bytes) || bytes.length < 64) fail(E.ENOEXEC, 'not an ELF file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes[4] !== 2 || bytes[5] !== 1) fail(E.ENOEXEC, 'not a 64-bit little-endian ELF');
  const type = view.getUint16(16, true);
  if (type !== ET_EXEC && type !== ET_DYN) fail(E.ENOEXEC, 'not an executable ELF');
  if (view.getUint16(18, true) !== EM_X86_64) fail(E.ENOEXEC, 'not an x86-64 ELF');
  const entry = Number(view.getBigUint64(24, true));
  const phoff = Number(view.getBigUint64(32, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  if (phentsize !== PHDR_SIZE || phnum === 0 || phnum > 256 || phoff + phnum * PHDR_SIZE > bytes.length) {
    fail(E.ENOEXEC, 'bad program headers');
  }
  const phdrs: ProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PHDR_SIZE;
    phdrs.push({
      type: view.getUint32(at, true),
      flags: view.getUint32(at + 4, true),
      offset: Number(view.getBigUint64(at + 8, true)),
      vaddr: Number(view.getBigUint64(at + 16, true)),
      filesz: Number(view.getBigUint64(at + 32, true)),
      memsz: Number(view.getBigUint64(at + 40, true)),
    });
  }
  const loads = phdrs.filter((p) => p.type === PT.LOAD);
  if (loads.length === 0) fail(E.ENOEXEC, 'no loadable segment');
  for (const p of loads) {
    if (p.filesz > p.memsz || p.offset + p.filesz > bytes.length || p.vaddr + p.memsz > 2 ** 47) {
      fail(E.ENOEXEC, 'bad loadable segment');
    }
  }
  let interpreter: string | undefined;
  const interp = phdrs.find((p) => p.type === PT.INTERP);
  if (interp) {
    if (interp.filesz < 2 || interp.filesz > 4096 || interp.offset + interp.filesz > bytes.length) fail(E.ENOEXEC, 'bad PT_INTERP');
    const raw = bytes.subarray(interp.offset, interp.offset + interp.filesz);
    const nul = raw.indexOf(0);
    interpreter = Buffer.from(raw.subarray(0, nul < 0 ? raw.length : nul)).toString('latin1');
  }
  return { dynamic: type === ET_DYN, entry, phoff, phnum, phdrs, interpreter, bytes };
}

/** The address range [start, end) the PT_LOAD segments span, page aligned. */
export function loadSpan(image: ElfImage): { start: number; end: number } {
  const loads = image.phdrs.filter((p) => p.type === PT.LOAD);
  const start = Math.min(...loads.map((p) => pageDown(p.vaddr)));
  const end = Math.max(...loads.map((p) => pageUp(p.vaddr + p.memsz)));
  return { start, end };
}

/** Where the program headers are in memory (AT_PHDR) before relocation by the load bias. */
export function phdrAddress(image: ElfImage): number {
  const phdr = image.phdrs.find((p) => p.type === PT.PHDR);
  if (phdr) return phdr.vaddr;
  const seg = image.phdrs.find((p) => p.type === PT.LOAD && p.offset <= image.phoff && image.phoff < p.offset + p.filesz);
  return seg ? seg.vaddr + (image.phoff - seg.offset) : 0;
}

export const PAGE = 4096;
export function pageDown(n: number): number {
  return n - (n % PAGE);
}
export function pageUp(n: number): number {
  return pageDown(n + PAGE - 1);
}
