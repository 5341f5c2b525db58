// An epoll instance (epoll(7)): an interest list over other files' readiness, itself a
// file that is readable when some registered file has an event to report.

import { E, fail } from '../../abi/errno.js';
import { EPOLL, POLL } from '../../abi/linux-poll.js';
import { AnonInode } from '../../sentry/kernel/files/anon-fs.js';
import { isNamedByAnyFd } from '../../sentry/kernel/fd-table.js';
import { S, type FileDescription, type FileImpl, type Unsubscribe } from '../../vfs/api.js';
import { MqueueInode } from '../../vfs/mqueue/fs.js';

/** Events always reported whether asked for or not. */
const ALWAYS = POLL.ERR | POLL.HUP;

interface Interest {
  readonly fd: number;
  readonly file: FileDescription;
  events: number;
  data: bigint;
  /** Something happened since the last report: what edge-triggered entries wait for. */
  signalled: boolean;
  /** An EPOLLONESHOT entry that reported: silent until EPOLL_CTL_MOD. */
  disarmed: boolean;
  unsubscribe: Unsubscribe;
}

export interface ReadyEvent {
  events: number;
  data: bigint;
}

export class EpollInstance extends AnonInode {
  private readonly interests = new Map<FileDescription, Map<number, Interest>>();

  open(): FileImpl {
    return {
      seekable: false,
      read: () => fail(E.EINVAL),
      write: () => fail(E.EINVAL),
      readiness: (mask) => (this.hasReady() ? mask & (POLL.IN | POLL.RDNORM) : 0),
      subscribe: (mask, callback) => this.queue.subscribe(mask, callback),
      release: () => this.clear(),
    };
  }

  add(fd: number, file: FileDescription, events: number, data: bigint): void {
    if (this.find(fd, file)) fail(E.EEXIST);
    const interest: Interest = { fd, file, events, data, signalled: true, disarmed: false, unsubscribe: () => {} };
    interest.unsubscribe = file.subscribe(events | ALWAYS, () => {
      interest.signalled = true;
      this.queue.notify(POLL.IN | POLL.RDNORM);
    });
    let byFd = this.interests.get(file);
    if (!byFd) this.interests.set(file, (byFd = new Map()));
    byFd.set(fd, interest);
    this.queue.notify(POLL.IN | POLL.RDNORM);
  }

  modify(fd: number, file: FileDescription, events: number, data: bigint): void {
    const interest = this.find(fd, file);
    if (!interest) fail(E.ENOENT);
    if (interest.events & EPOLL.EXCLUSIVE) fail(E.EINVAL);
    interest.unsubscribe();
    this.remove(interest);
    this.add(fd, file, events, data);
  }

  delete(fd: number, file: FileDescription): void {
    const interest = this.find(fd, file);
    if (!interest) fail(E.ENOENT);
    interest.unsubscribe();
    this.remove(interest);
  }

  /** Up to max ready events; level-triggered entries stay ready, the others are consumed. */
  collect(max: number): ReadyEvent[] {
    const out: ReadyEvent[] = [];
    for (const interest of this.allInterests()) {
      if (out.length >= max) break;
      if (!isNamedByAnyFd(interest.file)) {
        // Linux drops a registration when its description is closed for good.
        interest.unsubscribe();
        this.remove(interest);
        continue;
      }
      const ready = this.readyEvents(interest);
      if (!ready) continue;
      out.push({ events: ready, data: interest.data });
      interest.signalled = false;
      if (interest.events & EPOLL.ONESHOT) interest.disarmed = true;
    }
    return out;
  }

  private readyEvents(interest: Interest): number {
    if (interest.disarmed) return 0;
    if (interest.events & EPOLL.ET && !interest.signalled) return 0;
    const wanted = (interest.events & ~(EPOLL.ET | EPOLL.ONESHOT | EPOLL.EXCLUSIVE | EPOLL.WAKEUP)) | ALWAYS;
    return interest.file.readiness(wanted) & wanted;
  }

  private hasReady(): boolean {
    for (const interest of this.allInterests()) if (isNamedByAnyFd(interest.file) && this.readyEvents(interest)) return true;
    return false;
  }

  private *allInterests(): Iterable<Interest> {
    for (const byFd of [...this.interests.values()]) yield* [...byFd.values()];
  }

  private find(fd: number, file: FileDescription): Interest | undefined {
    return this.interests.get(file)?.get(fd);
  }

  private remove(interest: Interest): void {
    const byFd = this.interests.get(interest.file);
    byFd?.delete(interest.fd);
    if (byFd?.size === 0) this.interests.delete(interest.file);
  }

  private clear(): void {
    for (const interest of this.allInterests()) interest.unsubscribe();
    this.interests.clear();
  }
}

/**
 * Whether a file can be watched: regular files and directories cannot (EPERM), except a
 * message queue's, which Linux polls.
 */
export function pollable(file: FileDescription): boolean {
  const type = file.stat().mode & S.IFMT;
  return (type !== S.IFREG && type !== S.IFDIR) || file.inode instanceof MqueueInode;
}
