// The POSIX message queues of one IPC namespace (the sandbox): what mq_open, mq_unlink
// and every mqueue mount see. Limits as /proc/sys/fs/mqueue shows them.

import { E, fail } from '../../abi/errno.js';
import type { MemoryCharge } from '../../accounting/memory-account.js';
import { O } from '../../abi/linux-fcntl.js';
import { CAP } from '../../abi/linux-capability.js';
import type { Credentials, Timespec } from '../api.js';
import { MAY_READ, MAY_WRITE, hasCap, modePermits } from '../creds.js';
import { now } from '../time.js';
import { MessageQueue, MQ_PRIO_MAX, type MqAttr } from './queue.js';

export interface MqLimits {
  readonly msgMax: number;
  readonly msgsizeMax: number;
  readonly msgDefault: number;
  readonly msgsizeDefault: number;
  readonly queuesMax: number;
}

export const DEFAULT_MQ_LIMITS: MqLimits = { msgMax: 10, msgsizeMax: 8192, msgDefault: 10, msgsizeDefault: 8192, queuesMax: 256 };

const NAME_MAX = 255;

/**
 * What a queue charges its creator's RLIMIT_MSGQUEUE, as Linux counts it: room for
 * maxmsg messages of msgsize bytes and the kernel's bookkeeping for each (a msg_msg and a
 * priority tree node, 48 bytes each on x86-64).
 */
export function queueBytes(attr: MqAttr): number {
  return attr.maxmsg * (attr.msgsize + 48) + Math.min(attr.maxmsg, MQ_PRIO_MAX) * 48;
}

/** A named queue and its attributes as a file. */
export class MqueueEntry {
  readonly queue: MessageQueue;
  readonly created: Timespec = now();
  /** Open descriptions of the queue: an unlinked queue lives until the last is closed. */
  opens = 0;
  linked = true;

  /** Whose RLIMIT_MSGQUEUE it is charged to (the owner may change; the charge does not). */
  readonly creator: number;

  constructor(
    readonly name: string,
    public mode: number,
    public uid: number,
    public gid: number,
    attr: MqAttr,
    /** getdents cookie in the mqueue directory. */
    readonly cookie: number,
    account: MemoryCharge,
  ) {
    this.queue = new MessageQueue(attr, account);
    this.creator = uid;
  }
}

export class MqueueNamespace {
  private readonly entries = new Map<string, MqueueEntry>();
  private nextCookie = 3;
  /** Bytes each uid's live queues charge (queueBytes), against its RLIMIT_MSGQUEUE. */
  private readonly charged = new Map<number, number>();

  constructor(
    private readonly account: MemoryCharge,
    readonly limits: MqLimits = DEFAULT_MQ_LIMITS,
  ) {}

  get(name: string): MqueueEntry | undefined {
    return this.entries.get(name);
  }

  list(): MqueueEntry[] {
    return [...this.entries.values()];
  }

  /**
   * mq_open's lookup and creation (name without the leading slash; mode already masked by
   * the umask). Checks the access mode against the queue's permissions.
   */
  open(name: string, flags: number, mode: number, attr: MqAttr | undefined, creds: Credentials, byteLimit?: bigint): MqueueEntry {
    checkName(name);
    const existing = this.entries.get(name);
    if (existing) {
      if (flags & O.CREAT && flags & O.EXCL) fail(E.EEXIST);
      const access = flags & O.ACCMODE;
      const mask = access === O.RDONLY ? MAY_READ : access === O.WRONLY ? MAY_WRITE : MAY_READ | MAY_WRITE;
      if (access === O.ACCMODE) fail(E.EINVAL);
      if (!modePermits(creds, { ...statLike(existing) }, mask)) fail(E.EACCES);
      return existing;
    }
    if (!(flags & O.CREAT)) fail(E.ENOENT);
    return this.create(name, mode, attr, creds, byteLimit);
  }

  /**
   * Creates a queue (mq_open with O_CREAT, or open/mknod in an mqueue mount). byteLimit is
   * the creator's RLIMIT_MSGQUEUE: EMFILE when its queues would charge more.
   */
  create(name: string, mode: number, attr: MqAttr | undefined, creds: Credentials, byteLimit?: bigint): MqueueEntry {
    checkName(name);
    if (this.entries.has(name)) fail(E.EEXIST);
    if (this.entries.size >= this.limits.queuesMax && !hasCap(creds, CAP.SYS_RESOURCE)) fail(E.ENOSPC);
    const chosen = attr ?? { maxmsg: this.limits.msgDefault, msgsize: this.limits.msgsizeDefault };
    if (chosen.maxmsg <= 0 || chosen.msgsize <= 0) fail(E.EINVAL);
    if (!hasCap(creds, CAP.SYS_RESOURCE) && (chosen.maxmsg > this.limits.msgMax || chosen.msgsize > this.limits.msgsizeMax)) fail(E.EINVAL);
    const bytes = queueBytes(chosen);
    const charged = this.charged.get(creds.uid) ?? 0;
    if (byteLimit !== undefined && BigInt(charged + bytes) > byteLimit) fail(E.EMFILE);
    this.charged.set(creds.uid, charged + bytes);
    const entry = new MqueueEntry(name, mode & 0o777, creds.uid, creds.gid, { ...chosen }, this.nextCookie++, this.account);
    this.entries.set(name, entry);
    return entry;
  }

  /** An open description of entry's file ended: the queue goes with the last, once unlinked. */
  closed(entry: MqueueEntry): void {
    entry.opens--;
    this.release(entry);
  }

  /** Frees an unlinked, closed queue: its messages leave the memory account, its charge goes back to its creator. */
  private release(entry: MqueueEntry): void {
    if (entry.linked || entry.opens > 0) return;
    entry.queue.discard();
    const bytes = queueBytes(entry.queue.attr);
    this.charged.set(entry.creator, (this.charged.get(entry.creator) ?? 0) - bytes);
  }

  /** mq_unlink: open descriptions keep the queue; the name goes. */
  unlink(name: string, creds?: Credentials): void {
    checkName(name);
    const entry = this.entries.get(name);
    if (!entry) fail(E.ENOENT);
    // mq_unlink needs write permission on the (sticky, world-writable) directory only: the
    // owner of the queue or CAP_FOWNER, as in a sticky directory.
    if (creds && creds.uid !== entry.uid && creds.uid !== 0 && !hasCap(creds, CAP.FOWNER)) fail(E.EACCES);
    this.entries.delete(name);
    entry.linked = false;
    this.release(entry);
  }
}

function checkName(name: string): void {
  if (name.length === 0 || name.includes('/') || name === '.' || name === '..') fail(E.EACCES);
  if (name.length > NAME_MAX) fail(E.ENAMETOOLONG);
}

function statLike(entry: MqueueEntry) {
  const t = entry.created;
  return { dev: 0, ino: 0, mode: entry.mode, nlink: 1, uid: entry.uid, gid: entry.gid, rdev: 0, size: 0, blksize: 4096, blocks: 0, atime: t, mtime: t, ctime: t };
}
