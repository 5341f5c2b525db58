// AF_UNIX SOCK_STREAM and SOCK_SEQPACKET: listen/connect/accept with Linux's backlog rule
// (backlog + 1 connections wait), a byte stream or a stream of records, half-close,
// SO_PEERCRED from connect/listen/socketpair time, and what a peer's close leaves behind
// (EOF, EPIPE, ECONNRESET when it had unread data).

import { E, fail } from '../../abi/errno.js';
import { MSG, SHUT, SOCK } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import type { Waitable } from '../../waiter/index.js';
import type { SocketAddress } from '../address.js';
import { NO_CRED, RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK } from '../base.js';
import type { IncomingMessage, OutgoingMessage, PendingConnect, ReceiveRequest, SocketCaller, Ucred } from '../socket.js';
import type { UnixNames } from './names.js';
import { UnixSocket, type UnixRecord } from './socket.js';

type State = 'unconnected' | 'listening' | 'connected';

const EVERYTHING = POLL.IN | POLL.RDNORM | POLL.OUT | POLL.WRNORM | POLL.WRBAND | POLL.HUP | POLL.RDHUP | POLL.ERR;

export class ConnectedUnixSocket extends UnixSocket {
  private state: State = 'unconnected';
  /** The other end; stays set (a dead socket) once the peer closed. */
  private peer: ConnectedUnixSocket | undefined;
  private peerCredential: Ucred = NO_CRED;
  /** A listener's queue of connections not accepted yet, and its backlog. */
  private readonly pending: ConnectedUnixSocket[] = [];
  private backlog = 0;
  /** A listener's own credentials, recorded by listen() for the sockets that connect. */
  private listenCredential: Ucred = NO_CRED;

  constructor(names: UnixNames<UnixSocket>, type: number) {
    super(names, type);
  }

  /** socketpair(2): two connected sockets, each seeing the caller as its peer. */
  static pair(names: UnixNames<UnixSocket>, type: number, caller: SocketCaller): [ConnectedUnixSocket, ConnectedUnixSocket] {
    const a = new ConnectedUnixSocket(names, type);
    const b = new ConnectedUnixSocket(names, type);
    a.link(b, caller.cred);
    b.link(a, caller.cred);
    return [a, b];
  }

  private link(peer: ConnectedUnixSocket, peerCredential: Ucred): void {
    this.peer = peer;
    this.peerCredential = peerCredential;
    this.state = 'connected';
  }

  get connectionState(): 'unconnected' | 'listening' | 'connected' {
    return this.state;
  }

  protected override get listening(): boolean {
    return this.state === 'listening';
  }

  protected override peerCred(): Ucred {
    return this.peerCredential;
  }

  override listen(backlog: number, caller: SocketCaller): void {
    if (this.address.name === '') fail(E.EINVAL);
    if (this.state === 'connected') fail(E.EINVAL);
    const grew = backlog > this.backlog;
    this.backlog = backlog;
    this.state = 'listening';
    this.listenCredential = caller.cred;
    if (grew) this.queue.notify(POLL.OUT);
  }

  /** Whether another connection may wait in the accept queue (Linux's unix_recvq_full: backlog + 1 fit). */
  private get backlogFull(): boolean {
    return this.pending.length > this.backlog;
  }

  /** What a blocked connect waits for: room in this listener's backlog, or its end. */
  private readonly backlogRoom: Waitable = {
    readiness: () => (this.released || this.state !== 'listening' || !this.backlogFull ? POLL.OUT : 0),
    subscribe: (mask, callback) => this.queue.subscribe(mask | POLL.OUT, callback),
  };

  connect(address: SocketAddress, caller: SocketCaller, nonBlocking: boolean): PendingConnect | undefined {
    this.autobindForCredentials();
    const found = this.findByName(address, caller);
    const listener = found as ConnectedUnixSocket;
    if (listener.state !== 'listening' || listener.shutdownState & RCV_SHUTDOWN) fail(E.ECONNREFUSED);
    if (listener.backlogFull) {
      if (nonBlocking) fail(E.EAGAIN);
      return { kind: 'retry', wait: listener.backlogRoom, events: POLL.OUT };
    }
    if (this.state === 'connected') fail(E.EISCONN);
    if (this.state !== 'unconnected') fail(E.EINVAL);
    // The accepting end exists from now on: it carries the listener's name, and the
    // connect's data may arrive before accept() picks it up.
    const server = new ConnectedUnixSocket(this.names, this.type);
    server.address = listener.address;
    server.link(this, caller.cred);
    this.link(server, listener.listenCredential);
    listener.pending.push(server);
    listener.queue.notify(POLL.IN | POLL.RDNORM);
    return undefined;
  }

