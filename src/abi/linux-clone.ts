// clone(2)'s flags (linux/sched.h), as bigints: the flags argument is a full register.
// The low byte of clone's flags is the signal sent to the parent when the child ends.

/** The low byte of clone's flags: the signal the parent gets when the child ends. */
export const CSIGNAL = 0xffn;

export const CLONE = {
  VM: 0x100n, FS: 0x200n, FILES: 0x400n, SIGHAND: 0x800n, PIDFD: 0x1000n, PTRACE: 0x2000n,
  VFORK: 0x4000n, PARENT: 0x8000n, THREAD: 0x10000n, NEWNS: 0x20000n, SYSVSEM: 0x40000n,
  SETTLS: 0x80000n, PARENT_SETTID: 0x100000n, CHILD_CLEARTID: 0x200000n, DETACHED: 0x400000n,
  UNTRACED: 0x800000n, CHILD_SETTID: 0x1000000n, NEWCGROUP: 0x2000000n, NEWUTS: 0x4000000n,
  NEWIPC: 0x8000000n, NEWUSER: 0x10000000n, NEWPID: 0x20000000n, NEWNET: 0x40000000n, IO: 0x80000000n,
} as const;
