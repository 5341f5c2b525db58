// What AF_UNIX sockets of every type share (Linux's net/unix/af_unix.c): names (path,
// abstract, autobind), the receive queue of records with the sender's credentials and
// passed files, and the send-side accounting that makes writers wait (sk_wmem_alloc).

import { E, fail } from '../../abi/errno.js';
import { AF, SO, SOL } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import { isAbstract, UNNAMED_UNIX, type SocketAddress, type UnixAddress } from '../address.js';
import { SocketBase, int } from '../base.js';
import type { OptionValue, OutgoingMessage, PassedRights, SocketCaller, Ucred } from '../socket.js';
import { ByteQueue } from '../byte-queue.js';
import type { UnixNames } from './names.js';

/** What a receiver with SO_PASSCRED sees for a message sent with no credentials. */
const NO_SENDER: Ucred = { pid: 0, uid: 65534, gid: 65534 };

/** The bookkeeping Linux's sk_buff truesize adds to each record, charged to its sender. */
const RECORD_OVERHEAD = 512;

/** One sent message (datagram, seqpacket record, or a piece of a stream). */
export interface UnixRecord {
  /** Its unread bytes (a stream record shrinks as it is read), in the receiver's byte queue. */
  length: number;
  readonly sender: UnixSocket;
  /** The sender's name when it sent. */
  readonly from: UnixAddress;
  /** Credentials attached, or undefined when neither side asked for them. */
  readonly cred: Ucred | undefined;
  rights: PassedRights | undefined;
  /** Whose in-flight count the rights are on. */
  readonly rightsUid: number;
  readonly charge: number;
}

export abstract class UnixSocket extends SocketBase {
  address: UnixAddress = UNNAMED_UNIX;
  private node: object | undefined;
  protected readonly received: UnixRecord[] = [];
  /** The bytes of the records in received, in order, charged to the sandbox's memory. */
  protected readonly receivedBytes: ByteQueue;
  /** Truesize of this socket's records still unread in some queue (Linux's sk_wmem_alloc). */
  protected sentCharge = 0;
  released = false;

  constructor(
    protected readonly names: UnixNames<UnixSocket>,
    type: number,
  ) {
    super(AF.UNIX, type, 0);
    this.receivedBytes = new ByteQueue(names.memory);
    names.live.add(this);
  }

  bind(address: SocketAddress, caller: SocketCaller): void {
    if (address.family !== AF.UNIX) fail(E.EINVAL);
    if (address.name === '') {
      this.autobind();
      return;
    }
    if (isAbstract(address)) {
      if (this.address.name !== '') fail(E.EINVAL);
      this.names.bindAbstract(address.name, this);
      this.address = address;
      return;
    }
    // Linux makes the node first: EADDRINUSE and path errors come before EINVAL.
    const node = caller.names.create(address.name);
    if (this.address.name !== '') {
      caller.names.remove(address.name, node);
      fail(E.EINVAL);
    }
    this.names.bindNode(node, this);
    this.node = node;
    this.address = address;
  }

  /** Gives an unnamed socket an abstract name (bind with only the family, or SO_PASSCRED). */
  protected autobind(): void {
    if (this.address.name !== '') return;
    this.address = { family: AF.UNIX, name: this.names.autobind(this) };
  }

  /** Autobind before a connect or send, when credentials are to be passed (unix_may_passcred). */
  protected autobindForCredentials(): void {
    if (this.passCred) this.autobind();
  }

  localAddress(): UnixAddress {
    return this.address;
  }

  /** The socket this one is connected or associated with (a dead one stays until replaced). */
  protected abstract get peerSocket(): UnixSocket | undefined;

  peerAddress(): UnixAddress {
    const peer = this.peerSocket;
    if (!peer) fail(E.ENOTCONN);
    return peer.address;
  }

  /** The socket of this type a name leads to (connect, sendto). */
  protected findByName(address: SocketAddress, caller: SocketCaller): UnixSocket {
    if (address.family !== AF.UNIX || address.name === '') fail(E.EINVAL);
    if (isAbstract(address)) return this.names.findAbstract(address.name, this.type);
    return this.names.findNode(caller.names.find(address.name), this.type);
  }

