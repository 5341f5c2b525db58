// The initial stack of a new program, laid out as Linux's create_elf_tables does: from the
// top, AT_RANDOM bytes, strings (execfn, platform, argv, envp), then 16-byte aligned argc,
// argv[], NULL, envp[], NULL, auxv pairs, AT_NULL. rsp points at argc.

export const AT = {
  NULL: 0, PHDR: 3, PHENT: 4, PHNUM: 5, PAGESZ: 6, BASE: 7, FLAGS: 8, ENTRY: 9, UID: 11,
  EUID: 12, GID: 13, EGID: 14, PLATFORM: 15, HWCAP: 16, CLKTCK: 17, SECURE: 23, RANDOM: 25,
  HWCAP2: 26, EXECFN: 31, SYSINFO_EHDR: 33, MINSIGSTKSZ: 51,
} as const;

export interface StackInput {
  /** Address just above the stack (the highest byte + 1). */
  top: bigint;
  argv: readonly string[];
  envp: readonly string[];
  execfn: string;
  /** auxv entries without AT_RANDOM, AT_EXECFN, AT_PLATFORM, AT_NULL (added here). */
  auxv: readonly (readonly [number, bigint])[];
  random: Uint8Array;
}

export interface StackImage {
  /** The bytes to write at sp. */
  bytes: Buffer;
  sp: bigint;
  /** The auxiliary vector as it lies in bytes, AT_NULL included (/proc/PID/auxv). */
  auxv: Buffer;
}

/** Bytes a program's argv and envp need on the stack (E2BIG beyond the limit). */
export function argumentBytes(argv: readonly string[], envp: readonly string[]): number {
  let n = 0;
  for (const s of argv) n += s.length + 1 + 8;
  for (const s of envp) n += s.length + 1 + 8;
  return n;
}

export function buildStack(input: StackInput): StackImage {
  const strings: Buffer[] = [];
  let cursor = input.top;
  const place = (data: Buffer): bigint => {
    cursor -= BigInt(data.length);
    strings.push(data);
    return cursor;
  };
  const random = place(Buffer.from(input.random));
  const cstring = (s: string): bigint => place(Buffer.from(`${s}\0`, 'latin1'));
  const execfn = cstring(input.execfn);
  const platform = cstring('x86_64');
  // Strings go in reverse so argv[0] ends lowest, as the kernel lays them out.
  const envAddrs = [...input.envp].reverse().map(cstring).reverse();
  const argAddrs = [...input.argv].reverse().map(cstring).reverse();

  const auxv: (readonly [number, bigint])[] = [
    ...input.auxv,
    [AT.RANDOM, random],
    [AT.EXECFN, execfn],
    [AT.PLATFORM, platform],
    [AT.NULL, 0n],
  ];
  const words = 1 + argAddrs.length + 1 + envAddrs.length + 1 + auxv.length * 2;
  let sp = (cursor - BigInt(words * 8)) & ~15n;
  const total = Number(input.top - sp);
  const bytes = Buffer.alloc(total);
  // Strings, from the top down.
  let at = total;
  for (const s of strings) {
    at -= s.length;
    s.copy(bytes, at);
  }
  let w = 0;
  const put = (value: bigint): void => {
    bytes.writeBigUInt64LE(value, w);
    w += 8;
  };
  put(BigInt(input.argv.length));
  for (const a of argAddrs) put(a);
  put(0n);
  for (const e of envAddrs) put(e);
  put(0n);
  const auxvStart = w;
  for (const [key, value] of auxv) {
    put(BigInt(key));
    put(value);
  }
  sp = input.top - BigInt(total);
  return { bytes, sp, auxv: Buffer.from(bytes.subarray(auxvStart, w)) };
}

/** Reads an auxv value from a stack that starts with argc (the stub's own, at its int3). */
export function findAuxv(stack: Buffer, key: number): bigint | undefined {
  let w = 0;
  const next = (): bigint | undefined => {
    if (w + 8 > stack.length) return undefined;
    const v = stack.readBigUInt64LE(w);
    w += 8;
    return v;
  };
  const argc = next();
  if (argc === undefined) return undefined;
  w += Number(argc) * 8 + 8;
  while (next()) {
    /* skip envp */
  }
  for (;;) {
    const k = next();
    const v = next();
    if (k === undefined || v === undefined || k === 0n) return undefined;
    if (Number(k) === key) return v;
  }
}
