// Finding a wasm program through the VFS, as execve finds any program: opened with exec
// permission checks (noexec mounts, mode bits), read whole, recognised by its magic.

import type { FsContext, Location, Vfs } from '../../vfs/api.js';
import { readWholeProgram } from '../program-file.js';
import { isWasmModule } from './module-cache.js';
import type { WasmProgram } from './process.js';

export interface LocatedWasmProgram extends WasmProgram {
  /** The module file, for /proc/PID/exe. */
  readonly location: Location;
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
    return { bytes: readWholeProgram(file), argv, envp, location: file.location };
  } finally {
    file.unref();
  }
}
