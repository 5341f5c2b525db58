// Decoding raw syscall registers into the C types the man pages name. The kernel
// truncates each register to the parameter's type, so do we: an `int fd` is the low
// 32 bits, sign-extended.

/** An `int` argument (fd, dirfd, signed count). */
export function int32(reg: bigint): number {
  return Number(BigInt.asIntN(32, reg));
}

/** An `unsigned int` argument (flags, modes, masks). */
export function uint32(reg: bigint): number {
  return Number(BigInt.asUintN(32, reg));
}

/**
 * A `uid_t`/`gid_t` argument: unsigned 32 bits (uids past 2^31 are ordinary), with
 * (uid_t)-1 as -1, the "leave it unchanged" of set*id and chown.
 */
export function id(reg: bigint): number {
  const value = uint32(reg);
  return value === 0xffffffff ? -1 : value;
}

/** A pointer argument; 0n is NULL. */
export function pointer(reg: bigint): bigint {
  return BigInt.asUintN(64, reg);
}

/** A `size_t` argument. */
export function size(reg: bigint): bigint {
  return BigInt.asUintN(64, reg);
}

/** A `loff_t`/`off_t`/`ssize_t` argument. */
export function int64(reg: bigint): bigint {
  return BigInt.asIntN(64, reg);
}
