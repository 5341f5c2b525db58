// Every row of the x86-64 table agrees with what is built from it: the handler is there
// for what the filter traps, the compiled seccomp program (run in a small cBPF
// interpreter) answers each number and each by-argument case as the row's rule says, and
// docs/syscalls.md says the same.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { NR, X32_SYSCALL_BIT } from '../../../src/abi/linux-syscalls.js';
import { buildSeccompFilter } from '../../../src/sentry/platform/seccomp-filter.js';
import type { FilterRule, FilterVerdict, SyscallEntry, SyscallHandler } from '../../../src/sentry/kernel/syscall.js';
import { docLine, mayPass } from '../../../src/syscalls/linux/syscall-docs.js';
import { linuxX86_64Table } from '../../../src/syscalls/linux/table.js';
import { AUDIT_ARCH, RET, runFilter } from '../../sentry/cbpf.js';

const repo = path.join(import.meta.dirname, '..', '..', '..');
const entries = [...linuxX86_64Table.entries()];
const program = buildSeccompFilter(linuxX86_64Table);
const lastNr = Math.max(...Object.values(NR));
const ENOSYS = 38;

function retOf(verdict: FilterVerdict): number {
  if (verdict === 'trap') return RET.TRACE;
  if (verdict === 'pass') return RET.ALLOW;
  return RET.ERRNO | verdict.refuse;
}

/** What the rule says for these arguments, read the way the kernel reads an int. */
function expected(rule: FilterRule, args: readonly bigint[]): FilterVerdict {
  if (typeof rule === 'string' || 'refuse' in rule) return rule;
  let value = Number(BigInt.asUintN(32, args[rule.arg] ?? 0n));
  if (rule.mask !== undefined) value = (value & rule.mask) >>> 0;
  for (const c of rule.cases) {
    const matches = 'oneOf' in c ? c.oneOf.some((v) => v >>> 0 === value) : (value & c.anyBit) !== 0;
    if (matches) return c.then;
  }
  return rule.otherwise;
}

/** Argument values that reach every case of rule, and some that reach none, high bits set or not. */
function samples(rule: Exclude<FilterRule, string | { refuse: number }>): bigint[] {
  const values = new Set<bigint>([0n, 1n, 0xffffffffn, (1n << 64n) - 1n, 0x7fffffffn, 0x80000000n]);
  const outsideMask = rule.mask === undefined ? 0 : ~rule.mask >>> 0;
  for (const c of rule.cases) {
    const hits = 'oneOf' in c ? c.oneOf : [c.anyBit, ...Array.from({ length: 32 }, (_, bit) => 2 ** bit).filter((b) => (b & c.anyBit) !== 0)];
    for (const hit of hits) {
      const v = BigInt(hit >>> 0);
      for (const extra of [0n, 1n << 32n, 1n << 40n, 0xffffffff00000000n, BigInt(outsideMask)]) values.add(BigInt.asUintN(64, v | extra));
      values.add(v + 1n);
      values.add(v ^ 0x20n);
    }
  }
  // A fixed-seed xorshift: the same values on every run.
  let x = 0x2545f491;
  for (let i = 0; i < 200; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    values.add(BigInt(x >>> 0) | (BigInt(i) << 32n));
  }
  return [...values];
}

function argsWith(arg: number, value: bigint): bigint[] {
  const args = [0n, 0n, 0n, 0n, 0n, 0n];
  args[arg] = value;
  return args;
}

