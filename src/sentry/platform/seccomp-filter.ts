// The seccomp-bpf program the workload runs under, compiled from the filter rules of a
// syscall table's rows: 'pass' runs on the host kernel, { refuse } gets its errno from the
// filter, 'trap' stops for the sentry (SECCOMP_RET_TRACE), and an ArgumentRule is decided
// by one argument. The filter never trusts the instruction pointer; it kills any other
// architecture (the i386 int 0x80 entry). Numbers without a row, the x32 numbers (bit 30)
// and high-bit numbers included, are ENOSYS.
//
// The numbers are searched as a binary tree over ranges of numbers with the same rule,
// so every call costs about 2 log2(ranges) instructions, whatever its place in the table.

import { E } from '../../abi/errno.js';
import { AUDIT_ARCH_X86_64 } from '../../abi/linux-syscalls.js';

/**
 * What the seccomp filter does with a call, without asking the sentry:
 * - 'trap': the task stops for the sentry (SECCOMP_RET_TRACE), which runs the row's
 *   handler, or answers -ENOSYS when the row has none;
 * - 'pass': the host kernel runs it, no stop (only calls about the task's own memory,
 *   signal state and scheduling, that name no path, fd, pid, tid or uid);
 * - { refuse: errno }: the filter answers -errno, no stop.
 */
export type FilterVerdict = 'trap' | 'pass' | { readonly refuse: number };

/** One case of an ArgumentRule: the argument matches it by value or by bits. */
export type ArgumentCase = { readonly then: FilterVerdict; readonly label: string } & (
  | { readonly oneOf: readonly number[] }
  | { readonly anyBit: number }
);

/**
 * A verdict decided by one argument, as data the filter builder compiles: the first case
 * the argument matches decides, else `otherwise`. The argument is one the kernel reads
 * as an int (mmap's flags, futex's op, madvise's advice, a clockid): only its low 32 bits
 * count, so only those are compared, and high bits cannot hide a value.
 */
export interface ArgumentRule {
  /** 0 to 5: rdi, rsi, rdx, r10, r8, r9. */
  readonly arg: number;
  /** The argument's name in the man page, for the docs. */
  readonly argName: string;
  /** Only these bits take part (futex's FUTEX_CMD_MASK). */
  readonly mask?: number;
  readonly cases: readonly ArgumentCase[];
  readonly otherwise: FilterVerdict;
}

/** The seccomp filter's rule for one syscall number. */
export type FilterRule = FilterVerdict | ArgumentRule;

/** The rows of a syscall table, as far as the filter reads them. */
export interface FilterRows {
  entries(): Iterable<{ readonly nr: number; readonly filter: FilterRule }>;
}

const RET = { KILL_PROCESS: 0x80000000, TRACE: 0x7ff00000, ERRNO: 0x00050000, ALLOW: 0x7fff0000 } as const;
const OP = { LD_W_ABS: 0x20, JA: 0x05, JEQ_K: 0x15, JGE_K: 0x35, JSET_K: 0x45, AND_K: 0x54, RET_K: 0x06 } as const;
/** Offsets into struct seccomp_data (the low word of an argument: x86-64 is little-endian). */
const DATA = { nr: 0, arch: 4, arg0: 16 } as const;
/** BPF_MAXINSNS. */
const MAX_INSNS = 4096;
const NO_ROW: FilterVerdict = { refuse: E.ENOSYS };

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** Numbers from..to (inclusive) share rule. */
interface Range {
  from: number;
  to: number;
  rule: FilterRule;
}

function insn(code: number, k: number, jt = 0, jf = 0): Insn {
  return { code, jt, jf, k };
}

function retOf(verdict: FilterVerdict): Insn {
  if (verdict === 'trap') return insn(OP.RET_K, RET.TRACE);
  if (verdict === 'pass') return insn(OP.RET_K, RET.ALLOW);
  if (!Number.isInteger(verdict.refuse) || verdict.refuse <= 0 || verdict.refuse > 0xfff) throw new Error(`seccomp filter: no errno ${verdict.refuse}`);
  return insn(OP.RET_K, RET.ERRNO | verdict.refuse);
}

function sameRule(a: FilterRule, b: FilterRule): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return 'refuse' in a && 'refuse' in b && a.refuse === b.refuse;
}

