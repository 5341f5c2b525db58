// The x86-64 Linux syscall table: every number named, each either answered by a family's
// handler, run by the host kernel (pass-through, decided in the seccomp filter), refused
// by the filter, or answered ENOSYS by the sentry. docs/syscalls.md is generated from it.

import { E } from '../../abi/errno.js';
import type { SupportLevel, SyscallClass, SyscallEntry, SyscallHandler, SyscallTable } from '../../sentry/syscall.js';
import { dirSyscalls } from './dir.js';
import { fdSyscalls } from './fd.js';
import { fileSyscalls } from './fs.js';
import { idSyscalls } from './id.js';
import { ioctlSyscalls } from './ioctl.js';
import { miscSyscalls } from './misc.js';
import { pipeSyscalls } from './pipe.js';
import { pollSyscalls } from './poll.js';
import { processSyscalls } from './process.js';
import { resourceSyscalls } from './resource.js';
import { signalSyscalls } from './signal.js';
import { statSyscalls } from './stat.js';
import { threadSyscalls } from './threads.js';
import { timeSyscalls } from './time.js';
import { utsSyscalls } from './uts.js';
import { X86_64_SYSCALL_NAMES } from './x86-64-names.js';
import { xattrSyscalls } from './xattr.js';

const handlers: Record<string, SyscallHandler> = {
  ...fileSyscalls,
  ...fdSyscalls,
  ...dirSyscalls,
  ...statSyscalls,
  ...pipeSyscalls,
  ...pollSyscalls,
  ...ioctlSyscalls,
  ...xattrSyscalls,
  ...processSyscalls,
  ...signalSyscalls,
  ...idSyscalls,
  ...utsSyscalls,
  ...timeSyscalls,
  ...resourceSyscalls,
  ...miscSyscalls,
  ...threadSyscalls,
};

/**
 * Run by the host kernel without a stop: they act on the task's own memory, signal
 * state and scheduling, and name no path, fd, pid or uid.
 */
const PASSTHROUGH: Record<string, string | undefined> = {
  mprotect: undefined, munmap: undefined, madvise: undefined, mremap: undefined, msync: undefined,
  mincore: undefined, mlock: undefined, munlock: undefined, mlockall: undefined, munlockall: undefined,
  mlock2: undefined, pkey_mprotect: undefined, pkey_alloc: undefined, pkey_free: undefined,
  rt_sigprocmask: undefined, rt_sigreturn: undefined, sigaltstack: undefined, rt_sigpending: undefined,
  rt_sigsuspend: undefined, pause: undefined,
  futex: 'the filter stops the PI operations for the sentry, which keeps their waiters (no priority is inherited); FUTEX_WAIT_REQUEUE_PI and FUTEX_CMP_REQUEUE_PI are ENOSYS',
  futex_waitv: undefined, sched_yield: undefined, arch_prctl: undefined, rseq: undefined,
  clock_gettime: undefined, getrandom: undefined, exit: undefined, exit_group: undefined,
  restart_syscall: undefined, getcpu: undefined, membarrier: undefined, alarm: undefined,
  getitimer: undefined, setitimer: undefined, timer_create: undefined, timer_settime: undefined,
  timer_gettime: undefined, timer_getoverrun: undefined, timer_delete: undefined,
};

