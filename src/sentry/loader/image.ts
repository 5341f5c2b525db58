// What execve needs before the point of no return: the program found through the VFS,
// `#!` interpreters resolved, the ELF (and its PT_INTERP) read and checked. Every error
// here is the errno execve returns while the old program still runs.

import { E, fail } from '../../abi/errno.js';
import type { FsContext, Location, Vfs } from '../../vfs/api.js';
import { readWholeProgram } from './program-file.js';
import { isElf, parseElf, type ElfImage } from './elf.js';
import { fixedRanges, type AddressRange, type ProgramIds } from '../platform/ptrace/load.js';

const MAX_INTERPRETER_DEPTH = 4; // Linux's BINPRM_MAX_RECURSION
const SHEBANG_LINE_MAX = 256; // BINPRM_BUF_SIZE

/** The identity a program runs with, as far as its start shows it (auxv: AT_UID and kin, AT_SECURE). */
export interface ImageIdentity {
  readonly creds: ProgramIds;
  readonly secure: boolean;
}

/** A program ready to start; Identity: what the kernel keeps of the identity it runs with. */
export interface ProgramImage<Identity extends ImageIdentity = ImageIdentity> {
  readonly elf: ElfImage;
  readonly interpreter: ElfImage | undefined;
  readonly argv: readonly string[];
  readonly envp: readonly string[];
  /** The path execve was given (AT_EXECFN), after `#!` rewriting the script's path. */
  readonly execfn: string;
  /** The program file, for /proc/PID/exe. */
  readonly location: Location;
  /** The interpreter's file, for /proc/PID/maps. */
  readonly interpreterLocation?: Location | undefined;
  /** The identity the program runs with (kernel/exec-credentials.ts); absent: the caller's. */
  readonly credentials?: Identity | undefined;
}

function openAndRead(vfs: Vfs, ctx: FsContext, dir: Location | undefined, path: string): { bytes: Uint8Array; location: Location } {
  const file = vfs.openExecutable(ctx, dir, path, 0);
  try {
    return { bytes: readWholeProgram(file), location: file.location };
  } finally {
    file.unref();
  }
}

/** Splits a `#!` line as Linux does: the interpreter, then at most one argument (the rest). */
function parseShebang(bytes: Uint8Array): { interpreter: string; argument: string | undefined } {
  const head = Buffer.from(bytes.subarray(2, SHEBANG_LINE_MAX)).toString('latin1');
  const end = head.indexOf('\n');
  const line = (end < 0 ? head : head.slice(0, end)).replace(/[ \t]+$/, '').replace(/^[ \t]+/, '');
  if (line === '') fail(E.ENOEXEC);
  const split = line.search(/[ \t]/);
  if (split < 0) return { interpreter: line, argument: undefined };
  const argument = line.slice(split).replace(/^[ \t]+/, '');
  return { interpreter: line.slice(0, split), argument: argument === '' ? undefined : argument };
}

/**
 * The program execve of path would run. reserved: where the stub's code sits, which no
 * segment may be loaded over (ENOEXEC, before the point of no return).
 */
export function prepareProgram(
  vfs: Vfs,
  ctx: FsContext,
  dir: Location | undefined,
  path: string,
  argv: readonly string[],
  envp: readonly string[],
  reserved: AddressRange,
  depth = 0,
): ProgramImage {
  if (depth > MAX_INTERPRETER_DEPTH) fail(E.ELOOP);
  const { bytes, location } = openAndRead(vfs, ctx, dir, path);
  if (bytes.length >= 2 && bytes[0] === 0x23 && bytes[1] === 0x21) {
    const { interpreter, argument } = parseShebang(bytes);
    const newArgv = [interpreter, ...(argument === undefined ? [] : [argument]), path, ...argv.slice(1)];
    return prepareProgram(vfs, ctx, undefined, interpreter, newArgv, envp, reserved, depth + 1);
  }
  if (!isElf(bytes)) fail(E.ENOEXEC);
  const elf = parseElf(bytes);
  let interpreter: ElfImage | undefined;
  let interpreterLocation: Location | undefined;
  if (elf.interpreter !== undefined) {
    const interp = openAndRead(vfs, ctx, undefined, elf.interpreter);
    interpreter = parseElf(interp.bytes);
    interpreterLocation = interp.location;
    if (interpreter.interpreter !== undefined) fail(E.ELIBBAD);
  }
  if (fixedRanges(elf, interpreter).some((r) => r.start < reserved.end && reserved.start < r.end)) {
    fail(E.ENOEXEC, 'a loadable segment overlaps the sandbox stub');
  }
  return { elf, interpreter, interpreterLocation, argv, envp, execfn: path, location };
}
