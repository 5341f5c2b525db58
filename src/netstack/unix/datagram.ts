// AF_UNIX SOCK_DGRAM: datagrams to a name or to an associated peer, each queue holding
// net.unix.max_dgram_qlen + 1 of them before senders wait (unless the receiver is
// associated back with the sender), EPERM towards a socket associated with someone else,
// ECONNREFUSED once the associated peer is gone.

import { E, fail } from '../../abi/errno.js';
import { AF, MSG, SHUT, SOCK } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import type { SocketAddress } from '../address.js';
import { NO_CRED, RCV_SHUTDOWN, SHUTDOWN_MASK } from '../base.js';
import { NET_LIMITS } from '../limits.js';
import type { IncomingMessage, OutgoingMessage, PendingConnect, ReceiveRequest, SocketCaller, Ucred } from '../socket.js';
import type { UnixNames } from './names.js';
import { UnixSocket } from './socket.js';

const EVERYTHING = POLL.IN | POLL.RDNORM | POLL.OUT | POLL.WRNORM | POLL.WRBAND | POLL.HUP | POLL.RDHUP | POLL.ERR;

export class DatagramUnixSocket extends UnixSocket {
  /** connect(2)'s association: the default destination and the only accepted source. */
  private peer: DatagramUnixSocket | undefined;
  private peerCredential: Ucred = NO_CRED;
  /** Sockets waiting for room in this one's queue (associated with it, or blocked sending to it). */
  private readonly waitingSenders = new Set<DatagramUnixSocket>();
  /** The full queue this socket's last send could not enter (its writability waits on it). */
  private blockedOn: DatagramUnixSocket | undefined;
  private readonly maxQueue = NET_LIMITS.unixMaxDgramQlen;

  constructor(names: UnixNames<UnixSocket>) {
    super(names, SOCK.DGRAM);
  }

  static pair(names: UnixNames<UnixSocket>, caller: SocketCaller): [DatagramUnixSocket, DatagramUnixSocket] {
    const a = new DatagramUnixSocket(names);
    const b = new DatagramUnixSocket(names);
    a.associate(b, caller.cred);
    b.associate(a, caller.cred);
    return [a, b];
  }

  private associate(peer: DatagramUnixSocket | undefined, cred: Ucred): void {
    this.peer?.waitingSenders.delete(this);
    this.peer = peer;
    this.peerCredential = peer ? cred : NO_CRED;
    peer?.waitingSenders.add(this);
  }

  get connectionState(): 'unconnected' | 'connected' {
    return this.peer ? 'connected' : 'unconnected';
  }

  protected override peerCred(): Ucred {
    return this.peerCredential;
  }

  /** Whether this socket's queue is full for senders that are not its peer (unix_recvq_full). */
  private get queueFull(): boolean {
    return this.received.length > this.maxQueue;
  }

  /** Linux's unix_may_send: a socket associated with another takes datagrams from it only. */
  private acceptsFrom(sender: DatagramUnixSocket): boolean {
    return this.peer === undefined || this.peer === sender;
  }

  connect(address: SocketAddress, caller: SocketCaller): PendingConnect | undefined {
    if (address.family === AF.UNSPEC) {
      this.associate(undefined, NO_CRED);
      return undefined;
    }
    this.autobindForCredentials();
    const other = this.findByName(address, caller) as DatagramUnixSocket;
    if (!other.acceptsFrom(this)) fail(E.EPERM);
    this.associate(other, NO_CRED);
    this.queue.notify(POLL.OUT | POLL.WRNORM);
    return undefined;
  }

  protected get peerSocket(): UnixSocket | undefined {
    return this.peer;
  }

