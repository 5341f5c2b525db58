// TCP over the stack's loopback: a connection is two byte streams inside one sentry, so no
// segments, windows or timers; what a program sees is Linux's: the handshake done before
// accept (backlog + 1 connections wait, a connect past that waits until accept makes
// room), EINPROGRESS for every non-blocking connect, ECONNREFUSED for a port nobody
// listens on, FIN as EOF after the data, RST (close with unread data, SO_LINGER 0) as
// ECONNRESET or EPIPE, and tcp_poll's answers in each state. A connection whose far end
// is outside the sandbox (through the bridge of --network=sandbox) is carried by a host
// socket instead (host/outside-stream.ts): the socket keeps its addresses, port and
// options, and hands the handshake and the data to the host's TCP.

import { E, fail } from '../../abi/errno.js';
import { AF, MSG, SHUT, SO, SOCK, SOL, TCP_OPT } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import type { InetAddress, SocketAddress } from '../address.js';
import { RCV_SHUTDOWN, SEND_SHUTDOWN, SHUTDOWN_MASK, flag, int, intOf } from '../base.js';
import { NET_LIMITS } from '../limits.js';
import type { IncomingMessage, OptionValue, OutgoingMessage, PendingConnect, ReceiveRequest, SocketCaller } from '../socket.js';
import { ByteQueue } from '../byte-queue.js';
import type { Bridge } from '../host/bridge.js';
import type { HostFd } from '../host/host-fd.js';
import { OutsideStream } from '../host/outside-stream.js';
import type { Unsubscribe, WaitQueue } from '../../waiter/index.js';
import { isAny, type Ip } from './ip.js';
import type { PortHolder, PortTable } from './ports.js';
import { InetSocket, type InetTraffic } from './socket.js';

/**
 * closed: new, or connected once and reset; listen; connecting: waiting for a full
 * backlog; established; refused: a non-blocking connect nobody answered (until the next
 * connect reports it).
 */
type State = 'closed' | 'listen' | 'connecting' | 'established' | 'refused';

/** The MSS a loopback connection gets (65536 - 40 - 12), and what an unconnected socket reports. */
const LOOPBACK_MSS = 65483;
const DEFAULT_MSS = 536;
const EVERYTHING = POLL.IN | POLL.RDNORM | POLL.OUT | POLL.WRNORM | POLL.HUP | POLL.RDHUP | POLL.ERR;

/** TCP-level integer options kept as set: [default, least, most]. */
const TCP_INTS = new Map<number, [number, number, number]>([
  [TCP_OPT.KEEPIDLE, [7200, 1, 32767]],
  [TCP_OPT.KEEPINTVL, [75, 1, 32767]],
  [TCP_OPT.KEEPCNT, [9, 1, 127]],
  [TCP_OPT.SYNCNT, [6, 1, 127]],
  [TCP_OPT.LINGER2, [60, -1, 0x7fffffff]],
  [TCP_OPT.DEFER_ACCEPT, [0, -0x80000000, 0x7fffffff]],
  [TCP_OPT.WINDOW_CLAMP, [0, 0, 0x7fffffff]],
  [TCP_OPT.USER_TIMEOUT, [0, 0, 0x7fffffff]],
  [TCP_OPT.FASTOPEN, [0, 0, 0x7fffffff]],
  [TCP_OPT.NOTSENT_LOWAT, [0, 0, 0x7fffffff]],
]);

const CONGESTION_CONTROLS = ['cubic', 'reno'];

