// A seccomp filter program of the workload's (classic BPF, struct sock_filter[]), checked
// as Linux checks it (bpf_check_classic and seccomp_check_filter: EINVAL for what it
// refuses), then for what it can return: every reachable RET, with the value it returns
// (a constant, or what a RET A computed; A, X and the scratch words are followed as
// constants along every path, jumps only go forward). A program that can return
// SECCOMP_RET_TRACE or SECCOMP_RET_USER_NOTIF, or a value the analysis cannot pin down,
// is refused: those would hand the workload's calls (and the sentry's own calls in its
// tasks) to the sentry as a tracer or to a listener. SECCOMP_RET_LOG becomes
// SECCOMP_RET_ALLOW: the host's audit log is not the sandbox's to write.

import { E, fail } from '../../abi/errno.js';

/** BPF_MAXINSNS */
export const MAX_INSTRUCTIONS = 4096;
const INSN_SIZE = 8;
/** sizeof(struct seccomp_data): the only data a filter loads. */
const SECCOMP_DATA_SIZE = 64;
/** BPF_MEMWORDS: the scratch words M[0..15]. */
const MEMWORDS = 16;

export const SECCOMP_RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;
const ACTION_FULL = 0xffff0000;

/** The actions the sandbox carries out as Linux does (SECCOMP_GET_ACTION_AVAIL). */
export const AVAILABLE_ACTIONS: ReadonlySet<number> = new Set([
  SECCOMP_RET.KILL_PROCESS, SECCOMP_RET.KILL_THREAD, SECCOMP_RET.TRAP, SECCOMP_RET.ERRNO, SECCOMP_RET.LOG, SECCOMP_RET.ALLOW,
]);
const REFUSED_ACTIONS: ReadonlySet<number> = new Set([SECCOMP_RET.TRACE, SECCOMP_RET.USER_NOTIF]);

/** The instruction codes a seccomp filter may use (seccomp_check_filter's list). */
const OP = {
  LD_W_ABS: 0x20, LD_W_LEN: 0x80, LDX_W_LEN: 0x81, LD_IMM: 0x00, LDX_IMM: 0x01, LD_MEM: 0x60, LDX_MEM: 0x61,
  ST: 0x02, STX: 0x03, TAX: 0x07, TXA: 0x87, RET_K: 0x06, RET_A: 0x16, JA: 0x05, NEG: 0x84,
} as const;
/** BPF_ALU | op | (BPF_K or BPF_X): the operations allowed, by their BPF_OP bits (no MOD). */
const ALU = { ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, XOR: 0xa0 } as const;
const ALU_OPS: ReadonlySet<number> = new Set(Object.values(ALU));
/** BPF_JMP | op | (BPF_K or BPF_X), by their BPF_OP bits (BPF_JA apart). */
const JUMP_OPS: ReadonlySet<number> = new Set([0x10, 0x20, 0x30, 0x40]);
const CLASS_ALU = 0x04;
const CLASS_JMP = 0x05;
const SRC_X = 0x08;

