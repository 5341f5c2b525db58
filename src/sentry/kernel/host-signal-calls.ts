// HostSignalCalls for tasks that run as host threads: the task's trapped call is rewritten
// into the host call that has the wanted effect on its signal state, and its own registers
// come back at the syscall exit (see masked-waits.ts for why these need the host kernel).

import { E } from '../../abi/errno.js';
import { SIGINFO_SIZE, SIGSET_SIZE } from '../../abi/linux-signal.js';
import { NR } from '../../abi/linux-syscalls.js';
import { setAwaitedSignals, type HostSignalCalls } from './masked-waits.js';
import { showSiginfo } from './signal-senders.js';
import type { HostCall, SyscallArgs, SyscallResult, SyscallTask } from './syscall.js';
import type { ThreadGroup } from './thread-group.js';

/** A struct timespec of zero: a wait that returns at once. */
const NO_WAIT = 16;

export class HostThreadSignalCalls implements HostSignalCalls {
  /** groupOf: the thread group of a caller (its siginfo's sender is looked up there). */
  constructor(private readonly groupOf: (task: SyscallTask) => ThreadGroup) {}

  interruptUnderMask(_task: SyscallTask, mask: bigint): HostCall {
    // ppoll(NULL, 0, {0, 0}, &mask): with the signal pending and unblocked by mask it
    // returns ERESTARTNOHAND at once, and the kernel delivers the signal with the task's
    // own mask saved in the frame, as after a real ppoll.
    const sigset = Buffer.alloc(8);
    sigset.writeBigUInt64LE(BigInt.asUintN(64, mask));
    return {
      kind: 'host',
      nr: NR.ppoll,
      args: [0n, 0n, new Uint8Array(NO_WAIT), sigset, BigInt(SIGSET_SIZE)],
      // 0: the signal was taken by another thread meanwhile; the wait still ended.
      complete: (result) => (result === 0n ? -E.EINTR : result),
    };
  }

  sigtimedwait(task: SyscallTask, args: SyscallArgs): HostCall {
    const awaited = task.mem.read(args[0], 8).readBigUInt64LE();
    const userInfo = args[1];
    setAwaitedSignals(task, awaited);
    return {
      kind: 'host',
      // Without a siginfo pointer the host writes it to scratch: its sender is used up too.
      args: userInfo === 0n ? [undefined, new Uint8Array(SIGINFO_SIZE)] : undefined,
      complete: (result, ran) => {
        setAwaitedSignals(task, undefined);
        if (result <= 0n) return result;
        try {
          const info = task.mem.read(ran[1], SIGINFO_SIZE);
          if (showSiginfo(info, this.groupOf(task), Number(result)) && userInfo !== 0n) task.mem.write(userInfo, info);
        } catch {
          // The host kernel has just written there: only an unmapping thread could fail us.
        }
        return result;
      },
    };
  }

  takeSignal(task: SyscallTask, set: bigint, block: boolean, taken: (info: Buffer, sig: number) => SyscallResult): HostCall {
    const sigset = Buffer.alloc(8);
    sigset.writeBigUInt64LE(BigInt.asUintN(64, set));
    setAwaitedSignals(task, set);
    return {
      kind: 'host',
      nr: NR.rt_sigtimedwait,
      // set, the siginfo the host fills, a zero timeout unless it waits.
      args: [sigset, new Uint8Array(SIGINFO_SIZE), block ? 0n : new Uint8Array(NO_WAIT), BigInt(SIGSET_SIZE)],
      complete: (result, ran) => {
        setAwaitedSignals(task, undefined);
        if (result <= 0n) return result;
        try {
          const info = task.mem.read(ran[1], SIGINFO_SIZE);
          showSiginfo(info, this.groupOf(task), Number(result));
          return taken(info, Number(result));
        } catch {
          // A buffer another thread unmapped meanwhile: the signal is gone, as Linux's EFAULT leaves it.
          return -E.EFAULT;
        }
      },
    };
  }
}
