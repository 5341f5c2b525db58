// The check of a workload's seccomp program: Linux's refusals, and what each reachable RET
// can return (constants followed through A, X, the scratch words and both sides of jumps).
import { describe, expect, it } from 'vitest';
import { E } from '../../../src/abi/errno.js';
import { checkFilter, SECCOMP_RET } from '../../../src/syscalls/linux/seccomp-bpf.js';
import { errnoOf } from '../../sentry/errno-of.js';

type Insn = [code: number, jt: number, jf: number, k: number];

const LD_NR: Insn = [0x20, 0, 0, 0];
const ret = (k: number): Insn => [0x06, 0, 0, k];
const RET_A: Insn = [0x16, 0, 0, 0];
const ldImm = (k: number): Insn => [0x00, 0, 0, k];
const jeq = (k: number, jt: number, jf: number): Insn => [0x15, jt, jf, k];

function bytes(program: Insn[]): Uint8Array {
  const out = Buffer.alloc(program.length * 8);
  program.forEach(([code, jt, jf, k], i) => {
    out.writeUInt16LE(code, i * 8);
    out.writeUInt8(jt, i * 8 + 2);
    out.writeUInt8(jf, i * 8 + 3);
    out.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return out;
}

function returns(checked: Uint8Array): number[] {
  const view = Buffer.from(checked);
  const out: number[] = [];
  for (let at = 0; at < view.length; at += 8) if (view.readUInt16LE(at) === 0x06) out.push(view.readUInt32LE(at + 4));
  return out;
}

describe('seccomp filters of the workload', () => {
  it('keeps a program of constant returns as it is', () => {
    const program = bytes([LD_NR, jeq(102, 0, 1), ret(SECCOMP_RET.ERRNO | E.EPERM), ret(SECCOMP_RET.ALLOW)]);
    expect(Buffer.from(checkFilter(program))).toEqual(Buffer.from(program));
  });

  it('refuses TRACE and USER_NOTIF on any reachable path, with their data too', () => {
    expect(errnoOf(() => checkFilter(bytes([LD_NR, jeq(1, 0, 1), ret(SECCOMP_RET.TRACE | 5), ret(SECCOMP_RET.ALLOW)])))).toBe(E.EINVAL);
    expect(errnoOf(() => checkFilter(bytes([LD_NR, jeq(1, 1, 0), ret(SECCOMP_RET.ALLOW), ret(SECCOMP_RET.USER_NOTIF)])))).toBe(E.EINVAL);
  });

  it('does not look at returns no path reaches', () => {
    expect(returns(checkFilter(bytes([[0x05, 0, 0, 1], ret(SECCOMP_RET.TRACE), ret(SECCOMP_RET.ALLOW)])))).toEqual([SECCOMP_RET.TRACE, SECCOMP_RET.ALLOW]);
  });

  it('makes LOG returns ALLOW, a RET A of a known LOG included', () => {
    expect(returns(checkFilter(bytes([ret(SECCOMP_RET.LOG)])))).toEqual([SECCOMP_RET.ALLOW]);
    expect(returns(checkFilter(bytes([ldImm(SECCOMP_RET.LOG), RET_A])))).toEqual([SECCOMP_RET.ALLOW]);
  });

  it('follows A through X, the scratch words and arithmetic; refuses what depends on the data', () => {
    // A = 0x7ff00000 (TRACE) built from a stored constant plus one: refused.
    const viaScratch: Insn[] = [ldImm(0x7fefffff), [0x02, 0, 0, 3], ldImm(0), [0x60, 0, 0, 3], [0x04, 0, 0, 1], RET_A];
    expect(errnoOf(() => checkFilter(bytes(viaScratch)))).toBe(E.EINVAL);
    // The same to ALLOW, through X: installed.
    const viaX: Insn[] = [[0x01, 0, 0, 0x7ffeffff], [0x87, 0, 0, 0], [0x04, 0, 0, 0x10000], RET_A];
    expect(returns(checkFilter(bytes(viaX)))).toEqual([]);
    // Two paths joining with different constants, or a loaded value: unknown.
    expect(errnoOf(() => checkFilter(bytes([LD_NR, jeq(1, 0, 2), ldImm(SECCOMP_RET.ALLOW), [0x05, 0, 0, 1], ldImm(SECCOMP_RET.ERRNO), RET_A])))).toBe(E.EINVAL);
    expect(errnoOf(() => checkFilter(bytes([LD_NR, RET_A])))).toBe(E.EINVAL);
    // The same constant on both paths is known.
    expect(returns(checkFilter(bytes([LD_NR, jeq(1, 0, 2), ldImm(SECCOMP_RET.ALLOW), [0x05, 0, 0, 1], ldImm(SECCOMP_RET.ALLOW), RET_A])))).toEqual([]);
  });

  it('refuses what Linux refuses', () => {
    expect(errnoOf(() => checkFilter(new Uint8Array(0)))).toBe(E.EINVAL);
    expect(errnoOf(() => checkFilter(bytes([LD_NR])))).toBe(E.EINVAL); // no RET at the end
    expect(errnoOf(() => checkFilter(bytes([jeq(1, 5, 0), ret(0)])))).toBe(E.EINVAL); // out of the program
    expect(errnoOf(() => checkFilter(bytes([[0x20, 0, 0, 64], ret(0)])))).toBe(E.EINVAL); // beyond seccomp_data
    expect(errnoOf(() => checkFilter(bytes([[0x20, 0, 0, 2], ret(0)])))).toBe(E.EINVAL); // unaligned
    expect(errnoOf(() => checkFilter(bytes([[0x28, 0, 0, 0], ret(0)])))).toBe(E.EINVAL); // LD|H|ABS
    expect(errnoOf(() => checkFilter(bytes([[0x94, 0, 0, 3], ret(0)])))).toBe(E.EINVAL); // MOD
    expect(errnoOf(() => checkFilter(bytes([[0x34, 0, 0, 0], ret(0)])))).toBe(E.EINVAL); // DIV by 0
    expect(errnoOf(() => checkFilter(bytes([[0x64, 0, 0, 32], ret(0)])))).toBe(E.EINVAL); // LSH 32
    expect(errnoOf(() => checkFilter(bytes([[0x60, 0, 0, 2], ret(0)])))).toBe(E.EINVAL); // M[2] never written
    expect(errnoOf(() => checkFilter(bytes([[0x02, 0, 0, 16], ret(0)])))).toBe(E.EINVAL); // M[16]
    expect(errnoOf(() => checkFilter(new Uint8Array(4097 * 8)))).toBe(E.EINVAL);
  });

  it('counts a division by an X of 0 as the end of the program (KILL_THREAD)', () => {
    expect(returns(checkFilter(bytes([[0x01, 0, 0, 0], ldImm(8), [0x3c, 0, 0, 0], RET_A])))).toEqual([]);
  });
});
