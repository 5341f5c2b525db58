// An int written to the caller's memory through a pointer argument: the answer of many
// ioctls (FIONREAD, TIOCGPGRP, ...).

import type { UserMemory } from '../../vfs/api.js';

export function writeInt32(memory: UserMemory, addr: bigint, value: number): void {
  const b = Buffer.alloc(4);
  b.writeInt32LE(value);
  memory.write(addr, b);
}
