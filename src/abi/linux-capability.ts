// Capabilities of Linux (linux/capability.h): the numbers every layer checks a task's
// effective set against (the mask bit of cap is 1n << BigInt(cap)), and the names OCI
// specs use for them.

export const CAP = {
  CHOWN: 0,
  DAC_OVERRIDE: 1,
  DAC_READ_SEARCH: 2,
  FOWNER: 3,
  FSETID: 4,
  KILL: 5,
  SETGID: 6,
  SETUID: 7,
  SETPCAP: 8,
  LINUX_IMMUTABLE: 9,
  NET_BIND_SERVICE: 10,
  NET_BROADCAST: 11,
  NET_ADMIN: 12,
  NET_RAW: 13,
  IPC_LOCK: 14,
  IPC_OWNER: 15,
  SYS_MODULE: 16,
  SYS_RAWIO: 17,
  SYS_CHROOT: 18,
  SYS_PTRACE: 19,
  SYS_PACCT: 20,
  SYS_ADMIN: 21,
  SYS_BOOT: 22,
  SYS_NICE: 23,
  SYS_RESOURCE: 24,
  SYS_TIME: 25,
  SYS_TTY_CONFIG: 26,
  MKNOD: 27,
  LEASE: 28,
  AUDIT_WRITE: 29,
  AUDIT_CONTROL: 30,
  SETFCAP: 31,
  MAC_OVERRIDE: 32,
  MAC_ADMIN: 33,
  SYSLOG: 34,
  WAKE_ALARM: 35,
  BLOCK_SUSPEND: 36,
  AUDIT_READ: 37,
  PERFMON: 38,
  BPF: 39,
  CHECKPOINT_RESTORE: 40,
} as const;

export type CapabilityName = keyof typeof CAP;

export const CAP_LAST_CAP = CAP.CHECKPOINT_RESTORE;

/** The names without their CAP_ prefix, by number. */
export const CAP_NAMES: readonly CapabilityName[] = (Object.entries(CAP) as [CapabilityName, number][]).sort((a, b) => a[1] - b[1]).map(([name]) => name);

/** Every capability this kernel knows, as a mask. */
export const ALL_CAPS = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

/** The mask of the given capabilities. */
export function capMask(...caps: readonly number[]): bigint {
  return caps.reduce((mask, cap) => mask | (1n << BigInt(cap)), 0n);
}
