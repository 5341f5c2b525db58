// HostSignalCalls on the ptrace platform: the task's trapped call is rewritten into the
// host call that has the wanted effect on its signal state, and its own registers come
// back at the syscall exit (see masked-waits.ts for why these need the host kernel).

import { E, fail } from '../abi/errno.js';
import { SIGINFO_SIZE, SIGSET_SIZE } from '../abi/linux-signal.js';
import { NR } from '../abi/linux-syscalls.js';
import { REG, type Tracer } from '../native/ptrace.js';
import { setAwaitedSignals, type HostSignalCalls } from './masked-waits.js';
import { scratchBelowStack } from './memory.js';
import { showSiginfo } from './signal-senders.js';
import { RUN_ON_HOST, type SyscallArgs, type SyscallResult, type SyscallTask } from './syscall.js';
import type { Task } from './task.js';


/** What the calls use of the ptrace sandbox. */
export interface TracedTasks {
  readonly tracer: Tracer;
  taskByTid(tid: number): Task | undefined;
}

export class PtraceSignalCalls implements HostSignalCalls {
  constructor(private readonly sandbox: TracedTasks) {}

  private get tracer(): Tracer {
    return this.sandbox.tracer;
  }

  interruptUnderMask(caller: SyscallTask, mask: bigint): typeof RUN_ON_HOST {
    const task = this.stoppedTask(caller);
    const regs = this.tracer.regs;
    // ppoll(NULL, 0, {0, 0}, &mask): with the signal pending and unblocked by mask it
    // returns ERESTARTNOHAND at once, and the kernel delivers the signal with the task's
    // own mask saved in the frame, as after a real ppoll.
    const scratch = this.scratch(24);
    const data = Buffer.alloc(24);
    data.writeBigUInt64LE(BigInt.asUintN(64, mask), 16);
    task.mem.write(scratch, data);
    regs[REG.orig_rax] = BigInt(NR.ppoll);
    regs[REG.rdi] = 0n;
    regs[REG.rsi] = 0n;
    regs[REG.rdx] = scratch;
    regs[REG.r10] = scratch + 16n;
    regs[REG.r8] = SIGSET_SIZE;
    if (this.tracer.setRegs(task.hostTid) !== 0) fail(E.EINTR);
    // 0: the signal was taken by another thread meanwhile; the wait still ended.
    task.exitHook = (result) => (result === 0n ? -E.EINTR : result);
    return RUN_ON_HOST;
  }

  sigtimedwait(caller: SyscallTask, args: SyscallArgs): typeof RUN_ON_HOST {
    const task = this.stoppedTask(caller);
    const awaited = task.mem.read(args[0], 8).readBigUInt64LE();
    const userInfo = args[1];
    // Without a siginfo pointer the host writes it to scratch: its sender is used up too.
    let infoAddr = userInfo;
    if (userInfo === 0n) {
      infoAddr = this.scratch(SIGINFO_SIZE);
      this.tracer.regs[REG.rsi] = infoAddr;
      if (this.tracer.setRegs(task.hostTid) !== 0) fail(E.ESRCH);
    }
    setAwaitedSignals(task, awaited);
    task.exitHook = (result) => {
      setAwaitedSignals(task, undefined);
      if (result <= 0n) return result;
      try {
        const info = task.mem.read(infoAddr, SIGINFO_SIZE);
        if (showSiginfo(info, task.group, Number(result)) && userInfo !== 0n) task.mem.write(userInfo, info);
      } catch {
        // The host kernel has just written there: only an unmapping thread could fail us.
      }
      return result;
    };
    return RUN_ON_HOST;
  }

  takeSignal(caller: SyscallTask, set: bigint, block: boolean, taken: (info: Buffer, sig: number) => SyscallResult): typeof RUN_ON_HOST {
    const task = this.stoppedTask(caller);
    const regs = this.tracer.regs;
    // set (8 bytes), a zero timeout (16), then the siginfo the host fills (128).
    const scratch = this.scratch(24 + SIGINFO_SIZE);
    const data = Buffer.alloc(24);
    data.writeBigUInt64LE(BigInt.asUintN(64, set), 0);
    task.mem.write(scratch, data);
    regs[REG.orig_rax] = BigInt(NR.rt_sigtimedwait);
    regs[REG.rdi] = scratch;
    regs[REG.rsi] = scratch + 24n;
    regs[REG.rdx] = block ? 0n : scratch + 8n;
    regs[REG.r10] = SIGSET_SIZE;
    if (this.tracer.setRegs(task.hostTid) !== 0) fail(E.ESRCH);
    setAwaitedSignals(task, set);
    task.exitHook = (result) => {
      setAwaitedSignals(task, undefined);
      if (result <= 0n) return result;
      try {
        const info = task.mem.read(scratch + 24n, SIGINFO_SIZE);
        showSiginfo(info, task.group, Number(result));
        return taken(info, Number(result));
      } catch {
        // A buffer another thread unmapped meanwhile: the signal is gone, as Linux's EFAULT leaves it.
        return -E.EFAULT;
      }
    };
    return RUN_ON_HOST;
  }

  /** The Task behind a handler's caller, its registers in the tracer's buffer. */
  private stoppedTask(caller: SyscallTask): Task {
    const task = this.sandbox.taskByTid(caller.tid);
    if (!task || task !== caller || task.exited) fail(E.ESRCH);
    if (this.tracer.getRegs(task.hostTid) !== 0) fail(E.ESRCH);
    return task;
  }

  private scratch(length: number): bigint {
    return scratchBelowStack(this.tracer.regs[REG.rsp]!, length);
  }
}
