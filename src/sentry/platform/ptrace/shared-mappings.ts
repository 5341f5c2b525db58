// Shared file mappings under ptrace: the workload maps, for real, a host fd whose pages
// are the file's contents (a host file of a bind mount, or the host memory file the VFS
// keeps a memory file in), so its writes through the mapping, the VFS's read and write,
// and every other process mapping the file see one set of pages.
//
// Getting the fd in: at the mmap's seccomp stop the sentry queues it on the donor socket
// (SCM_RIGHTS) and makes the task run, through a sentry page (sentry-page.ts: a syscall
// instruction of the sentry's, room for the msghdr the kernel reads and writes back),
// recvmsg on the workload's end of that socket, the mmap itself with the received fd, and
// close of that fd. Nothing names a path; the caller keeps the other tasks of the address
// space frozen (freezer.ts) and no other process shares the page, so nothing of the
// workload's can change the header, the instruction or the received fd's number while
// the kernel and the sentry use them. The received fd is still checked to be the donated
// file before it is used; it is closed whether the mmap worked or not, and it never enters
// the workload's own (virtual) fd table.

import * as fs from 'node:fs';
import { E, fail } from '../../../abi/errno.js';
import { NR } from '../../../abi/linux-syscalls.js';
import { WORKLOAD_DONOR_FD, type Tracer } from '../../../native/ptrace.js';
import type { MapRequest } from '../map-request.js';
import { SentryPage } from './sentry-page.js';

const MSG_DONTWAIT = 0x40;
const MSG_CMSG_CLOEXEC = 0x40000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MAP_FIXED = 0x10;
const MAP_FIXED_NOREPLACE = 0x100000;
/** Prefaulting is left to the workload's own accesses: an injected call ends promptly. */
const MAP_POPULATE = 0x8000;
/**
 * struct msghdr (56 bytes: recvmsg writes its flags and lengths back), its iovec (16), the
 * one data byte (8 with padding), cmsg space for one fd (24).
 */
const LAYOUT = { msghdr: 0, iov: 56, byte: 72, control: 80, controlLength: 24, total: 104 } as const;

/**
 * Maps hostFd into the task stopped at its mmap's seccomp stop: returns mmap's result (an
 * address or -errno). The task has its own registers again afterwards, for the answer.
 * Every other task of its address space must be frozen. instruction: a sealed syscall
 * instruction of the task's, if it has one.
 */
export function mapHostFile(tracer: Tracer, hostTid: number, hostFd: number, request: MapRequest, instruction: bigint | undefined): bigint {
  if (tracer.getRegs(hostTid) !== 0) fail(E.ESRCH);
  // A MAP_FIXED mapping must not take away the pages the calls run through.
  const fixed = (request.flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) !== 0;
  const avoid = fixed ? { avoid: { start: request.addr, end: request.addr + request.length } } : {};
  const page = SentryPage.open(tracer, hostTid, tracer.regs.slice(), { readOnly: 0, writable: LAYOUT.total, ...avoid, ...(instruction === undefined ? {} : { instruction }) });
  try {
    const received = receiveFd(tracer, hostTid, hostFd, page);
    try {
      const flags = request.flags & ~MAP_POPULATE;
      return page.injector.call(NR.mmap, request.addr, request.length, request.prot, flags, received, request.offset);
    } finally {
      page.injector.call(NR.close, received);
    }
  } finally {
    page.close();
  }
}

/** Gives hostFd to the task through the donor socket: returns its fd number there. */
function receiveFd(tracer: Tracer, hostTid: number, hostFd: number, page: SentryPage): number {
  const sent = tracer.sendFd(hostFd);
  if (sent < 0) fail(-sent);
  const base = page.writableAddress;
  const header = Buffer.alloc(LAYOUT.total);
  header.writeBigUInt64LE(base + BigInt(LAYOUT.iov), LAYOUT.msghdr + 16); // msg_iov
  header.writeBigUInt64LE(1n, LAYOUT.msghdr + 24); // msg_iovlen
  header.writeBigUInt64LE(base + BigInt(LAYOUT.control), LAYOUT.msghdr + 32); // msg_control
  header.writeBigUInt64LE(BigInt(LAYOUT.controlLength), LAYOUT.msghdr + 40); // msg_controllen
  header.writeBigUInt64LE(base + BigInt(LAYOUT.byte), LAYOUT.iov); // iov_base
  header.writeBigUInt64LE(1n, LAYOUT.iov + 8); // iov_len
  page.poke(base, header);
  const got = page.injector.call(NR.recvmsg, WORKLOAD_DONOR_FD, base, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
  if (got < 0n) fail(Number(-got));
  const control = page.read(base + BigInt(LAYOUT.control), LAYOUT.controlLength);
  // No SCM_RIGHTS (the kernel drops an fd the task has no room for): its fd table is full.
  if (control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) fail(E.EMFILE);
  const fd = control.readInt32LE(16);
  // Nothing of the workload's can have written there; the check costs one kcmp.
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
