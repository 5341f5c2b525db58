// src/netstack: sockets inside the sandbox (README.md). The composer makes one stack per
// sandbox with createNetworkStack; syscall tables reach it through KernelServices.net.

import { AF } from '../abi/linux-socket.js';
import { InetFamily } from './inet/family.js';
import { InetNamespace } from './inet/namespace.js';
import { NetworkStack } from './stack.js';
import { UnixFamily } from './unix/family.js';

export { NetworkStack } from './stack.js';
export type * from './socket.js';
export type * from './address.js';

/** A stack with the families every sandbox has: AF_UNIX, and AF_INET/AF_INET6 on its own loopback. */
export function createNetworkStack(): NetworkStack {
  const stack = new NetworkStack();
  const inet = new InetNamespace();
  stack.register(AF.UNIX, new UnixFamily());
  stack.register(AF.INET, new InetFamily(AF.INET, inet));
  stack.register(AF.INET6, new InetFamily(AF.INET6, inet));
  return stack;
}