export class TcpSocket extends InetSocket {
  private state: State = 'closed';
  private everConnected = false;
  private peer: TcpSocket | undefined;
  /** The other end was closed: data sent to it now draws a reset. */
  private peerGone = false;
  /** The peer's FIN arrived (Linux's SOCK_DONE): reads end at the data's end. */
  private finReceived = false;
  private readonly received = new ByteQueue(this.ns.memory);
  private backlog = 0;
  /** Connections done and waiting for accept(). */
  private readonly acceptQueue: TcpSocket[] = [];
  /** Connects waiting for room in the accept queue (their SYN was dropped). */
  private readonly waitingConnects: { socket: TcpSocket; destination: Ip }[] = [];
  private waitingOn: TcpSocket | undefined;
  private noDelay = false;
  private cork = false;
  private quickAck = true;
  private congestion = 'cubic';
  private readonly tcpInts = new Map([...TCP_INTS].map(([name, [initial]]) => [name, initial]));
  private maxSegment = 0;
  /** The host socket carrying a connection whose far end is outside. */
  private outside: OutsideStream | undefined;
  /**
   * A non-blocking connect said EINPROGRESS and no connect has seen it done since (Linux's
   * SS_CONNECTING): the next connect once it is established answers 0, the ones after EISCONN.
   */
  private connectPending = false;

  constructor(ns: InetTraffic, family: number, ownerUid: number) {
    super(ns, family, SOCK.STREAM, 6, ownerUid);
    this.sendBufferSize = NET_LIMITS.tcpWmem[1];
    this.receiveBufferSize = NET_LIMITS.tcpRmem[1];
  }

  protected get ports(): PortTable<PortHolder> {
    return this.ns.tcp;
  }

  protected override get listening(): boolean {
    return this.state === 'listen';
  }

  /** What this end may hold unread: its receive buffer and the sender's send buffer. */
  private get capacity(): number {
    return this.receiveBufferSize + (this.peer?.sendBufferSize ?? 0);
  }

  private get backlogFull(): boolean {
    return this.acceptQueue.length > this.backlog;
  }

  // ---- connecting ---------------------------------------------------------------------

  override listen(backlog: number, _caller: SocketCaller): void {
    if (this.state !== 'closed' && this.state !== 'listen') fail(E.EINVAL);
    if (this.everConnected) fail(E.EINVAL);
    if (this.state === 'closed') {
      this.autobind();
      if (!this.ports.available(this, this.localPort, this.claim(this.localIp, true))) fail(E.EADDRINUSE);
      this.state = 'listen';
    }
    this.backlog = backlog;
    this.admitWaiting();
  }

  connect(address: SocketAddress, _caller: SocketCaller, nonBlocking: boolean): PendingConnect | undefined {
    if (address.family === AF.UNSPEC) {
      this.disconnect();
      return undefined;
    }
    this.settle();
    switch (this.state) {
      case 'established':
        if (this.connectPending) {
          this.connectPending = false;
          return undefined;
        }
        return fail(E.EISCONN);
      case 'listen':
        return fail(E.EISCONN);
      case 'connecting':
        if (nonBlocking) fail(E.EALREADY);
        return { kind: 'finish', wait: this, events: POLL.OUT };
      case 'refused':
        this.state = 'closed';
        this.shutdownState = 0;
        this.takeError();
        return fail(E.ECONNABORTED);
      case 'closed':
        if (this.everConnected) fail(E.EISCONN);
    }
    const { ip, port } = this.endpoint(address);
    const destination = this.ns.route(ip);
    if (port === 0) fail(E.ECONNREFUSED);
    const local = this.ns.isLocal(destination);
    const listener = local ? (this.ns.tcp.find(destination, port, (s) => ((s as TcpSocket).state === 'listen' ? 0 : undefined)) as TcpSocket | undefined) : undefined;
    const bridge = this.ns.bridge;
    if (!listener && bridge && (!local || bridge.forwardsResolver(destination, port))) return this.connectOutside(bridge, destination, port, nonBlocking);
    if (isAny(this.localIp)) this.localIp = this.ns.sourceFor(destination);
    this.autobind();
    this.remoteIp = destination;
    this.remotePort = port;
    if (!listener) {
      if (!nonBlocking) {
        this.remotePort = 0;
        fail(E.ECONNREFUSED);
      }
      this.refuse(E.ECONNREFUSED);
      return fail(E.EINPROGRESS);
    }
    if (listener.backlogFull) {
      this.state = 'connecting';
      this.waitingOn = listener;
      listener.waitingConnects.push({ socket: this, destination });
      if (nonBlocking) this.inProgress();
      return { kind: 'finish', wait: this, events: POLL.OUT };
    }
    this.establish(listener, destination);
    // Linux answers every non-blocking connect so, loopback or not: the socket is writable next.
    if (nonBlocking) this.inProgress();
    return undefined;
  }

