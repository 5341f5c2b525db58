// `--strace`: one line per trapped syscall with its arguments decoded and its result, in
// the spirit of `runsc --strace` (paths and buffers as strings, fds, flags, errno names).

import { errnoMessage, errnoName } from '../../abi/errno.js';
import type { SyscallArgs, SyscallResult, SyscallTable, SyscallTask } from '../../sentry/kernel/syscall.js';
import { SOCK } from '../../abi/linux-socket.js';
import { describeSockaddr, familyName } from './sockaddr.js';

/** How to show one argument. */
type ArgKind =
  | 'fd' // int, AT_FDCWD named
  | 'int' // 32-bit signed
  | 'long' // 64-bit signed
  | 'hex'
  | 'oct'
  | 'path' // NUL-terminated string in memory
  | 'in' // buffer the caller passes in, length in the next argument
  | 'out' // buffer the call fills, length = result
  | 'argv' // NULL-terminated string array
  | 'sig'
  | 'af' // an address family
  | 'socktype' // a socket type with SOCK_NONBLOCK/SOCK_CLOEXEC
  | 'sockaddr' // a sockaddr the caller passes, length in the next argument
  | 'sockaddr-out'; // a sockaddr the call fills, its length behind the pointer in the next argument

const AT_FDCWD = -100;
const MAX_SHOWN = 64;

const FORMATS: Record<string, readonly ArgKind[]> = {
  read: ['fd', 'out', 'long'],
  write: ['fd', 'in', 'long'],
  pread64: ['fd', 'out', 'long', 'long'],
  pwrite64: ['fd', 'in', 'long', 'long'],
  open: ['path', 'hex', 'oct'],
  openat: ['fd', 'path', 'hex', 'oct'],
  creat: ['path', 'oct'],
  close: ['fd'],
  stat: ['path', 'hex'],
  lstat: ['path', 'hex'],
  fstat: ['fd', 'hex'],
  newfstatat: ['fd', 'path', 'hex', 'hex'],
  statx: ['fd', 'path', 'hex', 'hex', 'hex'],
  access: ['path', 'oct'],
  faccessat: ['fd', 'path', 'oct'],
  faccessat2: ['fd', 'path', 'oct', 'hex'],
  readlink: ['path', 'out', 'long'],
  readlinkat: ['fd', 'path', 'out', 'int'],
  chdir: ['path'],
  fchdir: ['fd'],
  mkdir: ['path', 'oct'],
  mkdirat: ['fd', 'path', 'oct'],
  rmdir: ['path'],
  unlink: ['path'],
  unlinkat: ['fd', 'path', 'hex'],
  rename: ['path', 'path'],
  renameat: ['fd', 'path', 'fd', 'path'],
  renameat2: ['fd', 'path', 'fd', 'path', 'hex'],
  symlink: ['path', 'path'],
  symlinkat: ['path', 'fd', 'path'],
  link: ['path', 'path'],
  linkat: ['fd', 'path', 'fd', 'path', 'hex'],
  chmod: ['path', 'oct'],
  fchmodat: ['fd', 'path', 'oct'],
  chown: ['path', 'int', 'int'],
  fchownat: ['fd', 'path', 'int', 'int', 'hex'],
  truncate: ['path', 'long'],
  getdents64: ['fd', 'hex', 'int'],
  lseek: ['fd', 'long', 'int'],
  dup: ['fd'],
  dup2: ['fd', 'fd'],
  dup3: ['fd', 'fd', 'hex'],
  fcntl: ['fd', 'int', 'hex'],
  ioctl: ['fd', 'hex', 'hex'],
  pipe: ['hex'],
  pipe2: ['hex', 'hex'],
  execve: ['path', 'argv', 'hex'],
  execveat: ['fd', 'path', 'argv', 'hex', 'hex'],
  wait4: ['int', 'hex', 'hex', 'hex'],
  kill: ['int', 'sig'],
  tkill: ['int', 'sig'],
  tgkill: ['int', 'int', 'sig'],
  rt_sigaction: ['sig', 'hex', 'hex', 'int'],
  exit_group: ['int'],
  clone: ['hex', 'hex', 'hex', 'hex', 'hex'],
  getcwd: ['out', 'int'],
  sethostname: ['in', 'int'],
  unshare: ['hex'],
  setns: ['fd', 'hex'],
  personality: ['hex'],
  umask: ['oct'],
  exit: ['int'],
  brk: ['hex'],
  uname: ['hex'],
  set_tid_address: ['hex'],
  prlimit64: ['int', 'int', 'hex', 'hex'],
  socket: ['af', 'socktype', 'int'],
  socketpair: ['af', 'socktype', 'int', 'hex'],
  bind: ['fd', 'sockaddr', 'int'],
  connect: ['fd', 'sockaddr', 'int'],
  listen: ['fd', 'int'],
  accept: ['fd', 'sockaddr-out', 'hex'],
  accept4: ['fd', 'sockaddr-out', 'hex', 'hex'],
  getsockname: ['fd', 'sockaddr-out', 'hex'],
  getpeername: ['fd', 'sockaddr-out', 'hex'],
  shutdown: ['fd', 'int'],
  sendto: ['fd', 'in', 'long', 'hex', 'sockaddr', 'int'],
  recvfrom: ['fd', 'out', 'long', 'hex', 'sockaddr-out', 'hex'],
  sendmsg: ['fd', 'hex', 'hex'],
  recvmsg: ['fd', 'hex', 'hex'],
  setsockopt: ['fd', 'int', 'int', 'hex', 'int'],
  getsockopt: ['fd', 'int', 'int', 'hex', 'hex'],
  // Calls without arguments: the registers hold whatever the caller left there.
  getpid: [],
  getppid: [],
  gettid: [],
  getuid: [],
  geteuid: [],
  getgid: [],
  getegid: [],
  getpgrp: [],
  setsid: [],
  fork: [],
  vfork: [],
  pause: [],
  sync: [],
};