  /** The credentials a message carries to receiver (Linux's maybe_add_creds). */
  protected credentialsFor(message: OutgoingMessage, caller: SocketCaller, receiver: UnixSocket): Ucred | undefined {
    if (message.cred) return message.cred;
    return this.passCred || receiver.passCred ? caller.messageCred : undefined;
  }

  /**
   * Puts passed files in flight with references of their own (the message's stay the
   * sender's): ETOOMANYREFS past the sender's limit.
   */
  protected takeRights(message: OutgoingMessage, caller: SocketCaller): PassedRights | undefined {
    const rights = message.rights;
    if (!rights || rights.count === 0) return undefined;
    this.names.addInFlight(caller.messageCred.uid, rights.count, caller.maxFilesInFlight);
    return rights.duplicate();
  }

  /** A record of length bytes from this socket, charged to this socket until read. */
  protected record(length: number, cred: Ucred | undefined, rights: PassedRights | undefined, rightsUid: number): UnixRecord {
    const charge = length + RECORD_OVERHEAD;
    this.sentCharge += charge;
    return { length, sender: this, from: this.address, cred, rights, rightsUid, charge };
  }

  /**
   * Appends a record carrying data (copied) to this socket's queue and wakes readers;
   * false, with nothing queued, when the sandbox's memory account refuses the bytes.
   */
  deliver(data: Uint8Array, record: () => UnixRecord): boolean {
    if (!this.receivedBytes.push(data)) return false;
    this.received.push(record());
    this.queue.notify(POLL.IN | POLL.RDNORM);
    return true;
  }

  /** Undoes takeRights for a message that was never queued. */
  protected returnRights(rights: PassedRights | undefined, caller: SocketCaller): void {
    if (!rights) return;
    this.names.removeInFlight(caller.messageCred.uid, rights.count);
    rights.discard();
  }

  /** A record leaves the queue (read, or dropped): its sender may write again. */
  protected consumed(record: UnixRecord): void {
    const sender = record.sender;
    const wasWritable = sender.hasRoom;
    sender.sentCharge -= record.charge;
    if (!wasWritable && sender.hasRoom) sender.queue.notify(POLL.OUT | POLL.WRNORM | POLL.WRBAND);
    if (record.rights) this.names.removeInFlight(record.rightsUid, record.rights.count);
  }

  /** The passed files a receiver takes from a record (a copy when it only peeks). */
  protected takeRecordRights(record: UnixRecord, peek: boolean): PassedRights | undefined {
    const rights = record.rights;
    if (!rights) return undefined;
    if (peek) return rights.duplicate();
    record.rights = undefined;
    this.names.removeInFlight(record.rightsUid, rights.count);
    return rights;
  }

  /** What SCM_CREDENTIALS shows for a record, when this socket asked for credentials. */
  protected receivedCredentials(record: UnixRecord | undefined): Ucred | undefined {
    if (!this.passCred) return undefined;
    return record?.cred ?? NO_SENDER;
  }

  /** Whether the sender may queue more (Linux's sock_alloc_send_pskb test). */
  protected get hasRoom(): boolean {
    return this.sentCharge < this.sendBufferSize;
  }

  /** Poll's writability: no more than a quarter of the send buffer in flight (unix_writable). */
  protected get pollWritable(): boolean {
    return this.sentCharge * 4 <= this.sendBufferSize;
  }

  /** Drops every queued record, closing the files they carry. */
  protected dropReceived(): void {
    this.receivedBytes.clear();
    for (const record of this.received.splice(0)) {
      const rights = record.rights;
      this.consumed(record);
      rights?.discard();
    }
  }

  /** Whether it listens, is connected (or associated), or neither: for /proc/net/unix. */
  abstract get connectionState(): 'unconnected' | 'listening' | 'connected';

  /** The socket leaves its names and the family's list (a path's node stays in the filesystem, as on Linux). */
  protected leaveNames(): void {
    this.names.live.delete(this);
    if (this.node) this.names.unbindNode(this.node, this);
    else if (isAbstract(this.address)) this.names.unbindAbstract(this.address.name, this);
  }

  override getOption(level: number, name: number): OptionValue {
    if (level === SOL.SOCKET && name === SO.PEEK_OFF) return int(-1);
    return super.getOption(level, name);
  }
}