  /** A non-blocking connect's EINPROGRESS. */
  private inProgress(): never {
    this.connectPending = true;
    return fail(E.EINPROGRESS);
  }

  /** A connect to an address outside: the host's handshake, through the bridge. */
  private connectOutside(bridge: Bridge, destination: Ip, port: number, nonBlocking: boolean): PendingConnect | undefined {
    if (isAny(this.localIp)) this.localIp = this.ns.sourceFor(destination);
    this.autobind();
    const stream = new OutsideStream(bridge.openStream(destination, this.queue), bridge);
    this.equip(stream.fd);
    let connected: boolean;
    try {
      connected = stream.start(destination, port);
    } catch (e) {
      stream.close(false);
      throw e;
    }
    stream.fd.onEvent = () => this.settle();
    this.outside = stream;
    this.remoteIp = destination;
    this.remotePort = port;
    if (connected) {
      this.state = 'established';
      this.everConnected = true;
      return undefined;
    }
    this.state = 'connecting';
    if (nonBlocking) this.inProgress();
    return { kind: 'finish', wait: this, events: POLL.OUT };
  }

  /** A handshake through the bridge that ended: connected, or refused with the host's error. */
  private settle(): void {
    if (this.state !== 'connecting' || !this.outside) return;
    const outcome = this.outside.outcome();
    if (outcome === undefined) return;
    if (outcome === 0) {
      this.state = 'established';
      this.everConnected = true;
      return;
    }
    this.outside.close(false);
    this.outside = undefined;
    this.refuse(outcome);
  }

  /**
   * A client of a published port, connected on the host, joins the accept queue as an
   * established connection to local:port from peer (false: not listening, or no room).
   */
  acceptOutside(bridge: Bridge, adopt: (queue: WaitQueue) => HostFd, local: Ip, peer: Ip, peerPort: number): boolean {
    if (this.state !== 'listen' || this.backlogFull) return false;
    const server = new TcpSocket(this.ns, this.family, this.ownerUid);
    this.copyOptionsTo(server);
    server.outside = new OutsideStream(adopt(server.queue), bridge);
    this.copyHostOptionsTo(server);
    server.equip(server.outside.fd);
    server.localIp = local;
    server.localPort = this.localPort;
    server.remoteIp = peer;
    server.remotePort = peerPort;
    server.ports.add(server, server.localPort);
    server.state = 'established';
    server.everConnected = true;
    this.acceptQueue.push(server);
    this.queue.notify(POLL.IN | POLL.RDNORM);
    return true;
  }

  protected override carriers(): HostFd[] {
    return this.outside ? [this.outside.fd] : [];
  }

