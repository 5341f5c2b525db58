// Finding a wasm program through the VFS: opened as execve opens any program (exec
// permission, noexec mounts), or, for the module a wasm bundle starts with, read as crun's
// and runwasi's wasm handlers read it; read whole, recognised by its magic.

import { E, fail } from '../../abi/errno.js';
import { O } from '../../abi/linux-fcntl.js';
import { S, type FileDescription, type FsContext, type Location, type Vfs } from '../../vfs/api.js';
import { readWholeProgram } from '../loader/program-file.js';
import { isWasmModule } from './module-cache.js';
import type { WasmProgram } from './process.js';

export interface LocatedWasmProgram extends WasmProgram {
  /** The module file, for /proc/PID/exe. */
  readonly location: Location;
}

/**
 * How the module file is opened: 'execve' for a module a process of the sandbox execs,
 * with execve's checks of any program (the execute bit, noexec mounts); 'bundle' for the
 * module a wasm bundle starts with, loaded as crun's and runwasi's wasm handlers load it:
 * a regular file the process may read.
 */
export type ModuleAccess = 'execve' | 'bundle';

function openModule(vfs: Vfs, ctx: FsContext, dir: Location | undefined, path: string, access: ModuleAccess): FileDescription {
  if (access === 'execve') return vfs.openExecutable(ctx, dir, path, 0);
  if ((vfs.stat(ctx, dir, path, 0).mode & S.IFMT) !== S.IFREG) fail(E.EACCES);
  return vfs.open(ctx, dir, path, O.RDONLY, 0);
}

/**
 * The wasm program at path, or undefined when the file is something else (an ELF, a
 * script): the Linux loader's business. Errors of the lookup itself are thrown (ENOENT,
 * EACCES, ENOEXEC on a noexec mount...).
 */
export function readWasmProgram(vfs: Vfs, ctx: FsContext, dir: Location | undefined, path: string, argv: readonly string[], envp: readonly string[], access: ModuleAccess = 'execve'): LocatedWasmProgram | undefined {
  const file = openModule(vfs, ctx, dir, path, access);
  try {
    const head = new Uint8Array(4);
    if (file.read(head, 0) < 4 || !isWasmModule(head)) return undefined;
    return { bytes: readWholeProgram(file), argv, envp, location: file.location };
  } finally {
    file.unref();
  }
}
