// Compiled wasm modules, keyed by the SHA-256 of the bytes that were compiled: running
// the same program again (a shell loop, a build step) skips V8's compilation.

import { createHash } from 'node:crypto';
import { E, fail } from '../../abi/errno.js';

/** The four bytes every wasm binary starts with. */
export const WASM_MAGIC = Uint8Array.of(0x00, 0x61, 0x73, 0x6d);

export function isWasmModule(head: Uint8Array): boolean {
  return head.length >= 4 && WASM_MAGIC.every((byte, i) => head[i] === byte);
}

const MAX_CACHED = 32;
const compiled = new Map<string, Promise<WebAssembly.Module>>();

/** The compiled module for bytes (shared by every process that runs the same bytes). */
export function compileCached(bytes: Uint8Array): Promise<WebAssembly.Module> {
  const key = createHash('sha256').update(bytes).digest('hex');
  const hit = compiled.get(key);
  if (hit) {
    // Map order is insertion order: re-inserting keeps the most recently used last.
    compiled.delete(key);
    compiled.set(key, hit);
    return hit;
  }
  const pending = WebAssembly.compile(bytes).catch((error: unknown) => {
    compiled.delete(key);
    fail(E.ENOEXEC, error instanceof Error ? error.message : String(error));
  });
  compiled.set(key, pending);
  if (compiled.size > MAX_CACHED) compiled.delete(compiled.keys().next().value!);
  return pending;
}
