// preview1's sock_accept, sock_recv, sock_send and sock_shutdown, on sockets a wasm process
// inherits (a listening socket a native parent handed it, or a connection as its stdio,
// inetd-style) and on those it accepts: the sandbox's own sockets, as recv(2), send(2),
// accept4(2) and shutdown(2) answer them. preview1 has no socket(2), bind or connect.

import { E, fail } from '../../abi/errno.js';
import { MSG, SHUT } from '../../abi/linux-socket.js';
import type { Socket } from '../../netstack/index.js';
import { socketCaller } from '../../sentry/kernel/socket/socket-caller.js';
import { openSocketFile, requireSocket } from '../../sentry/kernel/socket/socket-file.js';
import { acceptWaiting, receiveWaiting, sendWaiting } from '../../sentry/kernel/socket/socket-io.js';
import type { FileDescription } from '../../vfs/api.js';
import { FdFlags, Filetype } from './abi.js';
import { OK, type WasiCallContext, type WasiHandler } from './call-context.js';
import { Right, defaultRights } from './rights.js';

type Fd = number;

/** riflags, roflags and sdflags of preview1. */
const RECV_PEEK = 1;
const RECV_WAITALL = 2;
const RECV_DATA_TRUNCATED = 1;
const SHUTDOWN_RD = 1;
const SHUTDOWN_WR = 2;
const HOW_OF_SDFLAGS: Record<number, number> = { [SHUTDOWN_RD]: SHUT.RD, [SHUTDOWN_WR]: SHUT.WR, [SHUTDOWN_RD | SHUTDOWN_WR]: SHUT.RDWR };

/** The socket behind fd: EBADF, then ENOTSOCK, then the right the call needs (ENOTCAPABLE). */
function socketFile(ctx: WasiCallContext, fd: Fd, right: bigint): { file: FileDescription; socket: Socket } {
  const socket = requireSocket(ctx.fds.file(fd));
  return { file: ctx.fds.file(fd, right), socket };
}

export const socketCalls: Record<string, WasiHandler> = {
  /** The new connection gets a socket's rights, within what the listener may hand on. */
  async sock_accept(ctx, args) {
    const [fd, flags] = args as [Fd, number];
    const { file, socket } = socketFile(ctx, fd, Right.SOCK_ACCEPT);
    if (flags & ~FdFlags.NONBLOCK) fail(E.EINVAL);
    const { task } = ctx;
    const caller = socketCaller(task);
    const connection = await acceptWaiting(task, file, socket, caller);
    const accepted = openSocketFile(task.kernel.vfs, task.fs, connection, (flags & FdFlags.NONBLOCK) !== 0, caller);
    const { inheriting } = ctx.fds.rightsOf(fd, file);
    const rights = defaultRights(Filetype.SOCKET_STREAM, true, true);
    ctx.buffer.values[0] = BigInt(ctx.fds.install(accepted, { base: rights.base & inheriting, inheriting: rights.inheriting & inheriting }));
    return OK;
  },

  async sock_recv(ctx, args) {
    const [fd, length, riflags] = args as [Fd, number, number];
    const { file, socket } = socketFile(ctx, fd, Right.FD_READ);
    if (riflags & ~(RECV_PEEK | RECV_WAITALL)) fail(E.EINVAL);
    const flags = (riflags & RECV_PEEK ? MSG.PEEK : 0) | (riflags & RECV_WAITALL ? MSG.WAITALL : 0);
    const got = receiveWaiting(ctx.task, file, socket, length, flags);
    // An answer given at once is a view of the socket's queue: copied out before anything else runs.
    const message = got instanceof Promise ? await got : got;
    // preview1 has nowhere to put passed files: they are closed, as recv(2) closes them.
    message.rights?.discard();
    ctx.buffer.data.set(message.data);
    ctx.buffer.values[0] = BigInt(message.data.length);
    ctx.buffer.values[1] = BigInt(message.flags & MSG.TRUNC ? RECV_DATA_TRUNCATED : 0);
    return OK;
  },

  /**
   * EPIPE comes back as an error without SIGPIPE (as wasmtime answers): preview1 gives a
   * module no way to ignore the signal, so a server would die of every client that left.
   */
  async sock_send(ctx, args) {
    const [fd, length, siflags] = args as [Fd, number, number];
    const { file, socket } = socketFile(ctx, fd, Right.FD_WRITE);
    if (siflags !== 0) fail(E.EINVAL);
    ctx.buffer.values[0] = BigInt(await sendWaiting(ctx.task, file, socket, { data: ctx.buffer.data.slice(0, length), flags: 0 }, MSG.NOSIGNAL));
    return OK;
  },

  sock_shutdown(ctx, args) {
    const [fd, sdflags] = args as [Fd, number];
    const { socket } = socketFile(ctx, fd, Right.SOCK_SHUTDOWN);
    const how = HOW_OF_SDFLAGS[sdflags];
    if (how === undefined) fail(E.EINVAL);
    socket.shutdown(how);
    return OK;
  },
};
