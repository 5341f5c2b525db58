// ptrace(2)'s requests, options, events and register-set notes (x86-64, linux/ptrace.h,
// asm/ptrace-abi.h, elf.h).

export const PTRACE = {
  TRACEME: 0, PEEKTEXT: 1, PEEKDATA: 2, PEEKUSER: 3, POKETEXT: 4, POKEDATA: 5, POKEUSER: 6,
  CONT: 7, KILL: 8, SINGLESTEP: 9, GETREGS: 12, SETREGS: 13, GETFPREGS: 14, SETFPREGS: 15,
  ATTACH: 16, DETACH: 17, SYSCALL: 24, ARCH_PRCTL: 30, SETOPTIONS: 0x4200, GETEVENTMSG: 0x4201,
  GETSIGINFO: 0x4202, SETSIGINFO: 0x4203, GETREGSET: 0x4204, SETREGSET: 0x4205, SEIZE: 0x4206,
  INTERRUPT: 0x4207, LISTEN: 0x4208, PEEKSIGINFO: 0x4209, GETSIGMASK: 0x420a, SETSIGMASK: 0x420b,
  SECCOMP_GET_FILTER: 0x420c, GET_SYSCALL_INFO: 0x420e,
} as const;

export const PTRACE_O = {
  TRACESYSGOOD: 1, TRACEFORK: 2, TRACEVFORK: 4, TRACECLONE: 8, TRACEEXEC: 0x10, TRACEVFORKDONE: 0x20,
  TRACEEXIT: 0x40, TRACESECCOMP: 0x80, EXITKILL: 0x100000, SUSPEND_SECCOMP: 0x200000,
} as const;
/** Every option bit Linux knows. */
export const PTRACE_O_MASK = 0x3000ff;

export const PTRACE_EVENT = { FORK: 1, VFORK: 2, CLONE: 3, EXEC: 4, VFORK_DONE: 5, EXIT: 6, SECCOMP: 7, STOP: 128 } as const;

/** Register sets of PTRACE_GETREGSET/SETREGSET. */
export const NT = { PRSTATUS: 1, PRFPREG: 2, X86_XSTATE: 0x202 } as const;

/** PTRACE_GET_SYSCALL_INFO's op. */
export const SYSCALL_INFO_OP = { NONE: 0, ENTRY: 1, EXIT: 2, SECCOMP: 3 } as const;

/** struct user_regs_struct: 27 registers. */
export const USER_REGS_SIZE = 27 * 8;
/** struct user_fpregs_struct. */
export const USER_FPREGS_SIZE = 512;
/** Byte offsets in struct user_regs_struct. */
export const USER_REG = { rax: 10 * 8, orig_rax: 15 * 8, rip: 16 * 8, cs: 17 * 8, eflags: 18 * 8, rsp: 19 * 8, ss: 20 * 8, fs_base: 21 * 8, gs_base: 22 * 8 } as const;
/** Offset of u_debugreg[0] in struct user. */
export const USER_DEBUGREG_OFFSET = 848;

/** AUDIT_ARCH_X86_64, PTRACE_GET_SYSCALL_INFO's arch. */
export const AUDIT_ARCH_X86_64 = 0xc000003e;

/** arch_prctl codes PTRACE_ARCH_PRCTL takes. */
export const ARCH = { SET_GS: 0x1001, SET_FS: 0x1002, GET_FS: 0x1003, GET_GS: 0x1004 } as const;