  override accept(_caller: SocketCaller): ConnectedUnixSocket {
    if (this.state !== 'listening') fail(E.EINVAL);
    const server = this.pending.shift();
    if (!server) {
      if (this.shutdownState & RCV_SHUTDOWN) fail(E.EINVAL);
      fail(E.EAGAIN);
    }
    this.queue.notify(POLL.OUT);
    return server;
  }

  protected get peerSocket(): UnixSocket | undefined {
    return this.peer;
  }

  send(message: OutgoingMessage, caller: SocketCaller): number {
    if (message.flags & MSG.OOB) fail(E.EOPNOTSUPP);
    return this.type === SOCK.STREAM ? this.sendStream(message, caller) : this.sendRecord(message, caller);
  }

  private sendStream(message: OutgoingMessage, caller: SocketCaller): number {
    if (message.to) fail(this.state === 'connected' ? E.EISCONN : E.EOPNOTSUPP);
    const peer = this.peer;
    if (!peer) fail(E.ENOTCONN);
    if (this.shutdownState & SEND_SHUTDOWN || peer.released || peer.shutdownState & RCV_SHUTDOWN) fail(E.EPIPE);
    const data = message.data;
    if (data.length === 0) return 0;
    if (!this.hasRoom) fail(E.EAGAIN);
    const rights = this.takeRights(message, caller);
    const cred = this.credentialsFor(message, caller, peer);
    // Linux cuts a write into buffers of at most half the send buffer, and goes on while
    // the buffer has room; the files go with the first.
    const most = Math.max((this.sendBufferSize >> 1) - 64, 1);
    let sent = 0;
    while (sent < data.length && this.hasRoom) {
      const n = Math.min(most, data.length - sent);
      const first = sent === 0;
      if (!peer.deliver(data.subarray(sent, sent + n), () => this.record(n, cred, first ? rights : undefined, caller.messageCred.uid))) {
        // Past the sandbox's memory limit: what went is the result, or ENOBUFS (an skb a memory cgroup refused).
        if (sent > 0) break;
        this.returnRights(rights, caller);
        fail(E.ENOBUFS);
      }
      sent += n;
    }
    return sent;
  }

  private sendRecord(message: OutgoingMessage, caller: SocketCaller): number {
    this.takeError();
    if (this.state !== 'connected') fail(E.ENOTCONN);
    const peer = this.peer!;
    this.autobindForCredentials();
    if (message.data.length > this.sendBufferSize - 32) fail(E.EMSGSIZE);
    if (!this.hasRoom) fail(E.EAGAIN);
    if (peer.released || peer.shutdownState & RCV_SHUTDOWN || this.shutdownState & SEND_SHUTDOWN) fail(E.EPIPE);
    const rights = this.takeRights(message, caller);
    const cred = this.credentialsFor(message, caller, peer);
    if (!peer.deliver(message.data, () => this.record(message.data.length, cred, rights, caller.messageCred.uid))) {
      this.returnRights(rights, caller);
      fail(E.ENOBUFS);
    }
    return message.data.length;
  }

  receive(request: ReceiveRequest): IncomingMessage {
    if (request.flags & MSG.OOB) fail(this.type === SOCK.STREAM ? E.EINVAL : E.EOPNOTSUPP);
    if (this.state !== 'connected') fail(this.type === SOCK.STREAM ? E.EINVAL : E.ENOTCONN);
    if (this.received.length === 0) {
      this.takeError();
      if (this.shutdownState & RCV_SHUTDOWN) return { data: new Uint8Array(), size: 0, eof: true, flags: 0, ...this.credentialsField(undefined) };
      fail(E.EAGAIN);
    }
    const peek = (request.flags & MSG.PEEK) !== 0;
    return this.type === SOCK.STREAM ? this.receiveStream(request.length, peek) : this.receiveRecord(request.length, peek);
  }

  private credentialsField(record: UnixRecord | undefined): { cred?: Ucred } {
    const cred = this.receivedCredentials(record);
    return cred ? { cred } : {};
  }

