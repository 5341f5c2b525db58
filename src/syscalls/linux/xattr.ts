// Extended attribute syscalls: get/set/list/remove by path (following symlinks or not)
// and by fd.

import { E, SysError, fail } from '../../abi/errno.js';
import { AT } from '../../abi/linux-fcntl.js';
import type { SyscallHandler, SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription } from '../../vfs/api.js';
import { int32, pointer, size, uint32 } from './decode.js';
import { openFile, readPath } from './task-files.js';

const XATTR_NAME_MAX = 255;
const XATTR_SIZE_MAX = 65536;
const XATTR_LIST_MAX = 65536;
const XATTR_CREATE = 1;
const XATTR_REPLACE = 2;

/** An attribute name: ERANGE when empty or longer than XATTR_NAME_MAX, as Linux says. */
function readName(task: SyscallTask, addr: bigint): string {
  let name: string;
  try {
    name = task.mem.readCString(addr, XATTR_NAME_MAX + 1);
  } catch (e) {
    if (e instanceof SysError && e.errno === E.ENAMETOOLONG) fail(E.ERANGE);
    throw e;
  }
  if (name.length === 0 || name.length > XATTR_NAME_MAX) fail(E.ERANGE);
  return name;
}

/** The target of one call: a path (with AT_SYMLINK_NOFOLLOW for the l* forms) or an fd. */
type Target =
  | { kind: 'path'; path: string; flags: number }
  | { kind: 'fd'; file: FileDescription };

function pathTarget(task: SyscallTask, addr: bigint, follow: boolean): Target {
  const path = readPath(task, addr);
  return { kind: 'path', path, flags: follow ? 0 : AT.SYMLINK_NOFOLLOW };
}

function fdTarget(task: SyscallTask, reg: bigint): Target {
  return { kind: 'fd', file: openFile(task, int32(reg)) };
}

function getValue(task: SyscallTask, target: Target, name: string): Uint8Array {
  if (target.kind === 'fd') return target.file.getxattr(task.fs, name);
  return task.kernel.vfs.getxattr(task.fs, undefined, target.path, name, target.flags);
}

function get(task: SyscallTask, target: Target, nameAddr: bigint, valueAddr: bigint, sizeReg: bigint): number {
  const name = readName(task, nameAddr);
  const room = size(sizeReg) > BigInt(XATTR_SIZE_MAX) ? XATTR_SIZE_MAX : Number(size(sizeReg));
  const value = getValue(task, target, name);
  if (room === 0) return value.length;
  if (value.length > room) return -E.ERANGE;
  if (value.length > 0) task.mem.write(valueAddr, value);
  return value.length;
}

function set(task: SyscallTask, target: Target, nameAddr: bigint, valueAddr: bigint, sizeReg: bigint, flagsReg: bigint): number {
  const xflags = uint32(flagsReg);
  if ((xflags & ~(XATTR_CREATE | XATTR_REPLACE)) !== 0) return -E.EINVAL;
  const name = readName(task, nameAddr);
  const length = size(sizeReg);
  if (length > BigInt(XATTR_SIZE_MAX)) return -E.E2BIG;
  const value = length === 0n ? new Uint8Array(0) : task.mem.read(valueAddr, Number(length));
  if (target.kind === 'fd') target.file.setxattr(task.fs, name, value, xflags);
  else task.kernel.vfs.setxattr(task.fs, undefined, target.path, name, value, xflags, target.flags);
  return 0;
}

function list(task: SyscallTask, target: Target, listAddr: bigint, sizeReg: bigint): number {
  const names = target.kind === 'fd' ? target.file.listxattr(task.fs) : task.kernel.vfs.listxattr(task.fs, undefined, target.path, target.flags);
  const out = Buffer.from(names.map((n) => n + '\0').join(''), 'latin1');
  const room = size(sizeReg) > BigInt(XATTR_LIST_MAX) ? XATTR_LIST_MAX : Number(size(sizeReg));
  if (room === 0) return out.length;
  if (out.length > room) return -E.ERANGE;
  if (out.length > 0) task.mem.write(listAddr, out);
  return out.length;
}

function remove(task: SyscallTask, target: Target, nameAddr: bigint): number {
  const name = readName(task, nameAddr);
  if (target.kind === 'fd') target.file.removexattr(task.fs, name);
  else task.kernel.vfs.removexattr(task.fs, undefined, target.path, name, target.flags);
  return 0;
}

export const xattrSyscalls = {
  getxattr: (task, a) => get(task, pathTarget(task, pointer(a[0]), true), pointer(a[1]), pointer(a[2]), a[3]),
  lgetxattr: (task, a) => get(task, pathTarget(task, pointer(a[0]), false), pointer(a[1]), pointer(a[2]), a[3]),
  fgetxattr: (task, a) => get(task, fdTarget(task, a[0]), pointer(a[1]), pointer(a[2]), a[3]),
  setxattr: (task, a) => set(task, pathTarget(task, pointer(a[0]), true), pointer(a[1]), pointer(a[2]), a[3], a[4]),
  lsetxattr: (task, a) => set(task, pathTarget(task, pointer(a[0]), false), pointer(a[1]), pointer(a[2]), a[3], a[4]),
  fsetxattr: (task, a) => set(task, fdTarget(task, a[0]), pointer(a[1]), pointer(a[2]), a[3], a[4]),
  listxattr: (task, a) => list(task, pathTarget(task, pointer(a[0]), true), pointer(a[1]), a[2]),
  llistxattr: (task, a) => list(task, pathTarget(task, pointer(a[0]), false), pointer(a[1]), a[2]),
  flistxattr: (task, a) => list(task, fdTarget(task, a[0]), pointer(a[1]), a[2]),
  removexattr: (task, a) => remove(task, pathTarget(task, pointer(a[0]), true), pointer(a[1])),
  lremovexattr: (task, a) => remove(task, pathTarget(task, pointer(a[0]), false), pointer(a[1])),
  fremovexattr: (task, a) => remove(task, fdTarget(task, a[0]), pointer(a[1])),
} satisfies Record<string, SyscallHandler>;
