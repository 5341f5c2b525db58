// An inotify instance (inotify(7)): watches on inodes, fed by the VFS's change
// notifications, and a queue of struct inotify_event records read from its fd.

import { E, fail } from '../../abi/errno.js';
import { IOCTL } from '../../abi/linux-ioctl.js';
import { POLL } from '../../abi/linux-poll.js';
import { AnonInode } from '../../sentry/kernel/files/anon-fs.js';
import type { Credentials, FileImpl, FsEvent, FsNotifier, Inode, UserMemory } from '../../vfs/index.js';
import { FS_EVENT } from '../../vfs/index.js';
import { IN } from '../../abi/linux-inotify.js';
import { writeInt32 } from './user-int.js';

/** The bits a watch keeps: its events and the flags that change how it reports them. */
const WATCH_BITS = IN.ALL_EVENTS | IN.EXCL_UNLINK | IN.ONESHOT;
/** struct inotify_event before the name; names are padded to a multiple of it. */
const EVENT_HEADER = 16;

/** What an instance charges its user (max_user_watches, max_user_instances). */
export interface InotifyAccount {
  watchAdded(): void;
  watchRemoved(): void;
  closed(): void;
}

interface Watch {
  readonly wd: number;
  readonly inode: Inode;
  mask: number;
  unwatch: () => void;
}

interface QueuedEvent {
  readonly wd: number;
  readonly mask: number;
  readonly cookie: number;
  readonly name: string;
}

function eventSize(event: QueuedEvent): number {
  return EVENT_HEADER + (event.name ? (event.name.length + 1 + EVENT_HEADER - 1) & ~(EVENT_HEADER - 1) : 0);
}

export class InotifyInstance extends AnonInode {
  private readonly watches = new Map<number, Watch>();
  private readonly byInode = new Map<Inode, Watch>();
  private readonly events: QueuedEvent[] = [];
  private bytes = 0;
  private nextWd = 1;

  constructor(
    owner: Credentials,
    private readonly notifier: FsNotifier,
    /** /proc/sys/fs/inotify/max_queued_events: then one IN_Q_OVERFLOW and nothing more. */
    private readonly maxQueued: number,
    /** The user's limits: a new watch may throw ENOSPC (max_user_watches). */
    private readonly account: InotifyAccount,
  ) {
    super(owner);
  }

  get watchCount(): number {
    return this.watches.size;
  }

  open(): FileImpl {
    return {
      seekable: false,
      read: (buf) => this.read(buf),
      readiness: (mask) => (this.events.length > 0 ? mask & (POLL.IN | POLL.RDNORM) : 0),
      subscribe: (mask, callback) => this.queue.subscribe(mask, callback),
      ioctl: (request, arg, memory) => this.ioctl(request, arg, memory),
      release: () => {
        for (const watch of [...this.watches.values()]) this.drop(watch, false);
        this.account.closed();
      },
    };
  }

  /**
   * inotify_add_watch on inode: a new watch, or the existing one's mask replaced (or added
   * to, with IN_MASK_ADD); EEXIST for IN_MASK_CREATE on a watched inode.
   */
  addWatch(inode: Inode, mask: number): number {
    const existing = this.byInode.get(inode);
    if (existing) {
      if (mask & IN.MASK_CREATE) fail(E.EEXIST);
      existing.mask = (mask & IN.MASK_ADD ? existing.mask : 0) | (mask & WATCH_BITS);
      return existing.wd;
    }
    this.account.watchAdded();
    const watch: Watch = { wd: this.nextWd++, inode, mask: mask & WATCH_BITS, unwatch: () => {} };
    watch.unwatch = this.notifier.watch(inode, (event) => this.deliver(watch, event));
    this.watches.set(watch.wd, watch);
    this.byInode.set(inode, watch);
    return watch.wd;
  }

  /** inotify_rm_watch: EINVAL for an unknown wd; the watch ends with IN_IGNORED. */
  removeWatch(wd: number): void {
    const watch = this.watches.get(wd);
    if (!watch) fail(E.EINVAL);
    this.drop(watch, true);
  }

  private drop(watch: Watch, ignored: boolean): void {
    watch.unwatch();
    this.watches.delete(watch.wd);
    this.byInode.delete(watch.inode);
    this.account.watchRemoved();
    if (ignored) this.enqueue({ wd: watch.wd, mask: IN.IGNORED, cookie: 0, name: '' });
  }

  private deliver(watch: Watch, event: FsEvent): void {
    if (!this.watches.has(watch.wd)) return;
    const bit = event.mask & IN.ALL_EVENTS;
    const wanted = (bit & watch.mask) !== 0 && !(watch.mask & IN.EXCL_UNLINK && event.name !== undefined && event.unlinked);
    if (wanted) this.enqueue({ wd: watch.wd, mask: event.mask, cookie: event.cookie, name: event.name ?? '' });
    // A deleted inode's watch, and a one-shot watch that reported, are gone.
    if (bit === FS_EVENT.DELETE_SELF || (wanted && watch.mask & IN.ONESHOT)) this.drop(watch, true);
  }

  private enqueue(event: QueuedEvent): void {
    const last = this.events[this.events.length - 1];
    if (last && last.wd === event.wd && last.mask === event.mask && last.cookie === event.cookie && last.name === event.name) return;
    if (this.events.length >= this.maxQueued) {
      if (last?.mask === IN.Q_OVERFLOW) return;
      event = { wd: -1, mask: IN.Q_OVERFLOW, cookie: 0, name: '' };
    }
    this.events.push(event);
    this.bytes += eventSize(event);
    this.queue.notify(POLL.IN | POLL.RDNORM);
  }

  /** As many whole events as fit in buf; EINVAL when not even the first does. */
  private read(buf: Uint8Array): number {
    if (this.events.length === 0) fail(E.EAGAIN);
    const out = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
    let done = 0;
    while (this.events.length > 0) {
      const event = this.events[0]!;
      const size = eventSize(event);
      if (done + size > out.length) break;
      out.fill(0, done, done + size);
      out.writeInt32LE(event.wd, done);
      out.writeUInt32LE(event.mask >>> 0, done + 4);
      out.writeUInt32LE(event.cookie >>> 0, done + 8);
      out.writeUInt32LE(size - EVENT_HEADER, done + 12);
      out.write(event.name, done + EVENT_HEADER, 'latin1');
      done += size;
      this.bytes -= size;
      this.events.shift();
    }
    if (done === 0) fail(E.EINVAL);
    return done;
  }

  private ioctl(request: number, arg: bigint, memory: UserMemory): number {
    if (request !== IOCTL.FIONREAD) fail(E.ENOTTY);
    writeInt32(memory, arg, this.bytes);
    return 0;
  }
}
