// Reading a program file whole, as execve does before it commits: the ELF loader and the
// wasm loader both take the whole image into memory, so both refuse the same sizes.

import { E, fail } from '../abi/errno.js';
import type { FileDescription } from '../vfs/api.js';

/** Program files above this size are refused with ENOMEM rather than read into memory. */
const MAX_PROGRAM_BYTES = 1 << 30;

/** The whole file's bytes (fewer if it shrank while being read). */
export function readWholeProgram(file: FileDescription): Uint8Array {
  const size = file.stat().size;
  if (size > MAX_PROGRAM_BYTES) fail(E.ENOMEM);
  const bytes = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const n = file.read(bytes.subarray(done), done);
    if (n <= 0) break;
    done += n;
  }
  return bytes.subarray(0, done);
}
