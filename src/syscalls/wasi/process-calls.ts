// proc_exit and proc_raise.

import { E, fail } from '../../abi/errno.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { linuxSignalOfWasi, WASI_SIGNAL_MAX } from './abi.js';
import { OK, type WasiHandler } from './call-context.js';

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

};
