// proc_exit, proc_raise and the sock_* calls.

import { E, fail } from '../../abi/errno.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Filetype, linuxSignalOfWasi, WASI_SIGNAL_MAX } from './abi.js';
import { OK, type WasiCallContext, type WasiHandler } from './call-context.js';
import { filetypeOf } from './wasi-fds.js';

/** A socket fd, or EBADF / ENOTSOCK as Linux answers for anything else. */
function socketFile(ctx: WasiCallContext, fd: number): void {
  const type = filetypeOf(ctx.fds.file(fd));
  if (type !== Filetype.SOCKET_STREAM && type !== Filetype.SOCKET_DGRAM) fail(E.ENOTSOCK);
  // The sandbox's netstack has no preview1 binding yet: a socket handed to a module
  // cannot be used through these calls.
  fail(E.EOPNOTSUPP);
}

export const processCalls: Record<string, WasiHandler> = {
  proc_exit(ctx, args) {
    ctx.control.exit(args[0] as number);
    return OK;
  },

  async proc_raise(ctx, args) {
    const signal = args[0] as number;
    if (signal < 0 || signal > WASI_SIGNAL_MAX) fail(E.EINVAL);
    if (signal === 0) return OK;
    ctx.task.signalSelf(linuxSignalOfWasi(signal));
    // raise() returns only after delivery: let the sentry act on the signal first.
    await nextTurn();
    return OK;
  },

  sock_accept(ctx, args) {
    socketFile(ctx, args[0] as number);
    return OK;
  },
  sock_recv(ctx, args) {
    socketFile(ctx, args[0] as number);
    return OK;
  },
  sock_send(ctx, args) {
    socketFile(ctx, args[0] as number);
    return OK;
  },
  sock_shutdown(ctx, args) {
    socketFile(ctx, args[0] as number);
    return OK;
  },
};
