// Shared file mappings under ptrace: the workload maps, for real, a host fd whose pages
// are the file's contents (a host file of a bind mount, or the host memory file the VFS
// keeps a memory file in), so its writes through the mapping, the VFS's read and write,
// and every other process mapping the file see one set of pages.
//
// Getting the fd in: at the mmap's seccomp stop the sentry queues it on the donor socket
// (SCM_RIGHTS) and injects into the task, one after the other, recvmsg on the workload's
// end of that socket, the mmap itself with the received fd, and close of that fd. Nothing
// names a path, so no other thread of the workload can swap what the host kernel opens (an
// injected open of /proc/SENTRY/fd/N would read its path from memory those threads share).
// The received fd is checked to be the donated file before it is used; it is closed
// whether the mmap worked or not, and it never enters the workload's own (virtual) fd table.

import * as fs from 'node:fs';
import { E, fail } from '../abi/errno.js';
import { NR } from '../abi/linux-syscalls.js';
import { REG, WORKLOAD_DONOR_FD, type Tracer } from '../native/ptrace.js';
import { Injector } from './injector.js';
import { scratchBelowStack } from './memory.js';

const MSG_DONTWAIT = 0x40;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
/** struct msghdr (56 bytes), its iovec (16), the one data byte (8 with padding), cmsg space for one fd (24). */
const LAYOUT = { msghdr: 0, iov: 56, byte: 72, control: 80, controlLength: 24, total: 104 } as const;

/** The arguments of the trapped mmap. */
export interface MapRequest {
  addr: bigint;
  length: bigint;
  prot: number;
  flags: number;
  offset: bigint;
}

/**
 * Maps hostFd into the task stopped at its mmap's seccomp stop (the register buffer holds
 * its registers): returns mmap's result (an address or -errno). The buffer holds the
 * task's registers again afterwards, for the sentry's answer.
 */
export function mapHostFile(tracer: Tracer, hostTid: number, hostFd: number, request: MapRequest): bigint {
  const saved = tracer.regs.slice();
  try {
    // At a seccomp stop rip is just past the 2-byte syscall instruction.
    const injector = new Injector(tracer, hostTid, saved, saved[REG.rip]! - 2n, true);
    const received = receiveFd(tracer, hostTid, hostFd, injector, saved[REG.rsp]!);
    try {
      return injector.call(NR.mmap, request.addr, request.length, request.prot, request.flags, received, request.offset);
    } finally {
      injector.call(NR.close, received);
    }
  } finally {
    tracer.regs.set(saved);
  }
}

/** Gives hostFd to the task through the donor socket: returns its fd number there. */
function receiveFd(tracer: Tracer, hostTid: number, hostFd: number, injector: Injector, sp: bigint): number {
  const sent = tracer.sendFd(hostFd);
  if (sent < 0) fail(-sent);
  const base = scratchBelowStack(sp, LAYOUT.total);
  const scratch = Buffer.alloc(LAYOUT.total);
  scratch.writeBigUInt64LE(base + BigInt(LAYOUT.iov), LAYOUT.msghdr + 16); // msg_iov
  scratch.writeBigUInt64LE(1n, LAYOUT.msghdr + 24); // msg_iovlen
  scratch.writeBigUInt64LE(base + BigInt(LAYOUT.control), LAYOUT.msghdr + 32); // msg_control
  scratch.writeBigUInt64LE(BigInt(LAYOUT.controlLength), LAYOUT.msghdr + 40); // msg_controllen
  scratch.writeBigUInt64LE(base + BigInt(LAYOUT.byte), LAYOUT.iov); // iov_base
  scratch.writeBigUInt64LE(1n, LAYOUT.iov + 8); // iov_len
  if (tracer.writeMem(hostTid, base, scratch) !== scratch.length) fail(E.EFAULT);
  const got = injector.call(NR.recvmsg, WORKLOAD_DONOR_FD, base, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (got < 0n) fail(Number(-got));
  const control = Buffer.alloc(LAYOUT.controlLength);
  if (tracer.readMem(hostTid, base + BigInt(LAYOUT.control), control) !== control.length) fail(E.EFAULT);
  // No SCM_RIGHTS (the kernel drops an fd the task has no room for): its fd table is full.
  if (control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) fail(E.EMFILE);
  const fd = control.readInt32LE(16);
  // Another thread may have rewritten the control data: use the fd only if it is ours.
  if (!isDonatedFile(tracer, hostTid, fd, hostFd)) fail(E.EIO);
  return fd;
}

/** Whether the task's fd is the sentry's hostFd: one open file (kcmp), or else the same inode. */
function isDonatedFile(tracer: Tracer, hostTid: number, fd: number, hostFd: number): boolean {
  const same = tracer.sameFile(hostTid, fd, hostFd);
  if (same !== -E.ENOSYS) return same === 1;
  try {
    const there = fs.statSync(`/proc/${hostTid}/fd/${fd}`);
    const here = fs.fstatSync(hostFd);
    return there.dev === here.dev && there.ino === here.ino;
  } catch {
    return false;
  }
}
