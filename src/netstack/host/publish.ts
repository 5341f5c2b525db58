// Published ports (`tssc run -p HOSTPORT:PORT[/udp]`, the dev.tssc.publish annotation), as
// rootless podman publishes them: the sentry listens on the host (in its own network
// namespace, whatever the spec's) and forwards into the sandbox. A TCP client becomes a
// connection in the accept queue of the sandbox's listener on PORT, still carried by the
// host socket accept() gave (so the bytes never stop in the sentry); a UDP datagram is
// delivered to the sandbox's socket on PORT, and its answers go back through the published
// socket, so the client sees them come from the port it wrote to. A client on the host's
// loopback appears as the gateway (the sandbox's loopback is its own). Nobody listening
// inside: the TCP client gets a reset, the UDP datagram is dropped.

import { E, SysError, errnoMessage } from '../../abi/errno.js';
import { AF, IPV6_OPT, SO, SOCK, SOL } from '../../abi/linux-socket.js';
import { POLL } from '../../abi/linux-poll.js';
import { WaitQueue } from '../../waiter/index.js';
import { isV4, V6_ANY, type Ip } from '../inet/ip.js';
import type { InetNamespace } from '../inet/namespace.js';
import type { TcpSocket } from '../inet/tcp.js';
import type { UdpSocket } from '../inet/udp.js';
import type { Bridge } from './bridge.js';
import { hostSockaddr } from './host-address.js';
import type { HostFd } from './host-fd.js';
import type { HostNetwork } from './host-network.js';

export interface PublishedPort {
  /** The host address to listen on; undefined: all of them (IPv4 and IPv6). */
  readonly hostIp?: Ip;
  readonly hostPort: number;
  /** The sandbox's port the traffic goes to. */
  readonly port: number;
  readonly protocol: 'tcp' | 'udp';
}

/** What goes back to a published port's UDP client: the send on the published socket. */
export type ReplyRoute = (data: Uint8Array) => number;

/** A published port the host would not give: its name and the reason, for the user. */
export class PublishError extends Error {}

/** Connections or datagrams taken per readiness report, so one port cannot hold the loop. */
const BATCH = 64;
/** UDP clients remembered per sandbox for answers (the oldest is forgotten first). */
const MAX_FLOWS = 4096;
const MAX_DATAGRAM = 65535;

export function describePort(p: PublishedPort): string {
  return `${p.hostPort}:${p.port}/${p.protocol}`;
}

export class Publisher {
  private readonly sockets: HostFd[] = [];
  private readonly flows = new Map<string, ReplyRoute>();

  constructor(
    private readonly bridge: Bridge,
    private readonly ns: InetNamespace,
    /** Where published ports listen: the sentry's own namespace. */
    private readonly listenOn: HostNetwork,
  ) {}

  /** Listens on the host for each port; fails with the first port the host refuses. */
  publish(ports: readonly PublishedPort[]): void {
    for (const port of ports) {
      try {
        this.sockets.push(this.listen(port));
      } catch (e) {
        this.close();
        if (!(e instanceof SysError)) throw e;
        const why = e.errno === E.EACCES ? `${errnoMessage(e.errno)} (a port below 1024 needs privilege on the host)` : errnoMessage(e.errno);
        throw new PublishError(`published port ${describePort(port)}: cannot listen on the host: ${why}`);
      }
    }
  }

  /** The socket a published port listens with: dual-stack when no address is given. */
  private listen(port: PublishedPort): HostFd {
    const queue = new WaitQueue();
    const domain = port.hostIp && isV4(port.hostIp) ? AF.INET : AF.INET6;
    const fd = this.listenOn.open(domain, port.protocol === 'tcp' ? SOCK.STREAM : SOCK.DGRAM, 0, queue);
    try {
      if (domain === AF.INET6) fd.setInt(SOL.IPV6, IPV6_OPT.V6ONLY, 0);
      fd.setInt(SOL.SOCKET, SO.REUSEADDR, 1);
      fd.bind(hostSockaddr(domain, port.hostIp ?? V6_ANY, port.hostPort));
      if (port.protocol === 'tcp') fd.listen(128);
    } catch (e) {
      fd.close();
      throw e;
    }
    // The one waiter, for as long as the sandbox lives.
    queue.subscribe(POLL.IN, () => (port.protocol === 'tcp' ? this.acceptClients(fd, port) : this.forwardDatagrams(fd, domain, port)));
    fd.rearm();
    return fd;
  }

  /** The sandbox's own address of ip's family (its eth0 address), what a client reached. */
  private localFor(ip: Ip): Ip {
    return this.bridge.sourceFor(ip);
  }

  private acceptClients(listener: HostFd, port: PublishedPort): void {
    for (let i = 0; i < BATCH; i++) {
      let conn;
      try {
        conn = listener.accept();
      } catch (e) {
        if (!(e instanceof SysError)) throw e;
        return;
      }
      const from = conn.from;
      const peer = from ? this.bridge.peerView(from.ip) : undefined;
      const local = peer ? this.localFor(peer) : undefined;
      const target = peer && local ? (this.ns.tcp.find(local, port.port, (s) => (s.isListening ? 0 : undefined)) as TcpSocket | undefined) : undefined;
      let taken = false;
      try {
        taken = !!target && !!peer && !!local && target.acceptOutside(this.bridge, (queue) => this.bridge.host.adopt(conn.fd, queue), local, peer, from!.port);
      } catch (e) {
        // ENOBUFS: the sandbox holds all the host sockets it may (adopt closed the fd).
        if (e instanceof SysError) continue;
        throw e;
      }
      if (!taken) this.listenOn.refuse(conn.fd);
    }
    listener.rearm();
  }

  private forwardDatagrams(fd: HostFd, domain: number, port: PublishedPort): void {
    for (let i = 0; i < BATCH; i++) {
      let got;
      try {
        got = fd.receive(MAX_DATAGRAM, 0, true);
      } catch (e) {
        // EAGAIN: all taken; another error (a client's ICMP) ends this batch alone.
        if (e instanceof SysError) break;
        throw e;
      }
      const from = got.from;
      if (!from) continue;
      const peer = this.bridge.peerView(from.ip);
      const local = this.localFor(peer);
      const receiver = this.ns.udp.find(local, port.port, (s) => (s as UdpSocket).admits(peer, from.port)) as UdpSocket | undefined;
      if (!receiver) continue;
      this.bridge.count(got.size, false);
      this.remember(port.port, peer, from.port, (data) => fd.send(data, 0, hostSockaddr(domain, from.ip, from.port)));
      receiver.deliverFromOutside(Uint8Array.prototype.slice.call(got.data), peer, from.port);
    }
    fd.rearm();
  }

  private remember(port: number, peer: Ip, peerPort: number, route: ReplyRoute): void {
    const key = flowKey(port, peer, peerPort);
    this.flows.delete(key);
    this.flows.set(key, route);
    if (this.flows.size > MAX_FLOWS) this.flows.delete(this.flows.keys().next().value!);
  }

  /** How an answer from the sandbox's port to peer:peerPort goes, when peer is a published port's client. */
  replyRoute(port: number, peer: Ip, peerPort: number): ReplyRoute | undefined {
    return this.flows.get(flowKey(port, peer, peerPort));
  }

  close(): void {
    for (const fd of this.sockets.splice(0)) fd.close();
    this.flows.clear();
  }
}

function flowKey(port: number, peer: Ip, peerPort: number): string {
  return `${port}/${Buffer.from(peer).toString('hex')}/${peerPort}`;
}