function quote(bytes: Uint8Array, limit = MAX_SHOWN): string {
  let out = '"';
  for (const b of bytes.subarray(0, limit)) {
    if (b === 0x22 || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return `${out}"${bytes.length > limit ? '...' : ''}`;
}

function hex(value: bigint): string {
  return `0x${BigInt.asUintN(64, value).toString(16)}`;
}

/** Memory may be gone (the task exec'd or died): show the address instead. */
function safely(value: bigint, read: () => string): string {
  try {
    return read();
  } catch {
    return hex(value);
  }
}

function formatArg(task: SyscallTask, kind: ArgKind, value: bigint, next: bigint, result: SyscallResult | undefined): string {
  const int = Number(BigInt.asIntN(32, value));
  switch (kind) {
    case 'fd':
      return int === AT_FDCWD ? 'AT_FDCWD' : `${int}`;
    case 'int':
      return `${int}`;
    case 'long':
      return `${BigInt.asIntN(64, value)}`;
    case 'oct':
      return `0o${Number(value & 0xffffffffn).toString(8)}`;
    case 'sig':
      return `${int}`;
    case 'path':
      return value === 0n ? 'NULL' : safely(value, () => quote(Buffer.from(task.mem.readCString(value, 4096), 'latin1'), 256));
    case 'in': {
      const length = Math.min(Number(BigInt.asUintN(64, next)), MAX_SHOWN + 1);
      return safely(value, () => quote(task.mem.read(value, length)));
    }
    case 'out': {
      const n = result === undefined ? 0 : Number(result);
      if (n <= 0) return hex(value);
      return safely(value, () => quote(task.mem.read(value, Math.min(n, MAX_SHOWN + 1))));
    }
    case 'af':
      return familyName(int);
    case 'socktype': {
      const names = ['', 'SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW', 'SOCK_RDM', 'SOCK_SEQPACKET'];
      const parts = [names[int & 0xf] || String(int & 0xf)];
      if (int & SOCK.NONBLOCK) parts.push('SOCK_NONBLOCK');
      if (int & SOCK.CLOEXEC) parts.push('SOCK_CLOEXEC');
      return parts.join('|');
    }
    case 'sockaddr': {
      const length = Number(BigInt.asIntN(32, next));
      if (value === 0n) return 'NULL';
      return safely(value, () => describeSockaddr(task.mem.read(value, Math.max(0, Math.min(length, 128)))));
    }
    case 'sockaddr-out': {
      if (value === 0n || next === 0n || result === undefined || BigInt(result) < 0n) return hex(value);
      return safely(value, () => describeSockaddr(task.mem.read(value, Math.max(0, Math.min(task.mem.read(next, 4).readInt32LE(0), 128)))));
    }
    case 'argv':
      return value === 0n
        ? 'NULL'
        : safely(value, () => {
            const parts: string[] = [];
            for (let i = 0; i < 16; i++) {
              const ptr = task.mem.read(value + BigInt(i * 8), 8).readBigUInt64LE(0);
              if (ptr === 0n) return `[${parts.join(', ')}]`;
              parts.push(quote(Buffer.from(task.mem.readCString(ptr, 4096), 'latin1'), 64));
            }
            return `[${parts.join(', ')}, ...]`;
          });
    default:
      return hex(value);
  }
}

function formatResult(result: SyscallResult | undefined): string {
  if (result === undefined) return '?';
  const n = typeof result === 'bigint' ? BigInt.asIntN(64, result) : BigInt(result);
  if (n < 0n && n > -4096n) {
    const errno = Number(-n);
    return `-1 ${errnoName(errno)} (${errnoMessage(errno)})`;
  }
  return n > 0xffffn ? `${n} (${hex(n)})` : `${n}`;
}

/** A line for one syscall: `[pid:tid] name(args) = result`. */
export function formatSyscall(table: SyscallTable, task: SyscallTask, nr: number, args: SyscallArgs, result: SyscallResult | undefined): string {
  const name = table.entry(nr)?.name ?? `syscall_${nr}`;
  const kinds = FORMATS[name] ?? ['hex', 'hex', 'hex'];
  const shown = kinds.map((kind, i) => formatArg(task, kind, args[i]!, args[i + 1] ?? 0n, result));
  const who = `[${String(task.pid).padStart(4)}:${String(task.tid).padStart(4)}]`;
  return `${who} ${name}(${shown.join(', ')}) = ${formatResult(result)}`;
}
