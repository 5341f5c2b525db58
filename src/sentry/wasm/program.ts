// Finding a wasm program through the VFS, as execve finds any program: opened with exec
// permission checks (noexec mounts, mode bits), read whole, recognised by its magic.

import { E, fail } from '../../abi/errno.js';
import type { FileDescription, FsContext, Location, Vfs } from '../../vfs/api.js';
import { isWasmModule } from './module-cache.js';
import type { WasmProgram } from './process.js';

/** Wasm modules above this size are refused (ENOMEM), as an oversized ELF is. */
const MAX_MODULE_BYTES = 1 << 30;

export interface LocatedWasmProgram extends WasmProgram {
  /** The module file, for /proc/PID/exe. */
  readonly location: Location;
}

function readAll(file: FileDescription): Uint8Array {
  const size = file.stat().size;
  if (size > MAX_MODULE_BYTES) fail(E.ENOMEM);
  const bytes = new Uint8Array(size);
  let done = 0;
  while (done < size) {
    const n = file.read(bytes.subarray(done), done);
    if (n <= 0) break;
    done += n;
  }
  return bytes.subarray(0, done);
}

/**
 * The wasm program at path, or undefined when the file is something else (an ELF, a
 * script): the Linux loader's business. Errors of the lookup itself are thrown (ENOENT,
 * EACCES, ENOEXEC on a noexec mount...).
 */
export function readWasmProgram(vfs: Vfs, ctx: FsContext, dir: Location | undefined, path: string, argv: readonly string[], envp: readonly string[]): LocatedWasmProgram | undefined {
  const file = vfs.openExecutable(ctx, dir, path, 0);
  try {
    const head = new Uint8Array(4);
    if (file.read(head, 0) < 4 || !isWasmModule(head)) return undefined;
    return { bytes: readAll(file), argv, envp, location: file.location };
  } finally {
    file.unref();
  }
}
