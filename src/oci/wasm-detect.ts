// Whether a bundle's process runs as a WASI module, decided as crun and runwasi decide:
// the annotations `run.oci.handler=wasm` and `module.wasm.image/variant=compat` ask for
// wasm outright; `module.wasm.image/variant=compat-smart` and unannotated bundles look
// at the program itself: `\0asm` is wasm, an ELF or a `#!` script is Linux.

import type { Spec } from './spec.js';
import type { FsContext, Vfs } from '../vfs/api.js';
import { isWasmModule } from '../sentry/wasm/module-cache.js';
import { O } from '../abi/linux-fcntl.js';

export const WASM_HANDLER_ANNOTATION = 'run.oci.handler';
export const WASM_VARIANT_ANNOTATION = 'module.wasm.image/variant';

/** The bundle's annotations ask for a wasm runtime whatever the program looks like. */
export function annotatedAsWasm(spec: Pick<Spec, 'annotations'>): boolean {
  const annotations = spec.annotations ?? {};
  return annotations[WASM_HANDLER_ANNOTATION] === 'wasm' || annotations[WASM_VARIANT_ANNOTATION] === 'compat';
}

/** The program file (args[0] after the PATH lookup) starts with the wasm magic. */
export function isWasmFile(vfs: Vfs, ctx: FsContext, program: string): boolean {
  let file;
  try {
    file = vfs.open(ctx, undefined, program, O.RDONLY, 0);
  } catch {
    // Missing or unreadable: the Linux path reports the error as execve would.
    return false;
  }
  try {
    const head = new Uint8Array(4);
    return file.read(head, 0) === 4 && isWasmModule(head);
  } catch {
    return false;
  } finally {
    file.unref();
  }
}

/** Whether the bundle's process runs through the WASI layer (WasmSandbox) rather than the Linux one. */
export function runsAsWasm(spec: Pick<Spec, 'annotations'>, vfs: Vfs, ctx: FsContext, program: string): boolean {
  return annotatedAsWasm(spec) || isWasmFile(vfs, ctx, program);
}
