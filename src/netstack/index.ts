// src/netstack: sockets inside the sandbox (README.md). The composer makes one stack per
// sandbox with createNetworkStack; syscall tables reach it through KernelServices.net.

import { NetworkStack } from './stack.js';

export { NetworkStack } from './stack.js';
export type * from './socket.js';
export type * from './address.js';

/** A stack with the families every sandbox has: AF_UNIX, AF_INET/AF_INET6 on its own loopback, NETLINK_ROUTE. */
export function createNetworkStack(): NetworkStack {
  return new NetworkStack();
}