/** Refused by the filter, as gVisor refuses them: the errno they get. */
const REFUSED: Record<string, number> = {
  ptrace: E.EPERM, process_vm_readv: E.EPERM, process_vm_writev: E.EPERM, kcmp: E.EPERM,
  bpf: E.EPERM, perf_event_open: E.ENODEV, io_uring_setup: E.ENOSYS, io_uring_enter: E.ENOSYS,
  io_uring_register: E.ENOSYS, keyctl: E.ENOSYS, add_key: E.ENOSYS, request_key: E.ENOSYS,
  kexec_load: E.EPERM, kexec_file_load: E.EPERM, init_module: E.EPERM, finit_module: E.EPERM,
  delete_module: E.EPERM, create_module: E.ENOSYS, get_kernel_syms: E.ENOSYS, query_module: E.ENOSYS,
  reboot: E.EPERM, swapon: E.EPERM, swapoff: E.EPERM, acct: E.EPERM, quotactl: E.EPERM,
  quotactl_fd: E.EPERM, iopl: E.EPERM, ioperm: E.EPERM, modify_ldt: E.EPERM, vhangup: E.EPERM,
  settimeofday: E.EPERM, clock_settime: E.EPERM, adjtimex: E.EPERM, clock_adjtime: E.EPERM,
  syslog: E.EPERM, uselib: E.ENOSYS, nfsservctl: E.ENOSYS, lookup_dcookie: E.EPERM,
  userfaultfd: E.ENOSYS, fanotify_init: E.ENOSYS, fanotify_mark: E.ENOSYS,
  open_by_handle_at: E.EPERM, name_to_handle_at: E.EOPNOTSUPP, mount: E.EPERM, umount2: E.EPERM,
  pivot_root: E.EPERM, unshare: E.EPERM, setns: E.EPERM,
  fsopen: E.EPERM, fsmount: E.EPERM, fsconfig: E.EPERM, fspick: E.EPERM, move_mount: E.EPERM,
  open_tree: E.EPERM, open_tree_attr: E.EPERM, mount_setattr: E.EPERM, statmount: E.ENOSYS,
  listmount: E.ENOSYS, pidfd_getfd: E.EPERM, process_madvise: E.EPERM, process_mrelease: E.EPERM,
  move_pages: E.EPERM, migrate_pages: E.EPERM, mbind: E.EPERM, set_mempolicy: E.EPERM,
  set_mempolicy_home_node: E.EPERM, get_mempolicy: E.ENOSYS, lsm_get_self_attr: E.ENOSYS,
  lsm_set_self_attr: E.ENOSYS, lsm_list_modules: E.ENOSYS, landlock_create_ruleset: E.ENOSYS,
  landlock_add_rule: E.ENOSYS, landlock_restrict_self: E.ENOSYS, map_shadow_stack: E.ENOSYS,
  clone3: E.ENOSYS, vserver: E.ENOSYS, afs_syscall: E.ENOSYS, tuxcall: E.ENOSYS,
  security: E.ENOSYS, getpmsg: E.ENOSYS, putpmsg: E.ENOSYS, _sysctl: E.ENOSYS,
  personality: E.EPERM, ustat: E.ENOSYS, sysfs: E.ENOSYS,
};

/** Handlers that implement only part of the call, and what is missing. */
const PARTIAL: Record<string, string> = {
  clone: 'CLONE_NEW* is EPERM; CLONE_PIDFD, CLONE_PTRACE and CLONE_UNTRACED are EINVAL',
  wait4: 'rusage has user and system time and ru_maxrss; the other counters are zero',
  waitid: 'P_PIDFD is EINVAL; rusage has times and ru_maxrss only',
  getrusage: 'RUSAGE_CHILDREN has times and ru_maxrss only',
  sysinfo: 'load averages and process count are not the sandbox\'s',
  prctl: 'names, dumpable, no_new_privs, seccomp, capability bounding set, timer slack',
  mmap: 'anonymous mappings pass through; MAP_PRIVATE file mappings are copies filled from the file; MAP_SHARED maps the host file behind the contents for real (the host file of a bind mount, a host memfd for memory files), given to the task by SCM_RIGHTS',
  clock_nanosleep: 'no CPU-time clocks',
  sched_setparam: "real-time priorities are bounded by the host's limits, not the sandbox's RLIMIT_RTPRIO",
  sched_setscheduler: "real-time policies are bounded by the host's limits, not the sandbox's RLIMIT_RTPRIO",
};

function makeEntry(nr: number, name: string): SyscallEntry {
  if (name in PASSTHROUGH) {
    const note = PASSTHROUGH[name];
    // A handler of a pass-through call answers what the filter stops by its arguments (futex).
    const handler = name in handlers ? { handler: handlers[name]! } : {};
    return { nr, name, class: 'passthrough', support: note ? 'partial' : 'supported', ...(note ? { note } : {}), ...handler };
  }
  if (name in REFUSED) return { nr, name, class: 'refused', support: 'refused', errno: REFUSED[name] };
  if (name === 'mmap') {
    // The filter lets anonymous mmap through by its flags; file mappings stop here.
    return { nr, name, class: 'trap', support: 'partial', handler: handlers.mmap!, note: PARTIAL.mmap! };
  }
  const handler = handlers[name];
  if (!handler) return { nr, name, class: 'trap', support: 'unsupported' };
  const note = PARTIAL[name];
  const support: SupportLevel = note ? 'partial' : 'supported';
  const cls: SyscallClass = 'trap';
  return { nr, name, class: cls, support, handler, ...(note ? { note } : {}) };
}

const entries: SyscallEntry[] = [];
X86_64_SYSCALL_NAMES.forEach((name, nr) => {
  if (name) entries[nr] = makeEntry(nr, name);
});

export const linuxX86_64Table: SyscallTable = {
  arch: 'linux/x86_64',
  entry: (nr) => entries[nr],
  entries: () => entries.filter((e): e is SyscallEntry => e !== undefined),
};
