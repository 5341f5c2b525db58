// A System V message queue (Linux's struct msg_queue): typed messages in arrival order,
// bounded by msg_qbytes (bytes, and as many messages), found by msgrcv's type rules.

import { E, fail } from '../../../abi/errno.js';
import { MSG } from '../../../abi/linux-ipc.js';
import { IpcObject, type IpcPerm } from './perm.js';

export interface SysvMessage {
  readonly type: bigint;
  readonly data: Buffer;
}

export class SysvMessageQueue extends IpcObject {
  readonly messages: SysvMessage[] = [];
  /** Bytes of all messages (msg_cbytes). */
  bytes = 0;
  qbytes: number;
  lspid = 0;
  lrpid = 0;
  stime = 0;
  rtime = 0;
  ctime: number;

  constructor(perm: IpcPerm, qbytes: number, now: number) {
    super(perm);
    this.qbytes = qbytes;
    this.ctime = now;
  }

  /** msgsnd: false when the queue has no room for it (msg_fits_inqueue). */
  trySend(message: SysvMessage, pid: number, now: number): boolean {
    const length = message.data.length;
    if (length + this.bytes > this.qbytes || this.messages.length + 1 > this.qbytes) return false;
    this.messages.push(message);
    this.bytes += length;
    this.lspid = pid;
    this.stime = now;
    this.changed();
    return true;
  }

  /**
   * The index of the message msgrcv takes: the first (type 0), the first of that type
   * (type > 0; with MSG_EXCEPT the first of another), the first of the lowest type up to
   * -type (type < 0), or with MSG_COPY the type-th; -1 when there is none.
   */
  find(type: bigint, flags: number): number {
    if (flags & MSG.COPY) return type >= 0n && type < BigInt(this.messages.length) ? Number(type) : -1;
    if (type === 0n) return this.messages.length > 0 ? 0 : -1;
    if (type > 0n) return this.messages.findIndex((m) => (flags & MSG.EXCEPT ? m.type !== type : m.type === type));
    let found = -1;
    this.messages.forEach((m, i) => {
      if (m.type <= -type && (found < 0 || m.type < this.messages[found]!.type)) found = i;
    });
    return found;
  }

  /** Takes the message at index (msgrcv without MSG_COPY). */
  take(index: number, pid: number, now: number): SysvMessage {
    const [message] = this.messages.splice(index, 1);
    if (!message) fail(E.ENOMSG);
    this.bytes -= message.data.length;
    this.lrpid = pid;
    this.rtime = now;
    this.changed();
    return message;
  }
}
