// clone(2)'s flags (linux/sched.h), as bigints: the flags argument is a full register.
// The low byte of clone's flags is the signal sent to the parent when the child ends.
// clone3 takes them in struct clone_args, with its own flags above 32 bits.

/** The low byte of clone's flags: the signal the parent gets when the child ends. */
export const CSIGNAL = 0xffn;

export const CLONE = {
  VM: 0x100n, FS: 0x200n, FILES: 0x400n, SIGHAND: 0x800n, PIDFD: 0x1000n, PTRACE: 0x2000n,
  VFORK: 0x4000n, PARENT: 0x8000n, THREAD: 0x10000n, NEWNS: 0x20000n, SYSVSEM: 0x40000n,
  SETTLS: 0x80000n, PARENT_SETTID: 0x100000n, CHILD_CLEARTID: 0x200000n, DETACHED: 0x400000n,
  UNTRACED: 0x800000n, CHILD_SETTID: 0x1000000n, NEWCGROUP: 0x2000000n, NEWUTS: 0x4000000n,
  NEWIPC: 0x8000000n, NEWUSER: 0x10000000n, NEWPID: 0x20000000n, NEWNET: 0x40000000n, IO: 0x80000000n,
  NEWTIME: 0x80n, CLEAR_SIGHAND: 0x100000000n, INTO_CGROUP: 0x200000000n,
} as const;

/** The flags clone(2) takes: the low 32 bits (CLONE_LEGACY_FLAGS). */
export const CLONE_LEGACY_FLAGS = 0xffffffffn;

/** struct clone_args: its three sizes (versions 0, 1 and 2) and its u64 fields. */
export const CLONE_ARGS_SIZE = { ver0: 64, ver1: 80, ver2: 88 } as const;
export const CLONE_ARGS_OFFSET = {
  flags: 0, pidfd: 8, childTid: 16, parentTid: 24, exitSignal: 32, stack: 40, stackSize: 48, tls: 56, setTid: 64, setTidSize: 72, cgroup: 80,
} as const;
/** How many pid namespaces deep set_tid may reach (MAX_PID_NS_LEVEL). */
export const MAX_PID_NS_LEVEL = 32;
