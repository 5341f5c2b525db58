// A classic-BPF interpreter for seccomp programs: what the host kernel's filter would
// answer for a call, so the sentry can tell what its own filter would have done with a
// call it trapped only for the spec's profile. Only the instructions seccomp filters use.

const SECCOMP_DATA_SIZE = 64;
const MAX_STEPS = 4096;

export interface SeccompData {
  nr: number;
  arch: number;
  instructionPointer: bigint;
  args: readonly bigint[];
}

/** Runs program (struct sock_filter[], little-endian) over data; returns its SECCOMP_RET_* value. */
export function runSeccompFilter(program: Uint8Array, data: SeccompData): number {
  const packet = Buffer.alloc(SECCOMP_DATA_SIZE);
  packet.writeUInt32LE(data.nr >>> 0, 0);
  packet.writeUInt32LE(data.arch >>> 0, 4);
  packet.writeBigUInt64LE(BigInt.asUintN(64, data.instructionPointer), 8);
  data.args.slice(0, 6).forEach((arg, i) => packet.writeBigUInt64LE(BigInt.asUintN(64, arg), 16 + 8 * i));
  const code = Buffer.from(program.buffer, program.byteOffset, program.byteLength);
  const count = code.length / 8;
  let acc = 0;
  let pc = 0;
  for (let steps = 0; steps < MAX_STEPS && pc < count; steps++) {
    const op = code.readUInt16LE(pc * 8);
    const jt = code[pc * 8 + 2]!;
    const jf = code[pc * 8 + 3]!;
    const k = code.readUInt32LE(pc * 8 + 4);
    pc++;
    switch (op) {
      case 0x20: // BPF_LD | BPF_W | BPF_ABS
        if (k + 4 > SECCOMP_DATA_SIZE) throw new Error(`seccomp filter: load beyond seccomp_data at ${pc - 1}`);
        acc = packet.readUInt32LE(k);
        break;
      case 0x54: // BPF_ALU | BPF_AND | BPF_K
        acc = (acc & k) >>> 0;
        break;
      case 0x05: // BPF_JMP | BPF_JA
        pc += k;
        break;
      case 0x15: // BPF_JMP | BPF_JEQ | BPF_K
        pc += acc === k ? jt : jf;
        break;
      case 0x25: // BPF_JMP | BPF_JGT | BPF_K
        pc += acc > k ? jt : jf;
        break;
      case 0x35: // BPF_JMP | BPF_JGE | BPF_K
        pc += acc >= k ? jt : jf;
        break;
      case 0x45: // BPF_JMP | BPF_JSET | BPF_K
        pc += (acc & k) !== 0 ? jt : jf;
        break;
      case 0x06: // BPF_RET | BPF_K
        return k;
      default:
        throw new Error(`seccomp filter: unsupported BPF instruction 0x${op.toString(16)} at ${pc - 1}`);
    }
  }
  throw new Error('seccomp filter: ran off its end');
}