interface Insn {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A register or scratch word along the paths reaching an instruction: a constant, or unknown. */
type Value = number | undefined;

interface State {
  a: Value;
  x: Value;
  mem: Value[];
  /** The scratch words written on every path here (Linux refuses reading others). */
  written: number;
}

function decode(bytes: Uint8Array): Insn[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const program: Insn[] = [];
  for (let at = 0; at < bytes.length; at += INSN_SIZE) {
    program.push({ code: view.getUint16(at, true), jt: view.getUint8(at + 2), jf: view.getUint8(at + 3), k: view.getUint32(at + 4, true) });
  }
  return program;
}

function encode(program: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(program.length * INSN_SIZE);
  const view = new DataView(out.buffer);
  program.forEach((insn, i) => {
    view.setUint16(i * INSN_SIZE, insn.code, true);
    view.setUint8(i * INSN_SIZE + 2, insn.jt);
    view.setUint8(i * INSN_SIZE + 3, insn.jf);
    view.setUint32(i * INSN_SIZE + 4, insn.k, true);
  });
  return out;
}

/** Linux's static checks of one instruction at pc (EINVAL when it would refuse it). */
function checkInsn(insn: Insn, pc: number, length: number): void {
  const { code, k } = insn;
  const alu = (code & 0x07) === CLASS_ALU && code !== OP.NEG;
  const jump = (code & 0x07) === CLASS_JMP && code !== OP.JA;
  if (alu) {
    const op = code & 0xf0;
    if (!ALU_OPS.has(op) || code > 0xff) fail(E.EINVAL);
    if (!(code & SRC_X) && op === ALU.DIV && k === 0) fail(E.EINVAL);
    if (!(code & SRC_X) && (op === ALU.LSH || op === ALU.RSH) && k >= 32) fail(E.EINVAL);
    return;
  }
  if (jump) {
    const op = code & 0xf0;
    if (!JUMP_OPS.has(op) || code > 0xff) fail(E.EINVAL);
    if (pc + insn.jt + 1 >= length || pc + insn.jf + 1 >= length) fail(E.EINVAL);
    return;
  }
  switch (code) {
    case OP.LD_W_ABS:
      if (k >= SECCOMP_DATA_SIZE || k % 4 !== 0) fail(E.EINVAL);
      return;
    case OP.LD_MEM:
    case OP.LDX_MEM:
    case OP.ST:
    case OP.STX:
      if (k >= MEMWORDS) fail(E.EINVAL);
      return;
    case OP.JA:
      if (k >= length - pc - 1) fail(E.EINVAL);
      return;
    case OP.LD_W_LEN: case OP.LDX_W_LEN: case OP.LD_IMM: case OP.LDX_IMM: case OP.TAX: case OP.TXA:
    case OP.RET_K: case OP.RET_A: case OP.NEG:
      return;
    default:
      fail(E.EINVAL);
  }
}

/** A's value after an ALU operation on constants (undefined when not constant). */
function aluResult(op: number, a: Value, operand: Value): Value {
  if (a === undefined || operand === undefined) return undefined;
  switch (op) {
    case ALU.ADD: return (a + operand) >>> 0;
    case ALU.SUB: return (a - operand) >>> 0;
    case ALU.MUL: return Math.imul(a, operand) >>> 0;
    case ALU.DIV: return Math.floor(a / operand) >>> 0;
    case ALU.OR: return (a | operand) >>> 0;
    case ALU.AND: return (a & operand) >>> 0;
    case ALU.XOR: return (a ^ operand) >>> 0;
    case ALU.LSH: return operand < 32 ? (a << operand) >>> 0 : undefined;
    case ALU.RSH: return operand < 32 ? a >>> operand : undefined;
    default: return undefined;
  }
}

function join(into: State | undefined, from: State): State {
  if (!into) return { ...from, mem: [...from.mem] };
  const same = (p: Value, q: Value): Value => (p === q ? p : undefined);
  return { a: same(into.a, from.a), x: same(into.x, from.x), mem: into.mem.map((m, i) => same(m, from.mem[i])), written: into.written & from.written };
}

/**
 * Checks a filter program (bytes of struct sock_filter) and returns the copy the host
 * kernel is to install: LOG returns made ALLOW. EINVAL for a program Linux refuses, one
 * that can return TRACE or USER_NOTIF, or a RET A whose value is not known.
 */
export function checkFilter(bytes: Uint8Array): Uint8Array {
  const length = bytes.length / INSN_SIZE;
  if (!Number.isInteger(length) || length === 0 || length > MAX_INSTRUCTIONS) fail(E.EINVAL);
  const program = decode(bytes);
  program.forEach((insn, pc) => checkInsn(insn, pc, length));
  const last = program[length - 1]!.code;
  if (last !== OP.RET_K && last !== OP.RET_A) fail(E.EINVAL);

  const states: (State | undefined)[] = new Array<State | undefined>(length);
  states[0] = { a: 0, x: 0, mem: new Array<Value>(MEMWORDS).fill(0), written: 0 };
  const reach = (pc: number, state: State): void => {
    states[pc] = join(states[pc], state);
  };
  for (let pc = 0; pc < length; pc++) {
    const state = states[pc];
    if (!state) continue; // unreachable
    const insn = program[pc]!;
    const { code, k } = insn;
    const next = { ...state, mem: [...state.mem] };
    if (code === OP.RET_K || code === OP.RET_A) {
      const value = code === OP.RET_K ? k : state.a;
      if (value === undefined) fail(E.EINVAL);
      const action = (value & ACTION_FULL) >>> 0;
      if (REFUSED_ACTIONS.has(action)) fail(E.EINVAL);
      if (action === SECCOMP_RET.LOG) program[pc] = { code: OP.RET_K, jt: 0, jf: 0, k: SECCOMP_RET.ALLOW };
      continue;
    }
    if ((code & 0x07) === CLASS_JMP) {
      if (code === OP.JA) reach(pc + 1 + k, next);
      else {
        reach(pc + 1 + insn.jt, next);
        reach(pc + 1 + insn.jf, next);
      }
      continue;
    }
    if ((code & 0x07) === CLASS_ALU && code !== OP.NEG) {
      const op = code & 0xf0;
      const operand = code & SRC_X ? state.x : k;
      // Dividing by an X of 0 ends the program with 0 (SECCOMP_RET_KILL_THREAD).
      if (op === ALU.DIV && operand === 0) continue;
      next.a = aluResult(op, state.a, operand);
    } else {
      switch (code) {
        case OP.LD_W_ABS: next.a = undefined; break;
        case OP.LD_W_LEN: next.a = SECCOMP_DATA_SIZE; break;
        case OP.LDX_W_LEN: next.x = SECCOMP_DATA_SIZE; break;
        case OP.LD_IMM: next.a = k; break;
        case OP.LDX_IMM: next.x = k; break;
        case OP.TAX: next.x = state.a; break;
        case OP.TXA: next.a = state.x; break;
        case OP.NEG: next.a = state.a === undefined ? undefined : -state.a >>> 0; break;
        case OP.ST: next.mem[k] = state.a; next.written |= 1 << k; break;
        case OP.STX: next.mem[k] = state.x; next.written |= 1 << k; break;
        case OP.LD_MEM:
        case OP.LDX_MEM:
          if (!(state.written & (1 << k))) fail(E.EINVAL);
          if (code === OP.LD_MEM) next.a = state.mem[k];
          else next.x = state.mem[k];
          break;
      }
    }
    reach(pc + 1, next);
  }
  return encode(program);
}
