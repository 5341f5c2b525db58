// AF_UNIX: the family registered with a sandbox's stack. Its names live per stack, so an
// abstract name bound in one sandbox is nobody's in another (nor the host's).

import { E, fail } from '../../abi/errno.js';
import { SOCK } from '../../abi/linux-socket.js';
import type { MemoryCharge } from '../../accounting/memory-account.js';
import type { Socket, SocketCaller, SocketFamily } from '../socket.js';
import { ConnectedUnixSocket } from './connected.js';
import { DatagramUnixSocket } from './datagram.js';
import { UnixNames } from './names.js';
import type { UnixSocket } from './socket.js';

export class UnixFamily implements SocketFamily {
  readonly names: UnixNames<UnixSocket>;

  constructor(memory?: MemoryCharge) {
    this.names = new UnixNames<UnixSocket>(memory);
  }

  create(type: number, protocol: number): Socket {
    checkProtocol(protocol);
    switch (type) {
      case SOCK.STREAM:
      case SOCK.SEQPACKET:
        return new ConnectedUnixSocket(this.names, type);
      case SOCK.DGRAM:
      // Linux treats SOCK_RAW as SOCK_DGRAM for unix sockets.
      case SOCK.RAW:
        return new DatagramUnixSocket(this.names);
      default:
        return fail(E.ESOCKTNOSUPPORT);
    }
  }

  pair(type: number, protocol: number, caller: SocketCaller): [Socket, Socket] {
    checkProtocol(protocol);
    switch (type) {
      case SOCK.STREAM:
      case SOCK.SEQPACKET:
        return ConnectedUnixSocket.pair(this.names, type, caller);
      case SOCK.DGRAM:
      case SOCK.RAW:
        return DatagramUnixSocket.pair(this.names, caller);
      default:
        return fail(E.ESOCKTNOSUPPORT);
    }
  }
}

/** unix_create: protocol 0 or PF_UNIX. */
function checkProtocol(protocol: number): void {
  if (protocol !== 0 && protocol !== 1) fail(E.EPROTONOSUPPORT);
}
