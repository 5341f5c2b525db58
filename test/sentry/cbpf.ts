// A small classic-BPF interpreter over struct seccomp_data: runs a seccomp program as the
// kernel would for one call and returns its SECCOMP_RET_* value.

export const RET = { KILL_PROCESS: 0x80000000, TRACE: 0x7ff00000, ALLOW: 0x7fff0000, ERRNO: 0x00050000 } as const;
export const AUDIT_ARCH = { X86_64: 0xc000003e, I386: 0x40000003 } as const;

/** args are the six argument registers (numbers or bigints, taken modulo 2^64). */
export function runFilter(program: Uint8Array, nr: number, args: readonly (number | bigint)[] = [], arch: number = AUDIT_ARCH.X86_64): number {
  const data = Buffer.alloc(64);
  data.writeUInt32LE(nr >>> 0, 0);
  data.writeUInt32LE(arch >>> 0, 4);
  args.forEach((arg, i) => data.writeBigUInt64LE(BigInt.asUintN(64, BigInt(arg)), 16 + 8 * i));
  const view = new DataView(program.buffer, program.byteOffset, program.byteLength);
  let a = 0;
  for (let pc = 0; pc * 8 < program.length; pc++) {
    const code = view.getUint16(pc * 8, true);
    const jt = view.getUint8(pc * 8 + 2);
    const jf = view.getUint8(pc * 8 + 3);
    const k = view.getUint32(pc * 8 + 4, true);
    switch (code) {
      case 0x20: a = data.readUInt32LE(k); break; // ld [k]
      case 0x54: a = (a & k) >>> 0; break; // and #k
      case 0x05: pc += k; break; // ja
      case 0x15: pc += a === k ? jt : jf; break; // jeq
      case 0x35: pc += a >= k ? jt : jf; break; // jge
      case 0x45: pc += (a & k) !== 0 ? jt : jf; break; // jset
      case 0x06: return k; // ret
      default: throw new Error(`unexpected BPF instruction ${code.toString(16)}`);
    }
  }
  throw new Error('the filter fell off its end');
}
