// What TCP and UDP sockets of AF_INET and AF_INET6 share (Linux's inet_sock): the local
// and remote endpoints, bind with its rules (EADDRNOTAVAIL for an address not of this
// host, EACCES below 1024 without CAP_NET_BIND_SERVICE, EADDRINUSE), the implicit bind
// of a connect or send, and the IPPROTO_IP/IPPROTO_IPV6 options.

import { E, fail } from '../../abi/errno.js';
import { AF, IPV6_OPT, IP_OPT, SOL } from '../../abi/linux-socket.js';
import type { InetAddress, SocketAddress } from '../address.js';
import { SocketBase, flag, int, intOf } from '../base.js';
import type { HostFd } from '../host/host-fd.js';
import { hostOptionBytes, passesToHost } from '../host/host-options.js';
import { CAP_NET_BIND_SERVICE, hasCapability, type OptionValue, type SocketCaller } from '../socket.js';
import { addressOf, endpointOf, isAny, isMulticastOrBroadcast, isV4, V4_ANY, V6_ANY, type Ip } from './ip.js';
import type { InetNamespace } from './namespace.js';
import type { Claim, PortHolder, PortTable } from './ports.js';

/** net.ipv4.ip_unprivileged_port_start. */
const UNPRIVILEGED_PORT_START = 1024;
const DEFAULT_TTL = 64;
const IP_FREEBIND = 15;
const IP_BIND_ADDRESS_NO_PORT = 24;

/** IP-level options kept as set, with no effect inside one stack (their defaults). */
const IP_DEFAULTS = new Map<number, number>([
  [IP_OPT.TOS, 0],
  [IP_OPT.PKTINFO, 0],
  [IP_OPT.RECVERR, 0],
  [IP_OPT.RECVTTL, 0],
  [IP_OPT.RECVTOS, 0],
  [IP_OPT.MTU_DISCOVER, 1],
  [IP_OPT.MULTICAST_TTL, 1],
  [IP_OPT.MULTICAST_LOOP, 1],
  [IP_FREEBIND, 0],
  [IP_BIND_ADDRESS_NO_PORT, 0],
]);

const IPV6_DEFAULTS = new Map<number, number>([
  [IPV6_OPT.MULTICAST_LOOP, 1],
  [IPV6_OPT.RECVPKTINFO, 0],
  [IPV6_OPT.TCLASS, 0],
  [25, 0], // IPV6_RECVERR
]);

export type InetTraffic = InetNamespace<PortHolder, PortHolder>;

export abstract class InetSocket extends SocketBase implements PortHolder {
  localIp: Ip;
  localPort = 0;
  remoteIp: Ip;
  remotePort = 0;
  /** Bound by bind(2) (an address or port a connect must keep), not only implicitly. */
  protected boundByUser = false;
  private v6onlyOption = false;
  private ttl = DEFAULT_TTL;
  private readonly ipOptions = new Map(IP_DEFAULTS);
  private readonly ipv6Options = new Map(IPV6_DEFAULTS);
  /** Options set that a host socket carrying this one's traffic takes too, by level and name. */
  private readonly hostOptions = new Map<string, { level: number; name: number; value: Buffer }>();

  constructor(
    protected readonly ns: InetTraffic,
    family: number,
    type: number,
    protocol: number,
    readonly ownerUid: number,
  ) {
    super(family, type, protocol);
    this.localIp = family === AF.INET ? V4_ANY : V6_ANY;
    this.remoteIp = this.localIp;
  }

  /** The port space of the socket's protocol. */
  protected abstract get ports(): PortTable<PortHolder>;

  get v6only(): boolean {
    return this.family === AF.INET6 && this.v6onlyOption;
  }

  get reuseAddressFlag(): boolean {
    return this.reuseAddress;
  }

  get reusePortFlag(): boolean {
    return this.reusePort;
  }

  get isListening(): boolean {
    return this.listening;
  }

  protected claim(ip: Ip, listening = this.listening): Claim {
    return { ip, v6only: this.v6only, reuseAddress: this.reuseAddress, reusePort: this.reusePort, uid: this.ownerUid, listening };
  }

  /** The 16-byte form of an address given to this socket (EAFNOSUPPORT for another family). */
  protected endpoint(address: SocketAddress): { ip: Ip; port: number } {
    if (address.family !== AF.INET && address.family !== AF.INET6) fail(E.EAFNOSUPPORT);
    if (this.family === AF.INET && address.family !== AF.INET) fail(E.EAFNOSUPPORT);
    const endpoint = endpointOf(address);
    // An AF_INET6 socket with IPV6_V6ONLY has no IPv4 (v4-mapped) traffic.
    if (this.v6only && isV4(endpoint.ip)) fail(E.ENETUNREACH);
    return endpoint;
  }

  bind(address: SocketAddress, caller: SocketCaller): void {
    if (address.family !== AF.INET && address.family !== AF.INET6) fail(E.EAFNOSUPPORT);
    const { ip, port } = endpointOf(address);
    if (this.family === AF.INET6 && isV4(ip) && this.v6onlyOption) fail(E.EINVAL);
    if (!isAny(ip) && !this.ns.isLocal(ip) && !(this.mayBindMulticast && isMulticastOrBroadcast(ip)) && !this.ipOptions.get(IP_FREEBIND)) fail(E.EADDRNOTAVAIL);
    if (port !== 0 && port < UNPRIVILEGED_PORT_START && !hasCapability(caller, CAP_NET_BIND_SERVICE)) fail(E.EACCES);
    if (this.localPort !== 0) fail(E.EINVAL);
    this.take(ip, port);
    this.boundByUser = true;
  }