describe('every row of the x86-64 table', () => {
  it('has one row per number of src/abi/linux-syscalls.ts, in its place', () => {
    expect(entries.length).toBe(Object.keys(NR).length);
    for (const e of entries) {
      expect(linuxX86_64Table.entry(e.nr), e.name).toBe(e);
      expect(NR[e.name as keyof typeof NR], e.name).toBe(e.nr);
    }
  });

  it('has a handler exactly where the filter may stop the call for the sentry to answer it', () => {
    for (const e of entries) {
      const rule = e.filter;
      const traps = typeof rule === 'string' ? rule === 'trap' : 'refuse' in rule ? false : [rule.otherwise, ...rule.cases.map((c) => c.then)].includes('trap');
      if (e.support === 'supported' || e.support === 'partial') expect(traps ? typeof e.handler : 'no stop', e.name).toBe(traps ? 'function' : 'no stop');
      if (e.support === 'unsupported') expect([e.filter, e.handler], e.name).toEqual(['trap', undefined]);
      if (e.support === 'refused') expect([typeof e.filter === 'object' && 'refuse' in e.filter, e.handler], e.name).toEqual([true, undefined]);
      if (!traps) expect(e.handler, `${e.name} has a handler the filter never stops for`).toBeUndefined();
    }
  });

  it('says why the host kernel may run every call the filter lets through', () => {
    for (const e of entries.filter((entry) => mayPass(entry.filter))) expect(e.why?.length ?? 0, e.name).toBeGreaterThan(20);
  });

  it('gets from the compiled filter what its rule says, for every number', () => {
    for (let nr = 0; nr <= lastNr + 64; nr++) {
      const e = linuxX86_64Table.entry(nr);
      const rule = e?.filter ?? { refuse: ENOSYS };
      expect(runFilter(program, nr), `nr ${nr} ${e?.name ?? '(no row)'}`).toBe(retOf(expected(rule, [0n, 0n, 0n, 0n, 0n, 0n])));
    }
  });

  it('gets from the compiled filter what the rule says for every by-argument case', () => {
    const decided = entries.filter((e) => typeof e.filter === 'object' && !('refuse' in e.filter));
    expect(decided.map((e) => e.name)).toEqual(expect.arrayContaining(['mmap', 'futex']));
    for (const e of decided) {
      const rule = e.filter as Exclude<FilterRule, string | { refuse: number }>;
      for (const value of samples(rule)) {
        const args = argsWith(rule.arg, value);
        expect(runFilter(program, e.nr, args), `${e.name} ${rule.argName}=0x${value.toString(16)}`).toBe(retOf(expected(rule, args)));
      }
    }
  });

  it('refuses x32 and high-bit numbers with ENOSYS and kills a foreign architecture', () => {
    for (const e of entries) {
      expect(runFilter(program, X32_SYSCALL_BIT | e.nr), `x32 ${e.name}`).toBe(RET.ERRNO | ENOSYS);
      expect(runFilter(program, 0x80000000 | e.nr), `high-bit ${e.name}`).toBe(RET.ERRNO | ENOSYS);
      expect(runFilter(program, e.nr, [], AUDIT_ARCH.I386), `i386 ${e.name}`).toBe(RET.KILL_PROCESS);
    }
    for (const nr of [0x3fffffff, 0x7fffffff, 0xffffffff, lastNr + 1]) expect(runFilter(program, nr), `nr 0x${nr.toString(16)}`).toBe(RET.ERRNO | ENOSYS);
  });

  it('is described in docs/syscalls.md as the row says', () => {
    const docs = readFileSync(path.join(repo, 'docs', 'syscalls.md'), 'utf8').split('\n');
    const stale = entries.filter((e) => !docs.includes(docLine(e))).map((e) => `${docLine(e)} (run: node dist/syscalls/linux/syscall-docs.js > docs/syscalls.md)`);
    expect(stale).toEqual([]);
    for (const e of entries.filter((entry) => mayPass(entry.filter))) expect(docs, e.name).toContain(`| ${e.nr} | ${e.name} | ${e.why} |`);
  });

  it('uses every handler a family exports, and no family handler is left without a row', async () => {
    const used = new Set<SyscallHandler>(entries.flatMap((e: SyscallEntry) => (e.handler ? [e.handler] : [])));
    const dir = path.join(repo, 'src', 'syscalls', 'linux');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const module = (await import(path.join(dir, file))) as Record<string, unknown>;
      for (const [name, family] of Object.entries(module)) {
        if (!name.endsWith('Syscalls') || typeof family !== 'object' || family === null) continue;
        for (const [call, handler] of Object.entries(family)) expect(used.has(handler as SyscallHandler), `${file}: ${name}.${call}`).toBe(true);
      }
    }
  });
});
