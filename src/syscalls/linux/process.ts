// Process syscalls: clone/clone3/fork/vfork, execve, wait4/waitid, the ids of the process tree.
// The process model is the sentry's (ProcessControl); this file is the x86-64 ABI of it.

import { E, fail, isSysError } from '../../abi/errno.js';
import { AT, AT_FDCWD, O } from '../../abi/linux-fcntl.js';
import { CLONE } from '../../abi/linux-clone.js';
import { SIG, SIGINFO_OFFSET, SIGINFO_SIZE, writeSiginfoSender } from '../../abi/linux-signal.js';
import { idForTask } from '../../sentry/kernel/credentials.js';
import { WAIT } from '../../sentry/kernel/job-control.js';
import { childStateCode } from '../../sentry/kernel/signal-senders.js';
import { type ChildState, type SyscallArgs, type SyscallHandler, type SyscallTask, type HostCall } from '../../sentry/kernel/syscall.js';
import { int32, pointer, uint32 } from './decode.js';
import { anyFile, readPath, startDir } from './task-files.js';
import { readCloneArgs } from './clone-args.js';
import { RUSAGE_SIZE, rusageBytes } from './rusage.js';

/** Linux's MAX_ARG_STRINGS and MAX_ARG_STRLEN. */
const MAX_ARG_STRINGS = 0x7fffffff;
const MAX_ARG_STRLEN = 32 * 4096;
const MAX_ARG_TOTAL = 2 * 1024 * 1024;
const { NOHANG: WNOHANG, UNTRACED: WUNTRACED, EXITED: WEXITED, CONTINUED: WCONTINUED, NOWAIT: WNOWAIT } = WAIT;
/** __WALL and __WCLONE: which children a wait is for, by their exit signal. */
const WAIT_KIND = WAIT.ALL | WAIT.CLONE;
const WAIT_FLAGS = 0x20000000 | WAIT_KIND; // __WNOTHREAD too
const P = { ALL: 0, PID: 1, PGID: 2, PIDFD: 3 } as const;

function clone(task: SyscallTask, args: SyscallArgs): HostCall {
  // x86-64 clone(flags, stack, parent_tid, child_tid, tls).
  return task.process.clone(args[0], args[1], args[2], args[3], args[4]);
}

/** clone3(cl_args, size): the same clone as clone(2), from struct clone_args. */
function clone3(task: SyscallTask, args: SyscallArgs): HostCall {
  const cl = readCloneArgs(task, pointer(args[0]), args[1]);
  return task.process.clone(cl.flags, cl.stack, cl.parentTid, cl.childTid, cl.tls, cl.pidfd, cl.setTid);
}

function fork(task: SyscallTask): HostCall {
  return task.process.clone(BigInt(SIG.CHLD), 0n, 0n, 0n, 0n);
}

function vfork(task: SyscallTask): HostCall {
  return task.process.clone(CLONE.VM | CLONE.VFORK | BigInt(SIG.CHLD), 0n, 0n, 0n, 0n);
}

/** A NULL-terminated array of string pointers (argv, envp). */
function readStringArray(task: SyscallTask, addr: bigint, budget: { left: number }): string[] {
  const out: string[] = [];
  if (addr === 0n) return out;
  for (let i = 0; i < MAX_ARG_STRINGS; i++) {
    const ptr = task.mem.read(addr + BigInt(i * 8), 8).readBigUInt64LE(0);
    if (ptr === 0n) return out;
    let s: string;
    try {
      s = task.mem.readCString(ptr, MAX_ARG_STRLEN);
    } catch (e) {
      if (isSysError(e) && e.errno === E.ENAMETOOLONG) fail(E.E2BIG);
      throw e;
    }
    budget.left -= s.length + 1 + 8;
    if (budget.left < 0) fail(E.E2BIG);
    out.push(s);
  }
  fail(E.E2BIG);
}

function doExecve(task: SyscallTask, dirfd: number, pathAddr: bigint, argvAddr: bigint, envpAddr: bigint, flags: number): ReturnType<SyscallTask['process']['execve']> {
  if (flags & ~(AT.EMPTY_PATH | AT.SYMLINK_NOFOLLOW)) fail(E.EINVAL);
  const path = readPath(task, pathAddr, (flags & AT.EMPTY_PATH) !== 0);
  const budget = { left: MAX_ARG_TOTAL };
  const argv = readStringArray(task, argvAddr, budget);
  const envp = readStringArray(task, envpAddr, budget);
  if (path === '') {
    // fexecve: the program is the file dirfd names.
    const file = anyFile(task, dirfd);
    return task.process.execve(file.location, '', argv, envp);
  }
  return task.process.execve(startDir(task, dirfd, path), path, argv, envp);
}

