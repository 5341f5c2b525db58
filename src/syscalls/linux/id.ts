// Identity syscalls: the task's uids, gids, groups and capabilities are the sentry's.

import { E, fail } from '../../abi/errno.js';
import { isValidCap, LINUX_CAPABILITY_VERSION, SECBIT } from '../../abi/linux-capability.js';
import {
  capset as applyCapset, dropBounding, idForTask, idFromTask, lowerAmbient, raiseAmbient, setfsgid as applyFsgid,
  setfsuid as applyFsuid, setgid as applySetgid, setgroups as applySetgroups, setKeepCaps,
  setregid as applySetregid, setresgid as applySetresgid, setresuid as applySetresuid,
  setreuid as applySetreuid, setSecurebits, setuid as applySetuid,
} from '../../sentry/kernel/credentials.js';
import type { SyscallArgs, SyscallHandler, SyscallTask, TaskCredentials } from '../../sentry/kernel/syscall.js';
import { id, int32, pointer, uint32 } from './decode.js';

const NGROUPS_MAX = 65536;

// Ids cross the boundary in the caller's user namespace: sandbox ids out as it sees them
// (65534 when unmapped), its ids in as sandbox ids (EINVAL when unmapped).
const uidOut = (task: SyscallTask, uid: number): number => idForTask(task.creds, 'uid', uid);
const gidOut = (task: SyscallTask, gid: number): number => idForTask(task.creds, 'gid', gid);
const uidIn = (task: SyscallTask, reg: bigint): number => idFromTask(task.creds, 'uid', id(reg));
const gidIn = (task: SyscallTask, reg: bigint): number => idFromTask(task.creds, 'gid', id(reg));

const getuid = (task: SyscallTask): number => uidOut(task, task.creds.ruid);
const geteuid = (task: SyscallTask): number => uidOut(task, task.creds.euid);
const getgid = (task: SyscallTask): number => gidOut(task, task.creds.rgid);
const getegid = (task: SyscallTask): number => gidOut(task, task.creds.egid);

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
  return writeIds(task, args.slice(0, 3), [c.ruid, c.euid, c.suid].map((u) => uidOut(task, u)));
}

function getresgid(task: SyscallTask, args: SyscallArgs): number {
  const c = task.creds;
  return writeIds(task, args.slice(0, 3), [c.rgid, c.egid, c.sgid].map((g) => gidOut(task, g)));
}

function setuid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetuid(task.creds, uidIn(task, args[0])));
  return 0;
}

function setgid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetgid(task.creds, gidIn(task, args[0])));
  return 0;
}

function setreuid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetreuid(task.creds, uidIn(task, args[0]), uidIn(task, args[1])));
  return 0;
}

function setregid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetregid(task.creds, gidIn(task, args[0]), gidIn(task, args[1])));
  return 0;
}

function setresuid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetresuid(task.creds, uidIn(task, args[0]), uidIn(task, args[1]), uidIn(task, args[2])));
  return 0;
}

function setresgid(task: SyscallTask, args: SyscallArgs): number {
  task.process.setCredentials(applySetresgid(task.creds, gidIn(task, args[0]), gidIn(task, args[1]), gidIn(task, args[2])));
  return 0;
}

/** setfsuid(2)/setfsgid(2): an id the caller's namespace does not map changes nothing. */
function setfsuid(task: SyscallTask, args: SyscallArgs): number {
  const previous = uidOut(task, task.creds.fsuid);
  const uid = task.creds.userNs.toKernel('uid', uint32(args[0]));
  if (uid !== undefined) task.process.setCredentials(applyFsuid(task.creds, uid));
  return previous;
}

function setfsgid(task: SyscallTask, args: SyscallArgs): number {
  const previous = gidOut(task, task.creds.fsgid);
  const gid = task.creds.userNs.toKernel('gid', uint32(args[0]));
  if (gid !== undefined) task.process.setCredentials(applyFsgid(task.creds, gid));
  return previous;
}

function getgroups(task: SyscallTask, args: SyscallArgs): number {
  const size = int32(args[0]);
  const groups = task.creds.groups;
  if (size < 0) fail(E.EINVAL);
  if (size === 0) return groups.length;
  if (size < groups.length) fail(E.EINVAL);
  const buf = Buffer.alloc(groups.length * 4);
  groups.forEach((g, i) => buf.writeUInt32LE(gidOut(task, g), i * 4));
  task.mem.write(pointer(args[1]), buf);
  return groups.length;
}

function setgroups(task: SyscallTask, args: SyscallArgs): number {
  const size = int32(args[0]);
  if (size < 0 || size > NGROUPS_MAX) fail(E.EINVAL);
  const raw = task.mem.read(pointer(args[1]), size * 4);
  const groups = Array.from({ length: size }, (_, i) => idFromTask(task.creds, 'gid', raw.readUInt32LE(i * 4)));
  task.process.setCredentials(applySetgroups(task.creds, groups));
  return 0;
}