  /** Datagram sockets may bind a multicast or broadcast address. */
  protected get mayBindMulticast(): boolean {
    return false;
  }

  /** Holds ip:port (port 0: an ephemeral one): EADDRINUSE when another holds it. */
  protected take(ip: Ip, port: number): void {
    const chosen = port === 0 ? this.ports.ephemeral() : port;
    if (!this.ports.available(this, chosen, this.claim(ip))) fail(E.EADDRINUSE);
    this.localIp = ip;
    this.localPort = chosen;
    this.ports.add(this, chosen);
  }

  /** A connect's or a send's implicit bind: an ephemeral port on the address given (or any). */
  protected autobind(): void {
    if (this.localPort === 0) this.take(this.localIp, 0);
  }

  /** Gives the port back. */
  protected unbind(): void {
    if (this.localPort !== 0) this.ports.remove(this, this.localPort);
    this.localPort = 0;
    this.localIp = this.family === AF.INET ? V4_ANY : V6_ANY;
    this.boundByUser = false;
  }

  /**
   * What /proc/net/{tcp,udp}[6] show of the socket: Linux's state number, the queues
   * (unsent, unread), or undefined for one they do not list.
   */
  abstract procState(): { state: number; txQueue: number; rxQueue: number } | undefined;

  localAddress(): InetAddress {
    return addressOf(this.family, this.localIp, this.localPort);
  }

  protected remoteAddress(): InetAddress {
    return addressOf(this.family, this.remoteIp, this.remotePort);
  }

  /** The stack's rules answer first; a value they take also goes to the host sockets carrying the traffic. */
  override setOption(level: number, name: number, value: OptionValue): void {
    super.setOption(level, name, value);
    const bytes = passesToHost(level, name) ? hostOptionBytes(value) : undefined;
    if (!bytes) return;
    this.hostOptions.set(`${level}:${name}`, { level, name, value: bytes });
    for (const fd of this.carriers()) setQuietly(fd, level, name, bytes);
  }

  /** The host sockets carrying this socket's traffic now (the bridge's), none by default. */
  protected carriers(): HostFd[] {
    return [];
  }

  /** A new carrier takes the options set so far. */
  protected equip(fd: HostFd): void {
    for (const { level, name, value } of this.hostOptions.values()) setQuietly(fd, level, name, value);
  }

  /** An accepted connection inherits the listener's, as Linux clones the listening socket. */
  protected copyHostOptionsTo(child: InetSocket): void {
    for (const [key, option] of this.hostOptions) child.hostOptions.set(key, option);
  }

  protected override getProtocolOption(level: number, name: number): OptionValue {
    if (level === SOL.IP) {
      if (name === IP_OPT.TTL) return int(this.ttl);
      const value = this.ipOptions.get(name);
      if (value !== undefined) return int(value);
    }
    if (level === SOL.IPV6 && this.family === AF.INET6) {
      if (name === IPV6_OPT.V6ONLY) return int(this.v6onlyOption ? 1 : 0);
      if (name === IPV6_OPT.UNICAST_HOPS) return int(this.ttl);
      const value = this.ipv6Options.get(name);
      if (value !== undefined) return int(value);
    }
    return super.getProtocolOption(level, name);
  }

  protected override setProtocolOption(level: number, name: number, value: OptionValue): void {
    if (level === SOL.IP) {
      if (name === IP_OPT.TTL) return this.setTtl(intOf(value));
      if (this.ipOptions.has(name)) {
        this.ipOptions.set(name, name === IP_OPT.TOS || name === IP_OPT.MTU_DISCOVER || name === IP_OPT.MULTICAST_TTL ? intOf(value) & 0xff : flag(value) ? 1 : 0);
        return;
      }
    }
    if (level === SOL.IPV6 && this.family === AF.INET6) {
      if (name === IPV6_OPT.V6ONLY) {
        // Fixed once the socket holds a port.
        if (this.localPort !== 0) fail(E.EINVAL);
        this.v6onlyOption = flag(value);
        return;
      }
      if (name === IPV6_OPT.UNICAST_HOPS) return this.setTtl(intOf(value));
      if (this.ipv6Options.has(name)) {
        this.ipv6Options.set(name, name === IPV6_OPT.TCLASS ? intOf(value) & 0xff : flag(value) ? 1 : 0);
        return;
      }
    }
    super.setProtocolOption(level, name, value);
  }

  private setTtl(value: number): void {
    if (value === -1) this.ttl = DEFAULT_TTL;
    else if (value < 1 || value > 255) fail(E.EINVAL);
    else this.ttl = value;
  }
}

/**
 * Sets an option on a carrier, ignoring the host's refusal: the sandbox socket's own
 * answer was given, and an option of the other family (IPV6_V6ONLY on an IPv4 carrier)
 * has no meaning there.
 */
function setQuietly(fd: HostFd, level: number, name: number, value: Buffer): void {
  try {
    fd.setOption(level, name, value);
  } catch {
    // Kept by the sandbox socket all the same.
  }
}
