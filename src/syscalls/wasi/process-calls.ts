// proc_exit, proc_raise and the sock_* calls.

import { E, fail } from '../../abi/errno.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Filetype, linuxSignalOfWasi, WASI_SIGNAL_MAX } from './abi.js';
import { OK, type WasiHandler } from './call-context.js';
import { filetypeOf } from './wasi-fds.js';

/**
 * sock_accept, sock_recv, sock_send and sock_shutdown: EBADF / ENOTSOCK as Linux answers
 * for an fd that is not a socket. The sandbox's netstack has no preview1 binding yet, so a
 * socket handed to a module cannot be used through these calls (EOPNOTSUPP).
 */
const socketCall: WasiHandler = (ctx, args) => {
  const type = filetypeOf(ctx.fds.file(args[0] as number));
  if (type !== Filetype.SOCKET_STREAM && type !== Filetype.SOCKET_DGRAM) fail(E.ENOTSOCK);
  return fail(E.EOPNOTSUPP);
};

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

  sock_accept: socketCall,
  sock_recv: socketCall,
  sock_send: socketCall,
  sock_shutdown: socketCall,
};
