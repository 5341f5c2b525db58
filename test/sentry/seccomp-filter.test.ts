// The seccomp program run by a small classic-BPF interpreter over struct seccomp_data:
// what it answers for the calls it decides by an argument (mmap, futex) and for the rest.
import { describe, expect, it } from 'vitest';
import { buildSeccompFilter } from '../../src/sentry/platform/seccomp-filter.js';
import { linuxX86_64Table } from '../../src/syscalls/linux/table.js';
import { RET, runFilter } from './cbpf.js';

const NR = { getpid: 39, mmap: 9, futex: 202, bpf: 321 } as const;
const FUTEX = { WAIT: 0, WAKE: 1, WAKE_OP: 5, LOCK_PI: 6, UNLOCK_PI: 7, TRYLOCK_PI: 8, WAIT_BITSET: 9, WAIT_REQUEUE_PI: 11, CMP_REQUEUE_PI: 12, LOCK_PI2: 13 } as const;
const PRIVATE = 128;
const CLOCK_REALTIME = 256;

const program = buildSeccompFilter(linuxX86_64Table);
const run = (nr: number, args: readonly number[] = [], arch?: number): number => runFilter(program, nr, args, arch);

describe('the seccomp filter', () => {
  it('lets every futex operation but the PI ones run on the host', () => {
    for (const op of [FUTEX.WAIT, FUTEX.WAKE, FUTEX.WAKE_OP, FUTEX.WAIT_BITSET]) {
      expect(run(NR.futex, [0x1000, op | PRIVATE])).toBe(RET.ALLOW);
      expect(run(NR.futex, [0x1000, op | PRIVATE | CLOCK_REALTIME])).toBe(RET.ALLOW);
    }
  });

  it('stops every PI futex operation, private, shared or with a clock flag', () => {
    for (const op of [FUTEX.LOCK_PI, FUTEX.UNLOCK_PI, FUTEX.TRYLOCK_PI, FUTEX.WAIT_REQUEUE_PI, FUTEX.CMP_REQUEUE_PI, FUTEX.LOCK_PI2]) {
      for (const flags of [0, PRIVATE, CLOCK_REALTIME, PRIVATE | CLOCK_REALTIME]) {
        expect(run(NR.futex, [0x1000, op | flags]), `op ${op | flags}`).toBe(RET.TRACE);
      }
    }
    // The op is an int: high bits of the register do not hide a PI command.
    expect(run(NR.futex, [0x1000, 2 ** 40 + FUTEX.LOCK_PI])).toBe(RET.TRACE);
  });

  it('decides mmap by its flags and the other calls by their class', () => {
    expect(run(NR.mmap, [0, 4096, 3, 0x22, -1, 0])).toBe(RET.ALLOW);
    expect(run(NR.mmap, [0, 4096, 3, 0x02, 3, 0])).toBe(RET.TRACE);
    expect(run(NR.getpid)).toBe(RET.TRACE);
    expect(run(NR.bpf)).toBe(RET.ERRNO | 1);
    expect(run(NR.futex, [0, 0], 0x40000003)).toBe(RET.KILL_PROCESS);
    expect(run(0x40000000 | NR.getpid)).toBe(RET.ERRNO | 38);
  });
});
