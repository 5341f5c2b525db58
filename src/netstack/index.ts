// src/netstack: sockets inside the sandbox (README.md). The composer makes one stack per
// sandbox with createNetworkStack; syscall tables reach it through KernelServices.net.

import { AF } from '../abi/linux-socket.js';
import { NetworkStack } from './stack.js';
import { UnixFamily } from './unix/family.js';

export { NetworkStack } from './stack.js';
export type * from './socket.js';
export type * from './address.js';

/** A stack with the families every sandbox has: AF_UNIX. */
export function createNetworkStack(): NetworkStack {
  const stack = new NetworkStack();
  stack.register(AF.UNIX, new UnixFamily());
  return stack;
}
