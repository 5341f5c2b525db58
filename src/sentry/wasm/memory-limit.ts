// linux.resources.memory.limit for a wasm module: its memory section gets a maximum no
// larger than the limit, so memory.grow fails (malloc returns NULL, as under a cgroup
// limit without the OOM killer) instead of the sentry's process growing without bound.

import { E, fail } from '../../abi/errno.js';

export const WASM_PAGE_SIZE = 65536;
const MEMORY_SECTION = 5;
const HAS_MAX = 0x01;
const MEMORY64 = 0x04;

/** The module with every defined memory's maximum lowered to limitBytes; ENOMEM if its initial size exceeds it. */
export function limitModuleMemory(module: Uint8Array, limitBytes: number): Uint8Array {
  const limitPages = Math.floor(limitBytes / WASM_PAGE_SIZE);
  const out: Uint8Array[] = [module.subarray(0, 8)]; // magic and version
  let pos = 8;
  while (pos < module.length) {
    const id = module[pos]!;
    const size = readLeb(module, pos + 1);
    const start = size.next;
    const end = start + size.value;
    if (end > module.length) fail(E.ENOEXEC, 'truncated wasm section');
    if (id === MEMORY_SECTION) {
      const content = rewriteMemories(module.subarray(start, end), limitPages);
      out.push(Uint8Array.from([id, ...writeLeb(content.length), ...content]));
    } else {
      out.push(module.subarray(pos, end));
    }
    pos = end;
  }
  return Buffer.concat(out);
}

function rewriteMemories(section: Uint8Array, limitPages: number): number[] {
  const count = readLeb(section, 0);
  const out = [...writeLeb(count.value)];
  let pos = count.next;
  for (let i = 0; i < count.value; i++) {
    const flags = section[pos]!;
    if (flags & MEMORY64) fail(E.ENOEXEC, 'memory64 modules are not supported');
    const min = readLeb(section, pos + 1);
    pos = min.next;
    let max = 65536;
    if (flags & HAS_MAX) {
      const declared = readLeb(section, pos);
      max = declared.value;
      pos = declared.next;
    }
    if (min.value > limitPages) fail(E.ENOMEM, 'initial wasm memory exceeds the memory limit');
    out.push(flags | HAS_MAX, ...writeLeb(min.value), ...writeLeb(Math.min(max, limitPages)));
  }
  return out;
}

function readLeb(bytes: Uint8Array, pos: number): { value: number; next: number } {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length || shift > 28) fail(E.ENOEXEC, 'malformed wasm LEB128');
    const byte = bytes[pos++]!;
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return { value, next: pos };
    shift += 7;
  }
}

function writeLeb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}