  override subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    const unsubscribe = super.subscribe(mask, callback);
    this.outside?.fd.rearm();
    return unsubscribe;
  }

  override finishConnect(): void {
    this.settle();
    if (this.state === 'refused') {
      this.state = 'closed';
      this.shutdownState = 0;
      this.remotePort = 0;
    }
    this.takeError();
  }

  /** The handshake with listener: the accepting end joins its queue, connected to this one. */
  private establish(listener: TcpSocket, destination: Ip): void {
    const server = new TcpSocket(this.ns, listener.family, listener.ownerUid);
    listener.copyOptionsTo(server);
    server.localIp = destination;
    server.localPort = listener.localPort;
    server.remoteIp = this.localIp;
    server.remotePort = this.localPort;
    server.ports.add(server, server.localPort);
    server.link(this);
    this.link(server);
    listener.acceptQueue.push(server);
    listener.queue.notify(POLL.IN | POLL.RDNORM);
    this.queue.notify(POLL.OUT | POLL.WRNORM);
  }

  private link(peer: TcpSocket): void {
    this.peer = peer;
    this.state = 'established';
    this.everConnected = true;
    this.waitingOn = undefined;
  }

  /** What an accepted connection takes from its listener (Linux clones the listening socket). */
  private copyOptionsTo(child: TcpSocket): void {
    child.reuseAddress = this.reuseAddress;
    child.reusePort = this.reusePort;
    child.keepAlive = this.keepAlive;
    child.lingerOn = this.lingerOn;
    child.lingerSeconds = this.lingerSeconds;
    child.sendBufferSize = this.sendBufferSize;
    child.receiveBufferSize = this.receiveBufferSize;
    child.noDelay = this.noDelay;
    child.passCred = this.passCred;
  }

  /** A non-blocking connect nobody answered: the error waits for SO_ERROR or the next call. */
  private refuse(errno: number): void {
    this.connectPending = false;
    this.state = 'refused';
    this.shutdownState = SHUTDOWN_MASK;
    this.setError(errno);
  }

  /** A connect waiting for room gets in as far as room allows. */
  private admitWaiting(): void {
    while (!this.backlogFull) {
      const next = this.waitingConnects.shift();
      if (!next) return;
      next.socket.establish(this, next.destination);
    }
  }

  override accept(_caller: SocketCaller): TcpSocket {
    if (this.state !== 'listen') fail(E.EINVAL);
    const server = this.acceptQueue.shift();
    if (!server) fail(E.EAGAIN);
    this.admitWaiting();
    return server;
  }

  peerAddress(): InetAddress {
    if (this.state !== 'established') fail(E.ENOTCONN);
    return this.remoteAddress();
  }

  // ---- data ---------------------------------------------------------------------------

  send(message: OutgoingMessage): number {
    this.settle();
    if (this.state === 'connecting') fail(E.EAGAIN);
    if (this.outside) {
      this.takeError();
      return this.outside.send(message);
    }
    if (this.state !== 'established') {
      this.takeError();
      fail(E.EPIPE);
    }
    this.takeError();
    if (this.shutdownState & SEND_SHUTDOWN) fail(E.EPIPE);
    const data = message.data;
    if (data.length === 0) return 0;
    const peer = this.peer!;
    if (this.peerGone) {
      // The closed end answers with a reset (EPIPE once it had sent its FIN).
      this.reset(this.finReceived ? E.EPIPE : E.ECONNRESET);
      return data.length;
    }
    const room = peer.capacity - peer.received.length;
    if (room <= 0) fail(E.EAGAIN);
    const n = Math.min(room, data.length);
    // Past the sandbox's memory limit the bytes have nowhere to go (a memory cgroup refusing socket memory).
    if (!peer.received.push(data.subarray(0, n))) fail(E.ENOBUFS);
    this.ns.loopbackTraffic.bytes += n;
    this.ns.loopbackTraffic.packets++;
    peer.queue.notify(POLL.IN | POLL.RDNORM);
    return n;
  }

  receive(request: ReceiveRequest): IncomingMessage {
    this.settle();
    if (this.outside && this.state === 'established') {
      this.takeError();
      return this.outside.receive(request);
    }
    if (request.flags & MSG.OOB) fail(E.EINVAL);
    if (this.state === 'listen') fail(E.ENOTCONN);
    if (request.length === 0) return { data: new Uint8Array(), size: 0, eof: false, flags: 0 };
    if (this.received.length === 0) {
      if (this.state === 'connecting') fail(E.EAGAIN);
      if (this.finReceived) return endOfStream();
      this.takeError();
      if (this.shutdownState & RCV_SHUTDOWN) return endOfStream();
      if (this.state !== 'established') fail(E.ENOTCONN);
      fail(E.EAGAIN);
    }
    const peek = (request.flags & MSG.PEEK) !== 0;
    const wasWritable = this.peerWritable;
    const data = this.received.read(request.length, !peek);
    if (!peek && !wasWritable && this.peerWritable) this.peer?.queue.notify(POLL.OUT | POLL.WRNORM);
    // MSG_TRUNC on a stream drops what it would have copied.
    if (request.flags & MSG.TRUNC) return { data: new Uint8Array(), size: data.length, eof: false, flags: 0 };
    return { data, size: data.length, eof: false, flags: 0 };
  }

  /** Whether the peer's writes fit here again (tcp_poll's sk_stream_is_writeable: a third free). */
  private get peerWritable(): boolean {
    return (this.capacity - this.received.length) * 3 >= this.capacity;
  }

  // ---- ending -------------------------------------------------------------------------

  override shutdown(how: number): void {
    if (how !== SHUT.RD && how !== SHUT.WR && how !== SHUT.RDWR) fail(E.EINVAL);
    const mode = how + 1;
    switch (this.state) {
      case 'listen':
        if (mode & RCV_SHUTDOWN) this.disconnect();
        return;
      case 'connecting':
        this.disconnect();
        return;
      case 'established':
        this.outside?.shutdown(how);
        this.shutdownState |= mode;
        if (mode & SEND_SHUTDOWN && !this.peerGone) this.peer?.receiveFin();
        this.queue.notify(EVERYTHING);
        return;
      default:
        this.shutdownState |= mode;
        this.queue.notify(EVERYTHING);
        fail(E.ENOTCONN);
    }
  }

  private receiveFin(): void {
    this.finReceived = true;
    this.shutdownState |= RCV_SHUTDOWN;
    this.queue.notify(EVERYTHING);
  }

  /** An RST arrived: the data here stays readable, then the error, then EOF. */
  private reset(errno: number): void {
    if (this.state !== 'established') return;
    this.state = 'closed';
    this.shutdownState = SHUTDOWN_MASK;
    this.setError(errno);
    this.queue.notify(EVERYTHING);
  }

  /** connect(AF_UNSPEC), or a shutdown that ends listening or connecting: back to closed. */
  private disconnect(): void {
    this.dropOutside(true);
    if (this.state === 'listen') this.abortQueued();
    if (this.state === 'connecting') this.stopWaiting();
    if (this.state === 'established' && !this.peerGone) this.peer?.reset(this.peer.finReceived ? E.EPIPE : E.ECONNRESET);
    this.state = 'closed';
    this.everConnected = false;
    this.connectPending = false;
    this.peer = undefined;
    this.peerGone = false;
    this.remotePort = 0;
    this.queue.notify(EVERYTHING);
  }

  private stopWaiting(): void {
    const listener = this.waitingOn;
    this.waitingOn = undefined;
    if (!listener) return;
    const index = listener.waitingConnects.findIndex((w) => w.socket === this);
    if (index >= 0) listener.waitingConnects.splice(index, 1);
  }

  /** A listener going away resets what it had not accepted; waiting connects are refused. */
  private abortQueued(): void {
    for (const server of this.acceptQueue.splice(0)) server.abort();
    for (const { socket } of this.waitingConnects.splice(0)) {
      socket.waitingOn = undefined;
      socket.refuse(E.ECONNREFUSED);
    }
  }

  /** Closes the host socket of a carried connection (with a reset, or as a close does). */
  private dropOutside(reset: boolean): void {
    this.outside?.close(reset);
    this.outside = undefined;
  }

  /** Closes with a reset whatever is unread. */
  private abort(): void {
    this.dropOutside(true);
    if (this.state === 'established' && this.peer && !this.peerGone) this.peer.reset(this.peer.finReceived ? E.EPIPE : E.ECONNRESET);
    this.peerGone = true;
    this.release();
  }

  release(): void {
    this.dropOutside(this.lingerOn && this.lingerSeconds === 0);
    if (this.state === 'listen') this.abortQueued();
    if (this.state === 'connecting') this.stopWaiting();
    if (this.state === 'established' && this.peer && !this.peerGone) {
      const peer = this.peer;
      // Unread data here, or SO_LINGER with no time, closes with a reset; else with a FIN.
      if (this.received.length > 0 || (this.lingerOn && this.lingerSeconds === 0)) peer.reset(peer.finReceived ? E.EPIPE : E.ECONNRESET);
      else if (!(this.shutdownState & SEND_SHUTDOWN)) peer.receiveFin();
      peer.peerGone = true;
    }
    this.received.clear();
    this.state = 'closed';
    this.unbind();
  }

  procState(): { state: number; txQueue: number; rxQueue: number } | undefined {
    if (this.outside) return { state: this.outside.linuxState, txQueue: this.outside.outQueue, rxQueue: this.outside.inQueue };
    switch (this.state) {
      case 'listen':
        return { state: 0x0a, txQueue: 0, rxQueue: this.acceptQueue.length };
      case 'connecting':
        return { state: 0x02, txQueue: 0, rxQueue: 0 };
      case 'established': {
        // CLOSE_WAIT once the peer's FIN came, FIN_WAIT2 once ours went.
        const state = this.finReceived ? 0x08 : this.shutdownState & SEND_SHUTDOWN ? 0x05 : 0x01;
        return { state, txQueue: this.outQueue, rxQueue: this.received.length };
      }
      default:
        return undefined;
    }
  }

  // ---- readiness and queues -----------------------------------------------------------

  readiness(mask: number): number {
    this.settle();
    if (this.state === 'connecting' && this.outside) return 0;
    if (this.outside) return (this.outside.readiness(mask) | (this.error ? POLL.ERR : 0)) & (mask | POLL.ERR | POLL.HUP);
    if (this.state === 'listen') return this.acceptQueue.length > 0 ? mask & (POLL.IN | POLL.RDNORM) : 0;
    let ready = 0;
    const closed = this.state === 'closed' || this.state === 'refused';
    if (this.shutdownState === SHUTDOWN_MASK || closed) ready |= POLL.HUP;
    if (this.shutdownState & RCV_SHUTDOWN) ready |= POLL.IN | POLL.RDNORM | POLL.RDHUP;
    if (this.state !== 'connecting') {
      if (this.received.length >= Math.max(this.receiveLowWater, 1)) ready |= POLL.IN | POLL.RDNORM;
      if (this.shutdownState & SEND_SHUTDOWN || this.writable) ready |= POLL.OUT | POLL.WRNORM;
    }
    if (this.error) ready |= POLL.ERR;
    return ready & (mask | POLL.ERR | POLL.HUP);
  }

  /** Room at the peer for a third of what it may hold (or no peer to fill: a new socket). */
  private get writable(): boolean {
    const peer = this.peer;
    if (!peer || this.peerGone || this.state !== 'established') return true;
    return peer.peerWritable;
  }

  override get inQueue(): number {
    if (this.state === 'listen') fail(E.EINVAL);
    if (this.outside) return this.outside.inQueue;
    return this.received.length;
  }

  override get outQueue(): number {
    if (this.state === 'listen') fail(E.EINVAL);
    if (this.outside) return this.outside.outQueue;
    // Bytes the peer has not read past its own receive buffer (what is still "in flight").
    const peer = this.peer;
    if (!peer || this.peerGone) return 0;
    return Math.max(0, peer.received.length - peer.receiveBufferSize);
  }

  // ---- options ------------------------------------------------------------------------

  override getOption(level: number, name: number): OptionValue {
    if (level === SOL.SOCKET && name === SO.ERROR && this.outside) {
      this.settle();
      const local = super.getOption(level, name);
      return local.kind === 'int' && local.value !== 0 ? local : int(this.outside?.takeError() ?? 0);
    }
    return super.getOption(level, name);
  }

  protected override getProtocolOption(level: number, name: number): OptionValue {
    if (level !== SOL.TCP) return super.getProtocolOption(level, name);
    if (this.outside && (name === TCP_OPT.INFO || name === TCP_OPT.MAXSEG)) {
      return name === TCP_OPT.INFO ? { kind: 'bytes', bytes: this.outside.info() } : int(this.outside.getInt(SOL.TCP, name));
    }
    switch (name) {
      case TCP_OPT.NODELAY:
        return int(this.noDelay ? 1 : 0);
      case TCP_OPT.CORK:
        return int(this.cork ? 1 : 0);
      case TCP_OPT.QUICKACK:
        return int(this.quickAck ? 1 : 0);
      case TCP_OPT.MAXSEG:
        return int(this.state === 'established' ? Math.min(LOOPBACK_MSS, this.maxSegment || LOOPBACK_MSS) : this.maxSegment || DEFAULT_MSS);
      case TCP_OPT.CONGESTION:
        return { kind: 'bytes', bytes: Buffer.from(this.congestion.padEnd(16, '\0'), 'latin1') };
      case TCP_OPT.INFO:
        return { kind: 'bytes', bytes: this.info() };
      default: {
        const value = this.tcpInts.get(name);
        if (value === undefined) return super.getProtocolOption(level, name);
        return int(value);
      }
    }
  }

  protected override setProtocolOption(level: number, name: number, value: OptionValue): void {
    if (level !== SOL.TCP) return super.setProtocolOption(level, name, value);
    switch (name) {
      case TCP_OPT.NODELAY:
        this.noDelay = flag(value);
        return;
      case TCP_OPT.CORK:
        this.cork = flag(value);
        return;
      case TCP_OPT.QUICKACK:
        this.quickAck = flag(value);
        return;
      case TCP_OPT.MAXSEG: {
        const v = intOf(value);
        if (v !== 0 && (v < 88 || v > 32767)) fail(E.EINVAL);
        this.maxSegment = v;
        return;
      }
      case TCP_OPT.CONGESTION: {
        if (value.kind !== 'bytes') fail(E.EINVAL);
        const name = Buffer.from(value.bytes).toString('latin1').replace(/\0.*$/s, '');
        if (!CONGESTION_CONTROLS.includes(name)) fail(E.ENOENT);
        this.congestion = name;
        return;
      }
      default: {
        const range = TCP_INTS.get(name);
        if (!range) return super.setProtocolOption(level, name, value);
        const v = intOf(value);
        if (v < range[1] || v > range[2]) fail(E.EINVAL);
        this.tcpInts.set(name, v);
      }
    }
  }

  /**
   * struct tcp_info (the 232 bytes of Linux 5.x): state, segment sizes, the accept queue
   * of a listener; counters this stack does not keep (retransmits, RTT) are zero.
   */
  private info(): Uint8Array {
    const out = Buffer.alloc(232);
    const linuxState = { established: this.finReceived ? 8 : 1, connecting: 2, closed: 7, refused: 7, listen: 10 }[this.state];
    out[0] = linuxState;
    const mss = this.state === 'established' ? LOOPBACK_MSS : DEFAULT_MSS;
    out.writeUInt32LE(mss, 16); // tcpi_snd_mss
    out.writeUInt32LE(mss, 20); // tcpi_rcv_mss
    if (this.state === 'listen') {
      out.writeUInt32LE(this.acceptQueue.length, 24); // tcpi_unacked: the accept queue
      out.writeUInt32LE(this.backlog, 28); // tcpi_sacked: the backlog
    }
    out.writeUInt32LE(65536, 60); // tcpi_pmtu
    out.writeUInt32LE(mss, 84); // tcpi_advmss
    return out;
  }
}

function endOfStream(): IncomingMessage {
  return { data: new Uint8Array(), size: 0, eof: true, flags: 0 };
}
