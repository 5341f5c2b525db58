// Identity syscalls: the task's uids, gids, groups and capabilities are the sentry's.

import { E, fail } from '../../abi/errno.js';
import {
  capset as applyCapset, setfsgid as applyFsgid, setfsuid as applyFsuid, setgid as applySetgid,
  setgroups as applySetgroups, setregid as applySetregid, setresgid as applySetresgid,
  setresuid as applySetresuid, setreuid as applySetreuid, setuid as applySetuid,
} from '../../sentry/credentials.js';
import type { SyscallArgs, SyscallHandler, SyscallTask } from '../../sentry/syscall.js';
import { id, int32, pointer, uint32 } from './decode.js';

const NGROUPS_MAX = 65536;
const LINUX_CAPABILITY_VERSION_1 = 0x19980330;
const LINUX_CAPABILITY_VERSION_2 = 0x20071026;
const LINUX_CAPABILITY_VERSION_3 = 0x20080522;

const getuid = (task: SyscallTask): number => task.creds.ruid;
const geteuid = (task: SyscallTask): number => task.creds.euid;
const getgid = (task: SyscallTask): number => task.creds.rgid;
const getegid = (task: SyscallTask): number => task.creds.egid;

function writeIds(task: SyscallTask, addrs: readonly bigint[], values: readonly number[]): number {
  addrs.forEach((addr, i) => {
    const buf = Buffer.alloc(4);
    buf.writeUInt32LE(values[i]!);
    task.mem.write(pointer(addr), buf);
  });
  return 0;
}

function getresuid(task: SyscallTask, args: SyscallArgs): number {
  const c = task.creds;
  return writeIds(task, args.slice(0, 3), [c.ruid, c.euid, c.suid]);
}

function getresgid(task: SyscallTask, args: SyscallArgs): number {
  const c = task.creds;
  return writeIds(task, args.slice(0, 3), [c.rgid, c.egid, c.sgid]);
}

function setuid(task: SyscallTask, args: SyscallArgs): number {
  if (id(args[0]) === -1) fail(E.EINVAL);
  task.process.setCredentials(applySetuid(task.creds, id(args[0])));
  return 0;
}

function setgid(task: SyscallTask, args: SyscallArgs): number {
  if (id(args[0]) === -1) fail(E.EINVAL);
  task.process.setCredentials(applySetgid(task.creds, id(args[0])));
  return 0;
}

function setreuid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetreuid(task.creds, id(args[0]), id(args[1])));
  return 0;
}

function setregid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetregid(task.creds, id(args[0]), id(args[1])));
  return 0;
}

function setresuid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetresuid(task.creds, id(args[0]), id(args[1]), id(args[2])));
  return 0;
}

function setresgid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetresgid(task.creds, id(args[0]), id(args[1]), id(args[2])));
  return 0;
}

function setfsuid(task: SyscallTask, args: SyscallArgs): number {
  const previous = task.creds.fsuid;
  task.process.setCredentials(applyFsuid(task.creds, uint32(args[0])));
  return previous;
}

function setfsgid(task: SyscallTask, args: SyscallArgs): number {
  const previous = task.creds.fsgid;
  task.process.setCredentials(applyFsgid(task.creds, uint32(args[0])));
  return previous;
}

function getgroups(task: SyscallTask, args: SyscallArgs): number {
  const size = int32(args[0]);
  const groups = task.creds.groups;
  if (size < 0) fail(E.EINVAL);
  if (size === 0) return groups.length;
  if (size < groups.length) fail(E.EINVAL);
  const buf = Buffer.alloc(groups.length * 4);
  groups.forEach((g, i) => buf.writeUInt32LE(g, i * 4));
  task.mem.write(pointer(args[1]), buf);
  return groups.length;
}

function setgroups(task: SyscallTask, args: SyscallArgs): number {
  const size = int32(args[0]);
  if (size < 0 || size > NGROUPS_MAX) fail(E.EINVAL);
  const raw = task.mem.read(pointer(args[1]), size * 4);
  const groups = Array.from({ length: size }, (_, i) => raw.readUInt32LE(i * 4));
  task.process.setCredentials(applySetgroups(task.creds, groups));
  return 0;
}

/** The version field decides how many 32-bit halves the data has (v1: one, v2/v3: two). */
function capVersion(task: SyscallTask, header: bigint): { words: number; pid: number } {
  const raw = task.mem.read(header, 8);
  const version = raw.readUInt32LE(0);
  const pid = raw.readInt32LE(4);
  if (version === LINUX_CAPABILITY_VERSION_1) return { words: 1, pid };
  if (version === LINUX_CAPABILITY_VERSION_2 || version === LINUX_CAPABILITY_VERSION_3) return { words: 2, pid };
  const fix = Buffer.alloc(4);
  fix.writeUInt32LE(LINUX_CAPABILITY_VERSION_3);
  task.mem.write(header, fix);
  fail(E.EINVAL);
}

function capget(task: SyscallTask, args: SyscallArgs): number {
  const { words, pid } = capVersion(task, pointer(args[0]));
  if (pid < 0) fail(E.EINVAL);
  if (pid !== 0 && pid !== task.pid) fail(E.ESRCH);
  const data = pointer(args[1]);
  if (data === 0n) return 0;
  const c = task.creds;
  const out = Buffer.alloc(12 * words);
  for (let w = 0; w < words; w++) {
    const shift = BigInt(32 * w);
    out.writeUInt32LE(Number((c.effective >> shift) & 0xffffffffn), 12 * w);
    out.writeUInt32LE(Number((c.permitted >> shift) & 0xffffffffn), 12 * w + 4);
    out.writeUInt32LE(Number((c.inheritable >> shift) & 0xffffffffn), 12 * w + 8);
  }
  task.mem.write(data, out);
  return 0;
}

function capset(task: SyscallTask, args: SyscallArgs): number {
  const { words, pid } = capVersion(task, pointer(args[0]));
  if (pid !== 0 && pid !== task.pid) fail(E.EPERM);
  const raw = task.mem.read(pointer(args[1]), 12 * words);
  let effective = 0n;
  let permitted = 0n;
  let inheritable = 0n;
  for (let w = 0; w < words; w++) {
    const shift = BigInt(32 * w);
    effective |= BigInt(raw.readUInt32LE(12 * w)) << shift;
    permitted |= BigInt(raw.readUInt32LE(12 * w + 4)) << shift;
    inheritable |= BigInt(raw.readUInt32LE(12 * w + 8)) << shift;
  }
  task.process.setCredentials(applyCapset(task.creds, effective, permitted, inheritable));
  return 0;
}

export const idSyscalls = {
  getuid,
  geteuid,
  getgid,
  getegid,
  getresuid,
  getresgid,
  setuid,
  setgid,
  setreuid,
  setregid,
  setresuid,
  setresgid,
  setfsuid,
  setfsgid,
  getgroups,
  setgroups,
  capget,
  capset,
} satisfies Record<string, SyscallHandler>;
