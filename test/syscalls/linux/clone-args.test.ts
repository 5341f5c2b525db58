// clone3's struct clone_args under hostile contents: whatever its fields hold, decoding it
// gives clone's arguments or an errno (SysError), never any other exception; and what it
// gives is what clone(2) would be asked.
import { describe, expect, it } from 'vitest';
import { SysError } from '../../../src/abi/errno.js';
import { CLONE } from '../../../src/abi/linux-clone.js';
import { readCloneArgs } from '../../../src/syscalls/linux/clone-args.js';
import { fakeTask, makeVfs } from './harness.js';

const FIELDS = [0n, 1n, 17n, 64n, 65n, 0xffn, 0x100n, 2n ** 31n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n, CLONE.PIDFD, CLONE.INTO_CGROUP, CLONE.CLEAR_SIGHAND, CLONE.NEWTIME, 0x7ffffffff000n];

describe('clone3 struct clone_args', () => {
  it('decodes a version 0 struct into clone\'s arguments', () => {
    const task = fakeTask(makeVfs().vfs);
    const args = Buffer.alloc(64);
    args.writeBigUInt64LE(CLONE.PIDFD | CLONE.PARENT_SETTID, 0);
    args.writeBigUInt64LE(0x1000n, 8);
    args.writeBigUInt64LE(0x2000n, 24);
    args.writeBigUInt64LE(17n, 32);
    args.writeBigUInt64LE(0x10000n, 40);
    args.writeBigUInt64LE(0x4000n, 48);
    expect(readCloneArgs(task, task.mem.put(args), 64n)).toEqual({ flags: CLONE.PIDFD | CLONE.PARENT_SETTID | 17n, pidfd: 0x1000n, childTid: 0n, parentTid: 0x2000n, stack: 0x14000n, tls: 0n });
  });

  it('answers any contents with clone\'s arguments or an errno', () => {
    const task = fakeTask(makeVfs().vfs);
    let seed = 7;
    const next = (): bigint => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return FIELDS[seed % FIELDS.length]!;
    };
    for (let i = 0; i < 2000; i++) {
      const args = Buffer.alloc(96);
      for (let field = 0; field < 12; field++) args.writeBigUInt64LE(next(), field * 8);
      const size = [64n, 80n, 88n, 96n, 63n, 4097n, 2n ** 64n - 1n][i % 7]!;
      try {
        const decoded = readCloneArgs(task, task.mem.put(args), size);
        expect(decoded.flags & ~(0xffffffffn | CLONE.CLEAR_SIGHAND)).toBe(0n);
      } catch (error) {
        expect(error).toBeInstanceOf(SysError);
      }
    }
  });
});
