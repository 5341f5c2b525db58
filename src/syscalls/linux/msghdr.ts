// struct msghdr and its control messages (SCM_RIGHTS, SCM_CREDENTIALS) for sendmsg,
// recvmsg and their batch forms, with Linux's checks: every pointer may be unmapped,
// every length may lie (CMSG_OK), too many fds is EINVAL, credentials the sender may not
// claim are EPERM.

import { E, SysError, fail } from '../../abi/errno.js';
import { UIO_MAXIOV } from '../../abi/linux-fcntl.js';
import { AF, CMSGHDR_SIZE, MSG, MSGHDR_SIZE, SCM, SCM_MAX_FD, SOCKADDR_STORAGE_SIZE, SOL, UCRED_SIZE } from '../../abi/linux-socket.js';
import type { PassedRights, Socket, Ucred } from '../../netstack/socket.js';
import { hasCapability, idForTask, idFromTask, nsCapable } from '../../sentry/kernel/credentials.js';
import type { SyscallTask } from '../../sentry/kernel/syscall.js';
import type { FileDescription } from '../../vfs/api.js';
import { readIovecs, type IoSegment } from './iovec.js';
import { fdLimit } from './task-files.js';

export interface Msghdr {
  readonly nameAddr: bigint;
  /** 0 when msg_name is NULL; at most sizeof(sockaddr_storage). */
  readonly nameLength: number;
  readonly iov: IoSegment[];
  readonly controlAddr: bigint;
  readonly controlLength: number;
}

/** The most control data a send takes (net.core.optmem_max); more is ENOBUFS. */
const OPTMEM_MAX = 131072;
const INT_MAX = 0x7fffffff;

/** Linux's copy_msghdr_from_user. */
export function readMsghdr(task: SyscallTask, addr: bigint): Msghdr {
  const raw = task.mem.read(addr, MSGHDR_SIZE);
  const nameAddr = raw.readBigUInt64LE(0);
  let nameLength = nameAddr === 0n ? 0 : raw.readInt32LE(8);
  if (nameLength < 0) fail(E.EINVAL);
  nameLength = Math.min(nameLength, SOCKADDR_STORAGE_SIZE);
  const iovLength = raw.readBigUInt64LE(24);
  if (iovLength > BigInt(UIO_MAXIOV)) fail(E.EMSGSIZE);
  const iov = readIovecs(task.mem, raw.readBigUInt64LE(16), Number(iovLength));
  const controlLength = raw.readBigUInt64LE(40);
  return { nameAddr, nameLength, iov, controlAddr: raw.readBigUInt64LE(32), controlLength: controlLength > BigInt(INT_MAX) ? INT_MAX + 1 : Number(controlLength) };
}

/** Files in flight: the descriptions, with one reference each held by the message. */
export class FileRights implements PassedRights {
  constructor(readonly files: readonly FileDescription[]) {}

  get count(): number {
    return this.files.length;
  }

  discard(): void {
    for (const file of this.files) file.unref();
  }

  duplicate(): PassedRights {
    for (const file of this.files) file.ref();
    return new FileRights([...this.files]);
  }
}

export interface SendControl {
  rights?: FileRights;
  cred?: Ucred;
}

const CAP_SYS_ADMIN = 21;
const CAP_SETUID = 7;
const CAP_SETGID = 6;

/** Claiming others' ids takes CAP_SETUID/CAP_SETGID in the sender's own namespace; another pid, CAP_SYS_ADMIN over the sandbox. */
function hasCap(task: SyscallTask, cap: number): boolean {
  return cap === CAP_SYS_ADMIN ? hasCapability(task.creds, cap) : nsCapable(task.creds, task.creds.userNs, cap);
}

/** Linux's scm_check_creds: a sender claims its own pid and ids, unless capabilities let it. */
function checkCredentials(task: SyscallTask, claimed: Ucred): Ucred {
  if (claimed.uid === 0xffffffff || claimed.gid === 0xffffffff) fail(E.EINVAL);
  const c = task.creds;
  // The ids are the sender's namespace's; they travel as sandbox ids.
  const cred = { pid: claimed.pid, uid: idFromTask(c, 'uid', claimed.uid), gid: idFromTask(c, 'gid', claimed.gid) };
  const pidOk = cred.pid === task.process.pid || hasCap(task, CAP_SYS_ADMIN);
  const uidOk = cred.uid === c.ruid || cred.uid === c.euid || cred.uid === c.suid || hasCap(task, CAP_SETUID);
  const gidOk = cred.gid === c.rgid || cred.gid === c.egid || cred.gid === c.sgid || hasCap(task, CAP_SETGID);
  if (!pidOk || !uidOk || !gidOk) fail(E.EPERM);
  // Another pid must name a process of the sandbox.
  if (cred.pid !== task.process.pid) task.process.getpgid(cred.pid);
  return cred;
}

/** CMSG_ALIGN: control messages start on 8-byte boundaries. */
function align(n: number): number {
  return (n + 7) & ~7;
}

/**
 * The control messages of a send (Linux's __scm_send for AF_UNIX, the socket-level
 * subset the others look at): SCM_RIGHTS fds become references (EBADF for a closed fd,
 * EINVAL past SCM_MAX_FD), SCM_CREDENTIALS are checked. On failure nothing is kept.
 */
