// /proc/PID/mem: the process's memory at file offset = address. Opening it asks for
// ptrace access to the process (the sentry's rule, through ProcessView.memory); a read or
// write of an unmapped address is EIO, as on Linux; writes reach read-only pages too.

import { E, fail } from '../../abi/errno.js';
import type { FileImpl, ProcessMemory, ProcessView } from '../api.js';
import { SynthNode, type Owner, type SynthFs } from '../synthetic/nodes.js';

export class MemFile extends SynthNode {
  constructor(
    fs: SynthFs,
    private readonly view: () => ProcessView,
    owner: () => Owner,
  ) {
    super(fs, 0o100600, owner);
  }

  protected override acceptsWrites(): boolean {
    return true;
  }

  open(): FileImpl {
    const memory = this.view().memory?.();
    if (!memory) fail(E.EACCES);
    return memoryFile(memory);
  }
}

function memoryFile(memory: ProcessMemory): FileImpl {
  const moved = (n: number): number => (n > 0 ? n : fail(E.EIO));
  return {
    seekable: true,
    read: (buf, position) => (buf.length === 0 ? 0 : moved(memory.read(BigInt(position), buf))),
    write: (buf, position) => (buf.length === 0 ? 0 : moved(memory.write(BigInt(position), buf))),
  };
}
