// src/netstack: sockets inside the sandbox (README.md). The composer makes one stack per
// sandbox with createNetworkStack; syscall tables reach it through KernelServices.net.

import { AF } from '../abi/linux-socket.js';
import type { MemoryCharge } from '../accounting/memory-account.js';
import { Bridge } from './host/bridge.js';
import { hostInterfaces } from './host/host-interfaces.js';
import { HostNetwork } from './host/host-network.js';
import { HostInetFamily } from './host/host-socket.js';
import { Publisher, type PublishedPort } from './host/publish.js';
import { isLoopback, type Ip } from './inet/ip.js';
import { Loopback } from './interfaces.js';
import { SANDBOX_GATEWAY_V4, SANDBOX_GATEWAY_V6, SANDBOX_LINK } from './sandbox-link.js';
import { NetworkStack } from './stack.js';

export { NetworkStack } from './stack.js';
export { NamespaceError } from './host/host-network.js';
export { PublishError, describePort, type PublishedPort } from './host/publish.js';
export type * from './socket.js';
export type * from './address.js';

/** runsc's names: loopback only; loopback and a way out through the sentry; the host's sockets. */
export const NETWORK_MODES = ['none', 'sandbox', 'host'] as const;
export type NetworkMode = (typeof NETWORK_MODES)[number];

export interface NetworkConfig {
  readonly mode: NetworkMode;
  /** The network namespace the host sockets live in (a spec's path); the sentry's own when absent. */
  readonly namespacePath?: string;
  /** Ports the sentry listens on, on the host, for the sandbox (sandbox mode only). */
  readonly publish?: readonly PublishedPort[];
  /** The nameservers of the sandbox's resolv.conf (a loopback one is forwarded, host/bridge.ts). */
  readonly nameservers?: readonly Ip[];
  /** What the sockets' queued bytes and the host sockets' buffers are charged to (the sandbox's memory account). */
  readonly memory?: MemoryCharge;
}

/**
 * A stack with the families every sandbox has (AF_UNIX, AF_INET/AF_INET6, NETLINK_ROUTE)
 * for the mode: none, the sandbox's own loopback alone; sandbox, with eth0 and the bridge
 * out (and published ports); host, AF_INET/AF_INET6 on host sockets. Throws
 * NamespaceError for a namespace path the sentry cannot use, PublishError for a port the
 * host refuses.
 */
export function createNetworkStack(config: NetworkConfig = { mode: 'none' }): NetworkStack {
  const memory = config.memory;
  if (config.mode === 'none') return new NetworkStack({ memory });
  const network = config.namespacePath === undefined ? HostNetwork.own(config.memory) : HostNetwork.at(config.namespacePath, config.memory);
  if (config.mode === 'host') {
    const stack = new NetworkStack({ interfaces: hostInterfaces(network), memory });
    stack.register(AF.INET, new HostInetFamily(AF.INET, network));
    stack.register(AF.INET6, new HostInetFamily(AF.INET6, network));
    return stack;
  }
  const bridge = new Bridge(network, {
    link: SANDBOX_LINK,
    gatewayV4: SANDBOX_GATEWAY_V4,
    gatewayV6: SANDBOX_GATEWAY_V6,
    resolvers: (config.nameservers ?? []).filter(isLoopback),
  });
  const stack = new NetworkStack({ interfaces: [new Loopback(true), SANDBOX_LINK], bridge, memory });
  if (config.publish && config.publish.length > 0) {
    const publisher = new Publisher(bridge, stack.inet, HostNetwork.own(config.memory));
    publisher.publish(config.publish);
    bridge.replies = (port, peer, peerPort) => publisher.replyRoute(port, peer, peerPort);
    stack.onClose(() => publisher.close());
  }
  return stack;
}
