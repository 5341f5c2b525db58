// The seccomp-bpf program the workload runs under, built from a syscall table's classes:
// pass-through calls run on the host kernel, refused calls get their errno from the filter,
// everything else stops for the sentry (SECCOMP_RET_TRACE). The filter never trusts the
// instruction pointer; it kills any other architecture (the i386 int 0x80 entry) and
// refuses the x32 numbers. Two calls are decided by an argument: mmap (anonymous
// mappings pass, file mappings stop) and futex (the PI operations stop, the rest pass).

import { FUTEX_CMD_MASK, PI_COMMANDS } from '../abi/linux-futex.js';
import type { SyscallTable } from './syscall.js';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;
const NR_MMAP = 9;
const NR_FUTEX = 202;
const MAP_ANONYMOUS = 0x20;
const ENOSYS = 38;

const RET = { KILL_PROCESS: 0x80000000, TRACE: 0x7ff00000, ERRNO: 0x00050000, ALLOW: 0x7fff0000 } as const;
const OP = { LD_W_ABS: 0x20, JA: 0x05, JEQ_K: 0x15, JGE_K: 0x35, JSET_K: 0x45, AND_K: 0x54, RET_K: 0x06 } as const;
/** Offsets into struct seccomp_data. */
const DATA = { nr: 0, arch: 4, arg0: 16 } as const;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

type Target = 'trace' | 'allow' | number; // a number is a refusing errno

/**
 * Encodes the filter as an array of struct sock_filter for the addon's spawn(). alsoTrap:
 * numbers that stop for the sentry whatever their class (the spec's seccomp profile
 * restricts them, and the sentry evaluates the profile at the stop).
 */
export function buildSeccompFilter(table: SyscallTable, alsoTrap: ReadonlySet<number> = new Set()): Uint8Array {
  const passthrough: number[] = [];
  const refused = new Map<number, number>();
  for (const entry of table.entries()) {
    if (entry.nr === NR_MMAP || entry.nr === NR_FUTEX) continue; // decided by an argument below
    if (entry.class === 'passthrough') passthrough.push(entry.nr);
    else if (entry.class === 'refused') refused.set(entry.nr, entry.errno ?? ENOSYS);
  }
  const errnos = [...new Set(refused.values())];
  const checks: { nr: number; target: Target }[] = [
    ...passthrough.map((nr) => ({ nr, target: 'allow' as const })),
    ...[...refused].map(([nr, errno]) => ({ nr, target: errno })),
  ];

  const ret = (k: number): Insn => ({ code: OP.RET_K, jt: 0, jf: 0, k });
  // mmap: anonymous mappings pass, file mappings stop for the sentry.
  const mmap: Insn[] = [
    { code: OP.LD_W_ABS, jt: 0, jf: 0, k: DATA.arg0 + 3 * 8 },
    { code: OP.JSET_K, jt: 0, jf: 1, k: MAP_ANONYMOUS },
    ret(RET.ALLOW),
    ret(RET.TRACE),
  ];
  // futex: the PI commands (op & FUTEX_CMD_MASK, op is an int) stop, every other passes.
  const futex: Insn[] = [
    { code: OP.LD_W_ABS, jt: 0, jf: 0, k: DATA.arg0 + 1 * 8 },
    { code: OP.AND_K, jt: 0, jf: 0, k: FUTEX_CMD_MASK >>> 0 },
    ...PI_COMMANDS.map((cmd, i) => ({ code: OP.JEQ_K, jt: PI_COMMANDS.length - i, jf: 0, k: cmd })),
    ret(RET.ALLOW),
    ret(RET.TRACE),
  ];
  // Layout: the header (architecture, x32, the calls trapped for the profile, the two calls
  // decided by an argument), one jeq per listed call with the number still loaded, then
  // the return slots.
  const head: Insn[] = [
    { code: OP.LD_W_ABS, jt: 0, jf: 0, k: DATA.arch },
    { code: OP.JEQ_K, jt: 1, jf: 0, k: AUDIT_ARCH_X86_64 },
    ret(RET.KILL_PROCESS),
    { code: OP.LD_W_ABS, jt: 0, jf: 0, k: DATA.nr },
    { code: OP.JGE_K, jt: 0, jf: 1, k: X32_SYSCALL_BIT },
    ret(RET.ERRNO | ENOSYS),
    ...[...alsoTrap].flatMap((nr) => [{ code: OP.JEQ_K, jt: 0, jf: 1, k: nr }, ret(RET.TRACE)]),
    { code: OP.JEQ_K, jt: 0, jf: mmap.length, k: NR_MMAP },
    ...mmap,
    { code: OP.JEQ_K, jt: 0, jf: futex.length, k: NR_FUTEX },
    ...futex,
  ];
  const slotOrder: Target[] = ['trace', 'allow', ...errnos];
  const slotsStart = head.length + checks.length;
  const slotIndex = (target: Target): number => slotsStart + slotOrder.indexOf(target);

  const program: Insn[] = [...head];
  for (const { nr, target } of checks) {
    const here = program.length;
    const jump = slotIndex(target) - here - 1;
    if (jump > 255) throw new Error('seccomp filter too long for 8-bit jumps');
    program.push({ code: OP.JEQ_K, jt: jump, jf: 0, k: nr });
  }
  for (const target of slotOrder) {
    const k = target === 'trace' ? RET.TRACE : target === 'allow' ? RET.ALLOW : RET.ERRNO | target;
    program.push({ code: OP.RET_K, jt: 0, jf: 0, k });
  }

  const out = new Uint8Array(program.length * 8);
  const view = new DataView(out.buffer);
  program.forEach((insn, i) => {
    view.setUint16(i * 8, insn.code, true);
    view.setUint8(i * 8 + 2, insn.jt);
    view.setUint8(i * 8 + 3, insn.jf);
    view.setUint32(i * 8 + 4, insn.k >>> 0, true);
  });
  return out;
}
