// tssc's own stdio may be a host socket (Node's child_process makes stdio of socketpairs):
// the workload's fstat says S_IFSOCK, so programs ask it what socket it is (libuv's
// uv_guess_handle: getsockname, SO_TYPE) before they write. They get a connected AF_UNIX
// stream without names, whose sends and receives are the stdio's writes and reads; what
// would reach the host socket itself (passing files, shutting it, naming it) is refused.
// The workload still holds no host socket: the sentry does I/O on its own fd.

import { E, fail } from '../../../abi/errno.js';
import { AF, MSG, SOCK } from '../../../abi/linux-socket.js';
import { UNNAMED_UNIX, type UnixAddress } from '../../../netstack/address.js';
import { SocketBase } from '../../../netstack/base.js';
import type { IncomingMessage, OutgoingMessage, PendingConnect, ReceiveRequest } from '../../../netstack/socket.js';
import type { FileDescription, Unsubscribe } from '../../../vfs/api.js';

export class HostStdioSocket extends SocketBase {
  constructor(private readonly file: FileDescription) {
    super(AF.UNIX, SOCK.STREAM, 0);
  }

  readiness(mask: number): number {
    return this.file.readiness(mask);
  }

  override subscribe(mask: number, callback: (events: number) => void): Unsubscribe {
    return this.file.subscribe(mask, callback);
  }

  bind(): void {
    fail(E.EINVAL);
  }

  connect(): PendingConnect | undefined {
    return fail(E.EISCONN);
  }

  override listen(): void {
    fail(E.EINVAL);
  }

  override accept(): never {
    return fail(E.EINVAL);
  }

  override shutdown(): void {
    fail(E.EOPNOTSUPP);
  }

  send(message: OutgoingMessage): number {
    if (message.to) fail(E.EISCONN);
    // Files of the sandbox never go to the host.
    if (message.rights) fail(E.EPERM);
    return this.file.write(message.data);
  }

  receive(request: ReceiveRequest): IncomingMessage {
    if (request.flags & ~MSG.DONTWAIT) fail(E.EOPNOTSUPP);
    const buf = new Uint8Array(request.length);
    const n = this.file.read(buf);
    return { data: buf.subarray(0, n), size: n, eof: n === 0 && request.length > 0, flags: 0 };
  }

  localAddress(): UnixAddress {
    return UNNAMED_UNIX;
  }

  peerAddress(): UnixAddress {
    return UNNAMED_UNIX;
  }

  release(): void {}
}
