// The classic-BPF interpreter answers what the sentry's own filter answers, so a call
// trapped only for the profile gets what the filter would have done with it.
import { describe, expect, it } from 'vitest';
import { runSeccompFilter } from '../../src/sentry/kernel/bpf.js';
import { buildSeccompFilter } from '../../src/sentry/platform/seccomp-filter.js';
import { linuxX86_64Table } from '../../src/syscalls/linux/table.js';

const X86_64 = 0xc000003e;
const RET = { ALLOW: 0x7fff0000, TRACE: 0x7ff00000, KILL_PROCESS: 0x80000000, ERRNO: 0x00050000 };
const call = (nr: number, ...args: bigint[]) => ({ nr, arch: X86_64, instructionPointer: 0n, args: [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6) });

describe('seccomp filter, interpreted', () => {
  const filter = buildSeccompFilter(linuxX86_64Table);
  const trapping = buildSeccompFilter(linuxX86_64Table, new Set([10, 9]));

  it('gives each class its answer', () => {
    expect(runSeccompFilter(filter, call(10))).toBe(RET.ALLOW); // mprotect passes
    expect(runSeccompFilter(filter, call(110))).toBe(RET.TRACE); // getppid stops
    expect(runSeccompFilter(filter, call(246))).toBe(RET.ERRNO | 1); // kexec_load: EPERM
    expect(runSeccompFilter(filter, call(9, 0n, 4096n, 3n, 0x22n))).toBe(RET.ALLOW); // anonymous mmap
    expect(runSeccompFilter(filter, call(9, 0n, 4096n, 3n, 0x02n, 3n))).toBe(RET.TRACE); // file mmap
    expect(runSeccompFilter(filter, { ...call(110), arch: 0x40000003 })).toBe(RET.KILL_PROCESS); // i386
    expect(runSeccompFilter(filter, call(0x40000000 + 39))).toBe(RET.ERRNO | 38); // x32
  });

  it('stops the numbers it is asked to trap, whatever their class', () => {
    expect(runSeccompFilter(trapping, call(10))).toBe(RET.TRACE);
    expect(runSeccompFilter(trapping, call(9, 0n, 4096n, 3n, 0x22n))).toBe(RET.TRACE);
    expect(runSeccompFilter(trapping, call(11))).toBe(RET.ALLOW); // munmap still passes
  });
});