  /**
   * Takes bytes across records, as Linux's unix_stream_read_generic: with SO_PASSCRED it
   * never joins records of different senders, and it stops after one that carried files.
   */
  private receiveStream(length: number, peek: boolean): IncomingMessage {
    const first = this.received[0]!;
    let copied = 0;
    let rights;
    for (let i = 0; i < this.received.length && copied < length; ) {
      const record = this.received[i]!;
      if (this.passCred && !sameCredentials(record.cred, first.cred)) break;
      const n = Math.min(record.length, length - copied);
      copied += n;
      const carried = record.rights !== undefined;
      if (carried) rights = this.takeRecordRights(record, peek);
      if (peek) i++;
      else if (n === record.length) {
        this.received.shift();
        this.consumed(record);
      } else record.length -= n;
      if (carried) break;
    }
    // The records taken lie in order at the front of the byte queue.
    const data = this.receivedBytes.read(copied, !peek);
    // recvfrom names the sender, when it has a name (unix_copy_addr).
    const from = first.from.name !== '' ? { from: first.from } : {};
    return { data, size: data.length, eof: false, flags: 0, ...from, ...(rights ? { rights } : {}), ...this.credentialsField(first) };
  }

  private receiveRecord(length: number, peek: boolean): IncomingMessage {
    const record = this.received[0]!;
    const size = record.length;
    // The whole record leaves the queue, whatever part of it the caller takes.
    const data = this.receivedBytes.read(size, !peek).subarray(0, Math.min(length, size));
    const rights = this.takeRecordRights(record, peek);
    if (!peek) {
      this.received.shift();
      this.consumed(record);
    }
    const from = record.from.name !== '' ? { from: record.from } : {};
    return { data, size, eof: false, flags: size > length ? MSG.TRUNC : 0, ...from, ...(rights ? { rights } : {}), ...this.credentialsField(record) };
  }

  override shutdown(how: number): void {
    if (how !== SHUT.RD && how !== SHUT.WR && how !== SHUT.RDWR) fail(E.EINVAL);
    const mode = how + 1;
    this.shutdownState |= mode;
    this.queue.notify(EVERYTHING);
    const peer = this.peer;
    if (!peer || peer.released) return;
    let peerMode = 0;
    if (mode & RCV_SHUTDOWN) peerMode |= SEND_SHUTDOWN;
    if (mode & SEND_SHUTDOWN) peerMode |= RCV_SHUTDOWN;
    peer.shutdownState |= peerMode;
    peer.queue.notify(EVERYTHING);
  }

  override get inQueue(): number {
    if (this.state === 'listening') fail(E.EINVAL);
    return this.receivedBytes.length;
  }

  override get outQueue(): number {
    if (this.state === 'listening') fail(E.EINVAL);
    return this.sentCharge;
  }

  readiness(mask: number): number {
    let ready = 0;
    if (this.error) ready |= POLL.ERR;
    if (this.shutdownState === SHUTDOWN_MASK) ready |= POLL.HUP;
    if (this.shutdownState & RCV_SHUTDOWN) ready |= POLL.RDHUP | POLL.IN | POLL.RDNORM;
    if (this.received.length > 0 || this.pending.length > 0) ready |= POLL.IN | POLL.RDNORM;
    if (this.state === 'unconnected') ready |= POLL.HUP;
    const writable = this.state !== 'listening' && this.pollWritable;
    // A record socket is writable only while its peer takes more (unix_dgram_poll).
    if (writable) ready |= POLL.OUT | POLL.WRNORM | POLL.WRBAND;
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.leaveNames();
    // Connections nobody accepted die with the listener: their clients see a reset.
    for (const embryo of this.pending.splice(0)) embryo.close(true);
    this.close(false);
    this.queue.notify(EVERYTHING);
  }

  /** The socket goes: its peer sees the end (and a reset when data was left unread here). */
  private close(embryo: boolean): void {
    this.released = true;
    const peer = this.peer;
    this.peer = undefined;
    if (peer && !peer.released) {
      peer.shutdownState = SHUTDOWN_MASK;
      if (this.received.length > 0 || embryo) peer.error = E.ECONNRESET;
      peer.queue.notify(EVERYTHING);
    }
    this.dropReceived();
  }
}

function sameCredentials(a: Ucred | undefined, b: Ucred | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.pid === b.pid && a.uid === b.uid && a.gid === b.gid);
}