/**
 * The capget/capset header: the version decides how many 32-bit words each set has (v1:
 * one, v2/v3: two); any other version is EINVAL, with the kernel's own version written back.
 */
function capHeader(task: SyscallTask, header: bigint): { words: number; pid: number } | undefined {
  const raw = task.mem.read(header, 8);
  const version = raw.readUInt32LE(0);
  const pid = raw.readInt32LE(4);
  if (version === LINUX_CAPABILITY_VERSION.V1) return { words: 1, pid };
  if (version === LINUX_CAPABILITY_VERSION.V2 || version === LINUX_CAPABILITY_VERSION.V3) return { words: 2, pid };
  const fix = Buffer.alloc(4);
  fix.writeUInt32LE(LINUX_CAPABILITY_VERSION.V3);
  task.mem.write(header, fix);
  return undefined;
}

/** capget(2): any task's sets, by tid; a NULL data pointer only probes the version. */
function capget(task: SyscallTask, args: SyscallArgs): number {
  const header = capHeader(task, pointer(args[0]));
  const data = pointer(args[1]);
  if (data === 0n) return 0;
  if (!header) fail(E.EINVAL);
  const { words, pid } = header;
  if (pid < 0) fail(E.EINVAL);
  const c = pid === 0 || pid === task.process.tid ? task.creds : task.process.credentialsOf(pid);
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

/** capset(2): only the calling thread's own sets (pid 0 or its tid); v1 clears the upper half. */
function capset(task: SyscallTask, args: SyscallArgs): number {
  const header = capHeader(task, pointer(args[0]));
  if (!header) fail(E.EINVAL);
  const { words, pid } = header;
  if (pid !== 0 && pid !== task.process.tid) fail(E.EPERM);
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

const PR = {
  GET_KEEPCAPS: 7, SET_KEEPCAPS: 8, CAPBSET_READ: 23, CAPBSET_DROP: 24, GET_SECUREBITS: 27,
  SET_SECUREBITS: 28, SET_NO_NEW_PRIVS: 38, GET_NO_NEW_PRIVS: 39, CAP_AMBIENT: 47,
} as const;
const PR_CAP_AMBIENT = { IS_SET: 1, RAISE: 2, LOWER: 3, CLEAR_ALL: 4 } as const;

/**
 * The prctl options about the task's identity (cap_task_prctl and no_new_privs), or
 * undefined for any other option.
 */
export function credentialPrctl(task: SyscallTask, option: number, args: SyscallArgs): number | undefined {
  const [, arg2, arg3, arg4, arg5] = args;
  const c = task.creds;
  const set = (next: TaskCredentials): number => {
    task.process.setCredentials(next);
    return 0;
  };
  switch (option) {
    case PR.GET_KEEPCAPS:
      return c.securebits & SECBIT.KEEP_CAPS ? 1 : 0;
    case PR.SET_KEEPCAPS:
      return set(setKeepCaps(c, arg2));
    case PR.GET_SECUREBITS:
      return c.securebits;
    case PR.SET_SECUREBITS:
      return set(setSecurebits(c, arg2));
    case PR.CAPBSET_READ:
      if (!isValidCap(arg2)) fail(E.EINVAL);
      return (c.bounding >> arg2) & 1n ? 1 : 0;
    case PR.CAPBSET_DROP:
      return set(dropBounding(c, arg2));
    case PR.GET_NO_NEW_PRIVS:
      if (arg2 | arg3 | arg4 | arg5) fail(E.EINVAL);
      return c.noNewPrivs ? 1 : 0;
    case PR.SET_NO_NEW_PRIVS:
      if (arg2 !== 1n || arg3 | arg4 | arg5) fail(E.EINVAL);
      return set({ ...c, noNewPrivs: true });
    case PR.CAP_AMBIENT:
      return capAmbient(task, arg2, arg3, arg4 | arg5);
    default:
      return undefined;
  }
}

/** PR_CAP_AMBIENT and its four sub-options. */
function capAmbient(task: SyscallTask, op: bigint, cap: bigint, rest: bigint): number {
  const c = task.creds;
  if (op === BigInt(PR_CAP_AMBIENT.CLEAR_ALL)) {
    if (cap | rest) fail(E.EINVAL);
    task.process.setCredentials({ ...c, ambient: 0n });
    return 0;
  }
  if (!isValidCap(cap) || rest) fail(E.EINVAL);
  const n = Number(cap);
  switch (Number(op)) {
    case PR_CAP_AMBIENT.IS_SET:
      return (c.ambient >> cap) & 1n ? 1 : 0;
    case PR_CAP_AMBIENT.RAISE:
      task.process.setCredentials(raiseAmbient(c, n));
      return 0;
    case PR_CAP_AMBIENT.LOWER:
      task.process.setCredentials(lowerAmbient(c, n));
      return 0;
    default:
      fail(E.EINVAL);
  }
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