  send(message: OutgoingMessage, caller: SocketCaller): number {
    if (message.flags & MSG.OOB) fail(E.EOPNOTSUPP);
    if (!message.to && !this.peer) fail(E.ENOTCONN);
    this.autobindForCredentials();
    if (message.data.length > this.sendBufferSize - 32) fail(E.EMSGSIZE);
    if (!this.hasRoom) fail(E.EAGAIN);
    let other: DatagramUnixSocket;
    if (message.to) other = this.findByName(message.to, caller) as DatagramUnixSocket;
    else {
      other = this.peer!;
      if (other.released) {
        this.associate(undefined, NO_CRED);
        fail(E.ECONNREFUSED);
      }
    }
    if (!other.acceptsFrom(this)) fail(E.EPERM);
    if (other.shutdownState & RCV_SHUTDOWN) fail(E.EPIPE);
    if (other !== this && other.peer !== this && other.queueFull) {
      this.blockedOn = other;
      other.waitingSenders.add(this);
      fail(E.EAGAIN);
    }
    this.blockedOn = undefined;
    const rights = this.takeRights(message, caller);
    const cred = this.credentialsFor(message, caller, other);
    if (!other.deliver(message.data, () => this.record(message.data.length, cred, rights, caller.messageCred.uid))) {
      this.returnRights(rights, caller);
      fail(E.ENOBUFS);
    }
    return message.data.length;
  }

  receive(request: ReceiveRequest): IncomingMessage {
    if (request.flags & MSG.OOB) fail(E.EOPNOTSUPP);
    this.takeError();
    const record = this.received[0];
    if (!record) return this.nothingQueued(request);
    const peek = (request.flags & MSG.PEEK) !== 0;
    const size = record.length;
    // The whole datagram leaves the queue, whatever part of it the caller takes.
    const data = this.receivedBytes.read(size, !peek).subarray(0, Math.min(request.length, size));
    const rights = this.takeRecordRights(record, peek);
    if (!peek) {
      const wasFull = this.queueFull;
      this.received.shift();
      this.consumed(record);
      if (wasFull && !this.queueFull) this.wakeSenders();
    }
    const cred = this.receivedCredentials(record);
    return {
      data,
      size,
      eof: false,
      flags: size > request.length ? MSG.TRUNC : 0,
      ...(record.from.name !== '' ? { from: record.from } : {}),
      ...(rights ? { rights } : {}),
      ...(cred ? { cred } : {}),
    };
  }

  private wakeSenders(): void {
    for (const sender of [...this.waitingSenders]) {
      if (sender.blockedOn === this) sender.blockedOn = undefined;
      if (sender.peer !== this) this.waitingSenders.delete(sender);
      sender.queue.notify(POLL.OUT | POLL.WRNORM | POLL.WRBAND);
    }
  }

  override shutdown(how: number): void {
    if (how !== SHUT.RD && how !== SHUT.WR && how !== SHUT.RDWR) fail(E.EINVAL);
    this.shutdownState |= how + 1;
    this.queue.notify(EVERYTHING);
    this.wakeSenders();
  }

  override get inQueue(): number {
    return this.received[0]?.length ?? 0;
  }

  override get outQueue(): number {
    return this.sentCharge;
  }

  readiness(mask: number): number {
    let ready = 0;
    if (this.error) ready |= POLL.ERR;
    if (this.shutdownState & RCV_SHUTDOWN) ready |= POLL.RDHUP | POLL.IN | POLL.RDNORM;
    if (this.shutdownState === SHUTDOWN_MASK) ready |= POLL.HUP;
    if (this.received.length > 0) ready |= POLL.IN | POLL.RDNORM;
    if (this.writable) ready |= POLL.OUT | POLL.WRNORM | POLL.WRBAND;
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  /** unix_dgram_poll's writability: room to send, and room at the destination. */
  private get writable(): boolean {
    if (!this.pollWritable) return false;
    const other = this.blockedOn ?? this.peer;
    if (!other || other.released) return true;
    return other === this || other.peer === this || !other.queueFull;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.leaveNames();
    this.associate(undefined, NO_CRED);
    this.blockedOn?.waitingSenders.delete(this);
    this.dropReceived();
    this.wakeSenders();
    this.queue.notify(EVERYTHING);
  }
}