function execve(task: SyscallTask, args: SyscallArgs): ReturnType<SyscallTask['process']['execve']> {
  return doExecve(task, AT_FDCWD, pointer(args[0]), pointer(args[1]), pointer(args[2]), 0);
}

function execveat(task: SyscallTask, args: SyscallArgs): ReturnType<SyscallTask['process']['execve']> {
  return doExecve(task, int32(args[0]), pointer(args[1]), pointer(args[2]), pointer(args[3]), uint32(args[4]));
}

function writeStatus(task: SyscallTask, addr: bigint, status: number): void {
  if (addr === 0n) return;
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(status);
  task.mem.write(addr, buf);
}

/** struct rusage of the child a wait reports on: its own time and its reaped children's. */
function writeRusage(task: SyscallTask, addr: bigint, child: ChildState | undefined): void {
  if (addr !== 0n) task.mem.write(addr, child ? rusageBytes(child.times) : Buffer.alloc(RUSAGE_SIZE));
}

async function wait4(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const pid = int32(args[0]);
  const options = uint32(args[2]);
  if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | WAIT_FLAGS)) fail(E.EINVAL);
  if (pid === -2147483648) fail(E.ESRCH);
  const child = await task.process.wait(pid, (options & (WNOHANG | WUNTRACED | WCONTINUED | WAIT_KIND)) | WEXITED);
  if (!child) return 0;
  writeStatus(task, pointer(args[1]), child.status);
  writeRusage(task, pointer(args[3]), child);
  return child.pid;
}

/** siginfo_t for waitid: si_signo SIGCHLD, si_code CLD_*, si_pid, si_uid, si_status. */
function writeChildSiginfo(task: SyscallTask, addr: bigint, child: ChildState | undefined): void {
  if (addr === 0n) return;
  const info = Buffer.alloc(SIGINFO_SIZE);
  if (child) {
    info.writeInt32LE(SIG.CHLD, SIGINFO_OFFSET.signo);
    writeSiginfoSender(info, { pid: child.pid, uid: idForTask(task.creds, 'uid', child.uid), child: childStateCode(child.status) });
  }
  task.mem.write(addr, info);
}

async function waitid(task: SyscallTask, args: SyscallArgs): Promise<number> {
  const idtype = int32(args[0]);
  const id = int32(args[1]);
  const options = uint32(args[3]);
  if (options & ~(WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WAIT_FLAGS)) fail(E.EINVAL);
  if (!(options & (WEXITED | WUNTRACED | WCONTINUED))) fail(E.EINVAL);
  let pid: number;
  let nonblock = false;
  if (idtype === P.ALL) pid = -1;
  else if (idtype === P.PID) pid = id > 0 ? id : fail(E.EINVAL);
  else if (idtype === P.PGID) pid = id > 0 ? -id : 0;
  else if (idtype === P.PIDFD) {
    if (id < 0) fail(E.EINVAL);
    const pidfd = task.fds.get(id);
    // A reaped process is nobody's child any more.
    pid = task.process.pidfdProcess(pidfd) ?? fail(E.ECHILD);
    nonblock = (pidfd.statusFlags & O.NONBLOCK) !== 0;
  } else fail(E.EINVAL);
  // A non-blocking pidfd makes the wait WNOHANG, and a child not ready yet EAGAIN.
  const waitOptions = options & (WNOHANG | WNOWAIT | WEXITED | WUNTRACED | WCONTINUED | WAIT_KIND);
  const child = await task.process.wait(pid, nonblock ? waitOptions | WNOHANG : waitOptions);
  if (!child && nonblock && !(options & WNOHANG)) fail(E.EAGAIN);
  writeChildSiginfo(task, pointer(args[2]), child);
  writeRusage(task, pointer(args[4]), child);
  return 0;
}

function getpid(task: SyscallTask): number {
  return task.process.pid;
}

function getppid(task: SyscallTask): number {
  return task.process.ppid;
}

function gettid(task: SyscallTask): number {
  return task.process.tid;
}

function set_tid_address(task: SyscallTask): HostCall {
  return task.process.setTidAddress();
}

function getpgid(task: SyscallTask, args: SyscallArgs): number {
  return task.process.getpgid(int32(args[0]));
}

function getpgrp(task: SyscallTask): number {
  return task.process.pgid;
}

function setpgid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setpgid(int32(args[0]), int32(args[1]));
  return 0;
}

function getsid(task: SyscallTask, args: SyscallArgs): number {
  return task.process.getsid(int32(args[0]));
}

function setsid(task: SyscallTask): number {
  return task.process.setsid();
}

export const processSyscalls = {
  clone,
  clone3,
  fork,
  vfork,
  execve,
  execveat,
  wait4,
  waitid,
  getpid,
  getppid,
  gettid,
  set_tid_address,
  getpgid,
  getpgrp,
  setpgid,
  getsid,
  setsid,
} satisfies Record<string, SyscallHandler>;
