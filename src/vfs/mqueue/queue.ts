// A POSIX message queue (mq_overview(7)): messages ordered by priority, first in first
// out within a priority, bounded by mq_maxmsg and mq_msgsize. Non-blocking at this level:
// a full or empty queue throws EAGAIN and the syscall layer waits on its readiness
// (or returns EAGAIN itself for O_NONBLOCK descriptions), as for pipes. Queued messages
// are charged to the sandbox's memory.

import { E, fail } from '../../abi/errno.js';
import type { MemoryCharge } from '../../accounting/memory-account.js';
import { POLL } from '../api.js';
import { WaitQueue } from '../../waiter/index.js';

/** Priorities run from 0 to MQ_PRIO_MAX - 1. */
export const MQ_PRIO_MAX = 32768;

export interface MqAttr {
  maxmsg: number;
  msgsize: number;
}

/** Who sent the message that triggers a notification (the siginfo's si_pid and si_uid). */
export interface MqSender {
  pid: number;
  uid: number;
}

/** What mq_notify registered: a signal for a process, shown in the queue's file. */
export interface MqNotification {
  pid: number;
  /** SIGEV_SIGNAL (0), SIGEV_NONE (1), SIGEV_THREAD (2). */
  notify: number;
  signo: number;
  /** False once the registering process is gone: the registration no longer holds. */
  alive(): boolean;
  /** Called once when a message arrives in an empty queue with nobody waiting to receive. */
  deliver(sender: MqSender): void;
}

interface Message {
  data: Uint8Array;
  priority: number;
}

export class MessageQueue {
  private readonly messages: Message[] = [];
  private bytes = 0;
  private readonly queue = new WaitQueue();
  private registration: MqNotification | undefined;
  /** mq_timedreceive callers waiting for a message (not poll or epoll). */
  private receivers = 0;

  constructor(
    readonly attr: Readonly<MqAttr>,
    private readonly account: MemoryCharge,
  ) {}

  get count(): number {
    return this.messages.length;
  }

  /** Bytes of all queued messages (QSIZE). */
  get size(): number {
    return this.bytes;
  }

  /** The registration of mq_notify, unless its process is gone. */
  private get notification(): MqNotification | undefined {
    if (this.registration && !this.registration.alive()) this.registration = undefined;
    return this.registration;
  }

  send(data: Uint8Array, priority: number, sender: MqSender = { pid: 0, uid: 0 }): void {
    if (!Number.isInteger(priority) || priority < 0 || priority >= MQ_PRIO_MAX) fail(E.EINVAL);
    if (data.length > this.attr.msgsize) fail(E.EMSGSIZE);
    if (this.messages.length >= this.attr.maxmsg) fail(E.EAGAIN);
    if (!this.account.tryCharge(data.length)) fail(E.ENOMEM);
    // After the last message of the same or higher priority.
    let at = this.messages.length;
    while (at > 0 && (this.messages[at - 1] as Message).priority < priority) at--;
    this.messages.splice(at, 0, { data: Uint8Array.from(data), priority });
    this.bytes += data.length;
    // Linux hands the message to a waiting receiver instead; pollers do not count.
    const note = this.notification;
    if (this.messages.length === 1 && note && this.receivers === 0) {
      this.registration = undefined;
      note.deliver(sender);
    }
    this.queue.notify(POLL.IN | POLL.RDNORM);
  }

  /** Runs a receiver's wait for a message: a message sent meanwhile goes to it, not to mq_notify. */
  async receiving<T>(wait: () => Promise<T>): Promise<T> {
    this.receivers++;
    try {
      return await wait();
    } finally {
      this.receivers--;
    }
  }

  /** Takes the oldest message of the highest priority into buf (EMSGSIZE if buf < msgsize). */
  receive(buf: Uint8Array): { length: number; priority: number } {
    if (buf.length < this.attr.msgsize) fail(E.EMSGSIZE);
    const message = this.messages.shift();
    if (!message) fail(E.EAGAIN);
    buf.set(message.data);
    this.bytes -= message.data.length;
    this.account.uncharge(message.data.length);
    this.queue.notify(POLL.OUT | POLL.WRNORM);
    return { length: message.data.length, priority: message.priority };
  }

  /** The queue is gone (unlinked, no description open): its messages go with it. */
  discard(): void {
    this.account.uncharge(this.bytes);
    this.messages.length = 0;
    this.bytes = 0;
  }

  readiness(mask: number): number {
    let ready = 0;
    if (this.messages.length > 0) ready |= POLL.IN | POLL.RDNORM;
    if (this.messages.length < this.attr.maxmsg) ready |= POLL.OUT | POLL.WRNORM;
    return ready & mask;
  }

  subscribe(mask: number, callback: (events: number) => void): () => void {
    return this.queue.subscribe(mask, callback);
  }

  /** mq_notify: one registration at a time (EBUSY); undefined removes the caller's. */
  setNotification(note: MqNotification | undefined, callerPid: number): void {
    if (!note) {
      if (this.notification?.pid === callerPid) this.registration = undefined;
      return;
    }
    if (this.notification) fail(E.EBUSY);
    this.registration = note;
  }

  /** The text a read of the queue's file gives (Linux's mqueue_read_file format). */
  describe(): string {
    const note = this.notification;
    const notify = note ? note.notify : 0;
    const signo = note && note.notify === 0 ? note.signo : 0;
    const pid = note ? note.pid : 0;
    return `QSIZE:${String(this.bytes).padEnd(10)} NOTIFY:${String(notify).padEnd(5)} SIGNO:${String(signo).padEnd(5)} NOTIFY_PID:${String(pid).padEnd(6)}\n`;
  }
}
