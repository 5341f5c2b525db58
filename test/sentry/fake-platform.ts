// A Platform (src/sentry/kernel/platform.ts) without ptrace: one stopped call at a time,
// set by the test as a platform would report it, and a record of what the kernel did with
// it (answers, host runs, restarts, resumes).
import type { Platform } from '../../src/sentry/kernel/platform.js';
import type { SyscallArgs } from '../../src/sentry/kernel/syscall.js';
import type { HostSignals } from '../../src/sentry/platform/host-signals.js';
import type { TaskMemory } from '../../src/sentry/platform/task-memory.js';

/** The registers of a task stopped at a call, as the kernel may read and change them. */
export interface FakeCall {
  hostTid: number;
  nr: number;
  args: bigint[];
  /** The address of the syscall instruction's end (a restart backs up 2 bytes). */
  address: bigint;
  /** What the host returned, once it ran the call. */
  hostResult: bigint;
}

export interface FakePlatform extends Platform {
  /** The call the platform reports next: the task stops at nr with args. */
  stopAt(hostTid: number, nr: number, args?: readonly bigint[]): void;
  /** The host ran the current call, which returned result: the task is at its end. */
  ranOnHost(result: bigint): void;
  readonly current: FakeCall | undefined;
  /** The registers of task hostTid's call, while it is in one (stopped or run by the host). */
  callOf(hostTid: number): FakeCall | undefined;
  readonly answers: { hostTid: number; result: bigint }[];
  readonly resumes: { hostTid: number; toCallEnd: boolean; nr: number; args: readonly bigint[] }[];
  /** Answers awaited from the event loop (expectAnswer's balance). */
  readonly awaited: number;
  /** Tasks that will have gone on to their end when next answered (a SIGKILL meanwhile). */
  readonly ended: Set<number>;
}

export function fakePlatform(): FakePlatform {
  const stopped = new Map<number, FakeCall>();
  let current: FakeCall | undefined;
  let awaited = 0;
  const answers: FakePlatform['answers'] = [];
  const resumes: FakePlatform['resumes'] = [];
  const ended = new Set<number>();
  const call = (): FakeCall => current ?? failNoCall();
  const unsupported = (): never => {
    throw new Error('not used by these tests');
  };
  const hostSignals: HostSignals = {
    blocked: () => 0n,
    stoppedMask: () => 0n,
    setStoppedMask: unsupported,
    queued: unsupported,
    raiseInThread: unsupported,
    raiseInProcess: unsupported,
    deliverable: () => [],
  };
  const leave = (hostTid: number): void => {
    stopped.delete(hostTid);
    if (current?.hostTid === hostTid) current = undefined;
  };
  return {
    stopAt(hostTid, nr, args = [0n, 0n, 0n, 0n, 0n, 0n]) {
      current = { hostTid, nr, args: [...args], address: 0x401002n, hostResult: 0n };
      stopped.set(hostTid, current);
    },
    ranOnHost(result) {
      const ran = resumes.at(-1);
      if (!ran?.toCallEnd) throw new Error('the task was not resumed to its call\'s end');
      current = stopped.get(ran.hostTid) ?? { hostTid: ran.hostTid, nr: ran.nr, args: [...ran.args], address: 0x401002n, hostResult: 0n };
      stopped.set(ran.hostTid, current);
      current.hostResult = result;
    },
    get current() {
      return current;
    },
    callOf: (hostTid) => stopped.get(hostTid),
    answers,
    resumes,
    get awaited() {
      return awaited;
    },
    ended,
    spawn: unsupported,
    reservedRange: { start: 0, end: 0 },
    memoryOf: (): TaskMemory => unsupported(),
    hostLimit: () => 0,
    switchTo(hostTid) {
      current = stopped.get(hostTid);
      return current !== undefined;
    },
    callNumber: () => call().nr,
    callArgs: () => [...call().args] as unknown as SyscallArgs,
    callAddress: () => call().address,
    hostResult: () => call().hostResult,
    setCall(nr, args) {
      const c = call();
      if (nr !== undefined) c.nr = nr;
      if (args) c.args = [...args];
    },
    restartCall() {
      call().address -= 2n;
    },
    commitCall: (hostTid) => stopped.has(hostTid),
    answer(hostTid, result) {
      answers.push({ hostTid, result: BigInt(result) });
      leave(hostTid);
      return 0;
    },
    endedWhileStopped: (hostTid) => ended.has(hostTid),
    prepareHostCall(hostTid, write, nr, args = []) {
      const c = call();
      let below = 0x7ff000n;
      args.forEach((value, i) => {
        if (value === undefined) return;
        if (typeof value === 'bigint') c.args[i] = value;
        else {
          below -= BigInt(value.length);
          write(below, value);
          c.args[i] = below;
        }
      });
      if (nr !== undefined) c.nr = nr;
      return [...c.args] as unknown as SyscallArgs;
    },
    resume(hostTid, toCallEnd) {
      const c = call();
      resumes.push({ hostTid, toCallEnd, nr: c.nr, args: [...c.args] });
      current = undefined;
    },
    expectAnswer(more) {
      awaited += more ? 1 : -1;
    },
    hostSignals,
    newMemoryFile: unsupported,
    writeProtected: unsupported,
    mapSharedFile: unsupported,
    installSeccompFilter: unsupported,
  };
}

function failNoCall(): never {
  throw new Error('no task is stopped at a call');
}
