// Linux capabilities: the numbers (linux/capability.h), the securebits (linux/securebits.h),
// the capget/capset header versions and the security.capability xattr format
// (struct vfs_cap_data / vfs_ns_cap_data), shared by the VFS and the sentry.

/** Capability numbers; a set is a bigint mask with bit 1n << BigInt(cap). */
export const CAP = {
  CHOWN: 0, DAC_OVERRIDE: 1, DAC_READ_SEARCH: 2, FOWNER: 3, FSETID: 4, KILL: 5, SETGID: 6,
  SETUID: 7, SETPCAP: 8, LINUX_IMMUTABLE: 9, NET_BIND_SERVICE: 10, NET_BROADCAST: 11,
  NET_ADMIN: 12, NET_RAW: 13, IPC_LOCK: 14, IPC_OWNER: 15, SYS_MODULE: 16, SYS_RAWIO: 17,
  SYS_CHROOT: 18, SYS_PTRACE: 19, SYS_PACCT: 20, SYS_ADMIN: 21, SYS_BOOT: 22, SYS_NICE: 23,
  SYS_RESOURCE: 24, SYS_TIME: 25, SYS_TTY_CONFIG: 26, MKNOD: 27, LEASE: 28, AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30, SETFCAP: 31, MAC_OVERRIDE: 32, MAC_ADMIN: 33, SYSLOG: 34, WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36, AUDIT_READ: 37, PERFMON: 38, BPF: 39, CHECKPOINT_RESTORE: 40,
} as const;

export const CAP_LAST_CAP = 40;
/** Every valid capability (CAP_VALID_MASK): bits above CAP_LAST_CAP are dropped where a set is taken in. */
export const ALL_CAPS = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

/** The capability's name without CAP_, by number ("CHOWN", ...). */
export const CAP_NAMES: readonly string[] = Object.keys(CAP);

export function capBit(cap: number): bigint {
  return 1n << BigInt(cap);
}

export function isValidCap(cap: bigint): boolean {
  return cap >= 0n && cap <= BigInt(CAP_LAST_CAP);
}

/**
 * The capabilities a change of the filesystem uid from or to 0 drops or raises
 * (CAP_FS_SET: CAP_FS_MASK and CAP_LINUX_IMMUTABLE).
 */
export const CAP_FS_SET =
  capBit(CAP.CHOWN) | capBit(CAP.MKNOD) | capBit(CAP.DAC_OVERRIDE) | capBit(CAP.DAC_READ_SEARCH) |
  capBit(CAP.FOWNER) | capBit(CAP.FSETID) | capBit(CAP.MAC_OVERRIDE) | capBit(CAP.LINUX_IMMUTABLE);

/** prctl(PR_SET_SECUREBITS) bits; each LOCKED bit is its bit shifted left once. */
export const SECBIT = {
  NOROOT: 1 << 0, NOROOT_LOCKED: 1 << 1,
  NO_SETUID_FIXUP: 1 << 2, NO_SETUID_FIXUP_LOCKED: 1 << 3,
  KEEP_CAPS: 1 << 4, KEEP_CAPS_LOCKED: 1 << 5,
  NO_CAP_AMBIENT_RAISE: 1 << 6, NO_CAP_AMBIENT_RAISE_LOCKED: 1 << 7,
} as const;
export const SECURE_ALL_BITS = SECBIT.NOROOT | SECBIT.NO_SETUID_FIXUP | SECBIT.KEEP_CAPS | SECBIT.NO_CAP_AMBIENT_RAISE;
export const SECURE_ALL_LOCKS = SECURE_ALL_BITS << 1;

/** capget/capset header versions: v1 carries 32-bit sets, v2 and v3 64-bit ones. */
export const LINUX_CAPABILITY_VERSION = { V1: 0x19980330, V2: 0x20071026, V3: 0x20080522 } as const;

export const XATTR_NAME_CAPS = 'security.capability';
const VFS_CAP_REVISION_MASK = 0xff000000;
const VFS_CAP_REVISION = { V1: 0x01000000, V2: 0x02000000, V3: 0x03000000 } as const;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;
/** Sizes of the xattr value per revision: magic, then {permitted, inheritable} per 32 bits, v3 a root uid. */
const XATTR_CAPS_SZ = { V1: 12, V2: 20, V3: 24 } as const;

/** A file's capabilities as the kernel reads them from security.capability. */
export interface FileCapabilities {
  permitted: bigint;
  inheritable: bigint;
  /** The effective bit: at exec the new permitted set becomes effective too. */
  effective: boolean;
  /** The uid that is root where the capabilities apply (0 for v1/v2). */
  rootid: number;
}

/**
 * Parses a security.capability value as get_vfs_caps_from_disk does: undefined for a
 * malformed one (the kernel's EINVAL). Sets are masked to the valid capabilities.
 */
export function parseFileCapabilities(value: Uint8Array): FileCapabilities | undefined {
  if (value.length < 4) return undefined;
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const magic = view.readUInt32LE(0);
  const revision = (magic & VFS_CAP_REVISION_MASK) >>> 0;
  const size = revision === VFS_CAP_REVISION.V1 ? XATTR_CAPS_SZ.V1 : revision === VFS_CAP_REVISION.V2 ? XATTR_CAPS_SZ.V2 : revision === VFS_CAP_REVISION.V3 ? XATTR_CAPS_SZ.V3 : 0;
  if (size === 0 || value.length !== size) return undefined;
  let permitted = BigInt(view.readUInt32LE(4));
  let inheritable = BigInt(view.readUInt32LE(8));
  if (revision !== VFS_CAP_REVISION.V1) {
    permitted |= BigInt(view.readUInt32LE(12)) << 32n;
    inheritable |= BigInt(view.readUInt32LE(16)) << 32n;
  }
  return {
    permitted: permitted & ALL_CAPS,
    inheritable: inheritable & ALL_CAPS,
    effective: (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0,
    rootid: revision === VFS_CAP_REVISION.V3 ? view.readUInt32LE(20) : 0,
  };
}

/**
 * The value setxattr(security.capability) stores, as cap_convert_nscap leaves it in an
 * initial user namespace: only v2 and v3 headers are accepted (undefined: EINVAL); a v3
 * value keeps its root uid, except that root uid 0 is stored as v2, as the kernel reads it back.
 */
export function storedFileCapabilities(value: Uint8Array): Uint8Array | undefined {
  if (value.length < 4) return undefined;
  const view = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  const magic = view.readUInt32LE(0);
  const revision = (magic & VFS_CAP_REVISION_MASK) >>> 0;
  if (revision === VFS_CAP_REVISION.V2 && value.length === XATTR_CAPS_SZ.V2) return Uint8Array.from(value);
  if (revision !== VFS_CAP_REVISION.V3 || value.length !== XATTR_CAPS_SZ.V3) return undefined;
  const rootid = view.readUInt32LE(20);
  const out = Buffer.alloc(rootid === 0 ? XATTR_CAPS_SZ.V2 : XATTR_CAPS_SZ.V3);
  out.writeUInt32LE(((rootid === 0 ? VFS_CAP_REVISION.V2 : VFS_CAP_REVISION.V3) | (magic & VFS_CAP_FLAGS_EFFECTIVE)) >>> 0, 0);
  view.copy(out, 4, 4, 20);
  if (rootid !== 0) out.writeUInt32LE(rootid, 20);
  return out;
}