export function readSendControl(task: SyscallTask, socket: Socket, hdr: Msghdr): SendControl {
  if (hdr.controlLength === 0) return {};
  if (hdr.controlLength > INT_MAX || hdr.controlLength > OPTMEM_MAX) fail(E.ENOBUFS);
  const control = task.mem.read(hdr.controlAddr, hdr.controlLength);
  const files: FileDescription[] = [];
  let cred: Ucred | undefined;
  try {
    for (let at = 0; at + CMSGHDR_SIZE <= control.length; ) {
      const length = control.readBigUInt64LE(at);
      // CMSG_OK: at least a header, and no longer than what is left.
      if (length < BigInt(CMSGHDR_SIZE) || length > BigInt(control.length - at)) fail(E.EINVAL);
      const len = Number(length);
      const level = control.readInt32LE(at + 8);
      const type = control.readInt32LE(at + 12);
      const data = control.subarray(at + CMSGHDR_SIZE, at + len);
      if (level === SOL.SOCKET) {
        if (type === SCM.RIGHTS && socket.family === AF.UNIX) addRights(task, data, files);
        else if (type === SCM.CREDENTIALS && socket.family !== AF.INET && socket.family !== AF.INET6) {
          if (len !== CMSGHDR_SIZE + UCRED_SIZE) fail(E.EINVAL);
          const checked = checkCredentials(task, { pid: data.readInt32LE(0), uid: data.readUInt32LE(4), gid: data.readUInt32LE(8) });
          // Carried by the kernel's identity; the receiver sees its own namespace's number.
          cred = { ...checked, pid: task.process.pidId(checked.pid) ?? 0 };
        } else if (socket.family !== AF.INET && socket.family !== AF.INET6) fail(E.EINVAL);
        else if (type !== SCM.RIGHTS && type !== SCM.CREDENTIALS) fail(E.EINVAL);
      }
      at += align(len);
    }
  } catch (e) {
    for (const file of files) file.unref();
    throw e;
  }
  return { ...(files.length > 0 ? { rights: new FileRights(files) } : {}), ...(cred ? { cred } : {}) };
}

/** Linux's scm_fp_copy: a reference to each fd's description, O_PATH ones included. */
function addRights(task: SyscallTask, data: Buffer, files: FileDescription[]): void {
  const count = Math.floor(data.length / 4);
  if (count <= 0) return;
  if (count > SCM_MAX_FD || files.length + count > SCM_MAX_FD) fail(E.EINVAL);
  for (let i = 0; i < count; i++) {
    const file = task.fds.get(data.readInt32LE(i * 4));
    file.ref();
    files.push(file);
  }
}

/** What recvmsg's control buffer got: the length used, and MSG_CTRUNC when some did not fit. */
export interface ReceivedControl {
  readonly length: number;
  readonly flags: number;
}

/**
 * Fills recvmsg's control buffer as Linux's scm_recv does: SCM_CREDENTIALS first, then
 * SCM_RIGHTS with as many fds as fit (and as RLIMIT_NOFILE allows); files that do not
 * make it are closed and MSG_CTRUNC says so.
 */
export function writeReceiveControl(task: SyscallTask, hdr: Msghdr, cred: Ucred | undefined, rights: PassedRights | undefined, cloexec: boolean): ReceivedControl {
  const passed = rights instanceof FileRights ? rights.files : [];
  if (hdr.controlAddr === 0n || hdr.controlLength === 0) {
    rights?.discard();
    return { length: 0, flags: cred || passed.length > 0 ? MSG.CTRUNC : 0 };
  }
  let room = hdr.controlLength;
  let at = hdr.controlAddr;
  let flags = 0;
  // Linux ignores a fault while it writes control messages (put_cmsg): they are cut.
  const put = (type: number, data: Buffer): boolean => {
    if (room < CMSGHDR_SIZE) {
      flags |= MSG.CTRUNC;
      return false;
    }
    const full = CMSGHDR_SIZE + data.length;
    const length = Math.min(full, room);
    if (length < full) flags |= MSG.CTRUNC;
    const out = Buffer.alloc(length);
    out.writeBigUInt64LE(BigInt(full), 0);
    out.writeInt32LE(SOL.SOCKET, 8);
    out.writeInt32LE(type, 12);
    data.copy(out, CMSGHDR_SIZE, 0, length - CMSGHDR_SIZE);
    try {
      task.mem.write(at, out);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      flags |= MSG.CTRUNC;
      return false;
    }
    const used = Math.min(align(full), room);
    at += BigInt(used);
    room -= used;
    return true;
  };
  if (cred) {
    const data = Buffer.alloc(UCRED_SIZE);
    data.writeInt32LE(task.process.visiblePid(cred.pid), 0);
    data.writeUInt32LE(idForTask(task.creds, 'uid', cred.uid), 4);
    data.writeUInt32LE(idForTask(task.creds, 'gid', cred.gid), 8);
    put(SCM.CREDENTIALS, data);
  }
  if (passed.length > 0) {
    const fit = room >= CMSGHDR_SIZE ? Math.floor((room - CMSGHDR_SIZE) / 4) : 0;
    const fds: number[] = [];
    let index = 0;
    for (; index < passed.length && fds.length < fit; index++) {
      try {
        fds.push(task.fds.install(passed[index]!, { cloexec, limit: fdLimit(task) }));
      } catch (e) {
        // install dropped the reference it was given; Linux stops at EMFILE too.
        if (!(e instanceof SysError)) throw e;
        index++;
        break;
      }
    }
    for (const file of passed.slice(index)) file.unref();
    if (fds.length < passed.length) flags |= MSG.CTRUNC;
    if (fds.length > 0) {
      const data = Buffer.alloc(fds.length * 4);
      fds.forEach((fd, i) => data.writeInt32LE(fd, i * 4));
      if (!put(SCM.RIGHTS, data)) for (const fd of fds) task.fds.close(fd);
    }
  } else rights?.discard();
  return { length: hdr.controlLength - room, flags };
}