/** 0 .. 2^32-1 as ranges: consecutive numbers with the same simple verdict merge. */
function rangesOf(table: FilterRows, alsoTrap: ReadonlySet<number>): Range[] {
  const rules: FilterRule[] = [];
  for (const entry of table.entries()) rules[entry.nr] = entry.filter;
  for (const nr of alsoTrap) rules[nr] = 'trap';
  const ranges: Range[] = [];
  const add = (nr: number, rule: FilterRule): void => {
    const last = ranges[ranges.length - 1];
    if (last && last.to === nr - 1 && sameRule(last.rule, rule)) last.to = nr;
    else ranges.push({ from: nr, to: nr, rule });
  };
  for (let nr = 0; nr < rules.length; nr++) add(nr, rules[nr] ?? NO_ROW);
  const past = ranges[ranges.length - 1]!;
  if (sameRule(past.rule, NO_ROW)) past.to = 0xffffffff;
  else ranges.push({ from: rules.length, to: 0xffffffff, rule: NO_ROW });
  return ranges;
}

/** An argument rule: load the argument's low word, try the cases, return a verdict. */
function argumentBlock(rule: ArgumentRule): Insn[] {
  if (!Number.isInteger(rule.arg) || rule.arg < 0 || rule.arg > 5) throw new Error(`seccomp filter: no argument ${rule.arg}`);
  const verdicts: FilterVerdict[] = [];
  const slot = (v: FilterVerdict): number => {
    const found = verdicts.findIndex((seen) => sameRule(seen, v));
    if (found >= 0) return found;
    verdicts.push(v);
    return verdicts.length - 1;
  };
  // Tests with the index of the verdict slot they jump to when they match.
  const tests: { code: number; k: number; slot: number }[] = [];
  for (const c of rule.cases) {
    const target = slot(c.then);
    if ('oneOf' in c) for (const value of c.oneOf) tests.push({ code: OP.JEQ_K, k: value >>> 0, slot: target });
    else tests.push({ code: OP.JSET_K, k: c.anyBit >>> 0, slot: target });
  }
  const head = [insn(OP.LD_W_ABS, DATA.arg0 + 8 * rule.arg), ...(rule.mask === undefined ? [] : [insn(OP.AND_K, rule.mask >>> 0)])];
  // Layout: the tests, the `otherwise` return, then one return per verdict slot.
  const slotsStart = tests.length + 1;
  const body = tests.map((t, i) => {
    const jump = slotsStart + t.slot - i - 1;
    if (jump > 255) throw new Error('seccomp filter: an argument rule with too many cases');
    return insn(t.code, t.k, jump, 0);
  });
  return [...head, ...body, retOf(rule.otherwise), ...verdicts.map(retOf)];
}

function leaf(rule: FilterRule): Insn[] {
  return typeof rule === 'string' || 'refuse' in rule ? [retOf(rule)] : argumentBlock(rule);
}

/** A binary search of the loaded number over ranges[lo..hi]. */
function searchTree(ranges: readonly Range[], lo: number, hi: number): Insn[] {
  if (lo === hi) return leaf(ranges[lo]!.rule);
  const mid = (lo + hi + 1) >> 1;
  const below = searchTree(ranges, lo, mid - 1);
  const above = searchTree(ranges, mid, hi);
  const k = ranges[mid]!.from;
  // nr >= k goes above; a jump past `below` longer than 8 bits goes through a ja.
  if (below.length <= 255) return [insn(OP.JGE_K, k, below.length, 0), ...below, ...above];
  return [insn(OP.JGE_K, k, 0, 1), insn(OP.JA, below.length), ...below, ...above];
}

/**
 * Encodes the filter as an array of struct sock_filter for the addon's spawn(). alsoTrap:
 * numbers that stop for the sentry whatever their row says (the spec's seccomp profile
 * restricts them, and the sentry evaluates the profile at the stop).
 */
export function buildSeccompFilter(table: FilterRows, alsoTrap: ReadonlySet<number> = new Set()): Uint8Array {
  const ranges = rangesOf(table, alsoTrap);
  const program: Insn[] = [
    insn(OP.LD_W_ABS, DATA.arch),
    insn(OP.JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
    insn(OP.RET_K, RET.KILL_PROCESS),
    insn(OP.LD_W_ABS, DATA.nr),
    ...searchTree(ranges, 0, ranges.length - 1),
  ];
  if (program.length > MAX_INSNS) throw new Error(`seccomp filter: ${program.length} instructions, the kernel takes ${MAX_INSNS}`);
  const out = new Uint8Array(program.length * 8);
  const view = new DataView(out.buffer);
  program.forEach((ins, i) => {
    view.setUint16(i * 8, ins.code, true);
    view.setUint8(i * 8 + 2, ins.jt);
    view.setUint8(i * 8 + 3, ins.jf);
    view.setUint32(i * 8 + 4, ins.k >>> 0, true);
  });
  return out;
}
