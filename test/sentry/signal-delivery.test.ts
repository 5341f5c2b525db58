// The sentry's rules for sending signals, without ptrace: a fake platform holds each host
// thread's mask and records the signals raised on the host.
import { describe, expect, it } from 'vitest';
import { ERESTARTSYS, SysError } from '../../src/abi/errno.js';
import { SIG } from '../../src/abi/linux-signal.js';
import type { HostSignals } from '../../src/sentry/platform/host-signals.js';
import { SignalDelivery } from '../../src/sentry/kernel/signal-delivery.js';
import { SIG_IGN } from '../../src/sentry/kernel/signals.js';
import type { Task } from '../../src/sentry/kernel/task.js';
import { fakeTasks } from './fake-tasks.js';

const bit = (sig: number): bigint => 1n << BigInt(sig - 1);
const HOUR_NS = 3_600_000_000_000n;

function sandbox() {
  const tasks = fakeTasks();
  /** Each host thread's mask (none: blocks nothing). */
  const masks = new Map<number, bigint>();
  const raised: { hostPid: number; hostTid?: number; sig: number }[] = [];
  let caller: Task | undefined;
  const host: HostSignals = {
    blocked: (hostTid) => masks.get(hostTid) ?? 0n,
    stoppedMask: (hostTid) => masks.get(hostTid) ?? 0n,
    raiseInThread: (hostPid, hostTid, sig) => raised.push({ hostPid, hostTid, sig }),
    raiseInProcess: (hostPid, sig) => raised.push({ hostPid, sig }),
    deliverable: () => [],
  };
  const signals = new SignalDelivery({
    procs: tasks.procs,
    host,
    syncCaller: () => caller,
    guard: (_task, _where, fn) => fn(),
  });
  return {
    ...tasks,
    signals,
    masks,
    raised,
    setCaller: (task: Task | undefined) => {
      caller = task;
    },
  };
}

/** A task asleep in a sentry wait, as in a blocking read; resolves to how the wait ended. */
function asleep(task: Task): Promise<string> {
  return task.sleep(HOUR_NS).then(
    () => 'slept',
    (e: unknown) => (e instanceof SysError && e.errno === ERESTARTSYS ? 'ERESTARTSYS' : String(e)),
  );
}

describe('kill(2) of the pid namespace\'s init', () => {
  it('from inside, only a signal init handles reaches it', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    s.signals.signalProcess(init.group, SIG.TERM, false);
    s.signals.signalProcess(init.group, SIG.KILL, false);
    expect(s.raised).toEqual([]);
    init.group.sigactions.set(SIG.TERM, { handler: 0x1000n, flags: 0 });
    s.signals.signalProcess(init.group, SIG.TERM, false);
    expect(s.raised).toEqual([{ hostPid: init.group.hostPid, sig: SIG.TERM }]);
  });

  it('from outside, SIGKILL and SIGSTOP too', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    s.signals.signalProcess(init.group, SIG.TERM, true);
    s.signals.signalProcess(init.group, SIG.KILL, true);
    expect(s.raised).toEqual([{ hostPid: init.group.hostPid, sig: SIG.KILL }]);
  });

  it('a signal init blocks is kept pending, as Linux keeps it', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    s.masks.set(init.hostTid, bit(SIG.USR1));
    s.signals.signalProcess(init.group, SIG.USR1, false);
    expect(s.raised).toEqual([{ hostPid: init.group.hostPid, sig: SIG.USR1 }]);
  });

  it('any other process gets what it is sent; a zombie nothing', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const child = s.spawn(init.group);
    s.signals.signalProcess(child.group, SIG.TERM, false);
    child.group.exitStatus = 0;
    s.signals.signalProcess(child.group, SIG.TERM, false);
    expect(s.raised).toEqual([{ hostPid: child.group.hostPid, sig: SIG.TERM }]);
  });
});

describe('a process-directed signal', () => {
  it('goes to a thread asleep in a sentry wait that does not block it, and ends that wait', async () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const child = s.spawn(init.group);
    const sleeper = s.addThread(child.group);
    s.masks.set(child.hostTid, bit(SIG.USR1));
    const wait = asleep(sleeper);
    s.signals.signalGroup(child.group, SIG.USR1);
    expect(s.raised).toEqual([{ hostPid: child.group.hostPid, hostTid: sleeper.hostTid, sig: SIG.USR1 }]);
    expect(await wait).toBe('ERESTARTSYS');
    expect(sleeper.interruptedBy).toBe(SIG.USR1);
  });

  it('is left to the host when a running thread takes it', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const child = s.spawn(init.group);
    s.addThread(child.group);
    s.signals.signalGroup(child.group, SIG.USR1);
    expect(s.raised).toEqual([{ hostPid: child.group.hostPid, sig: SIG.USR1 }]);
  });

  it('reaches a wasm process through its worker', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const child = s.spawn(init.group);
    const got: number[] = [];
    child.wasmSignal = (sig) => got.push(sig);
    s.signals.signalGroup(child.group, SIG.TERM);
    expect(got).toEqual([SIG.TERM]);
    expect(s.raised).toEqual([]);
  });
});

describe('a thread-directed signal to a task in a sentry wait', () => {
  it('ends the wait unless the task blocks it; SIGKILL always', async () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const task = s.spawn(init.group);
    s.masks.set(task.hostTid, bit(SIG.USR1) | bit(SIG.USR2));
    const wait = asleep(task);
    s.signals.signalTask(task, SIG.USR1);
    expect(task.waiting).toBe(true);
    s.signals.signalTask(task, SIG.KILL);
    expect(await wait).toBe('ERESTARTSYS');
    expect(task.interruptedBy).toBe(SIG.KILL);
  });

  it('an ignored signal leaves the wait alone', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const task = s.spawn(init.group);
    task.group.sigactions.set(SIG.USR1, { handler: SIG_IGN, flags: 0 });
    void asleep(task);
    s.signals.signalTask(task, SIG.USR1);
    expect(task.waiting).toBe(true);
    task.interrupt(SIG.KILL);
  });

  it('an ended task gets nothing', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const task = s.spawn(init.group);
    task.exited = true;
    s.signals.signalTask(task, SIG.USR1);
    expect(s.raised).toEqual([]);
  });
});

describe('a background process touching its terminal', () => {
  it('a read stops its process group with SIGTTIN and restarts after it', () => {
    const s = sandbox();
    const shell = s.spawn(undefined);
    const job = s.spawn(shell.group);
    job.group.pgid = job.pid;
    const jobThread = s.addThread(job.group);
    s.setCaller(jobThread);
    const terminal = { session: shell.group.sid, foreground: shell.group.pgid };
    expect(() => s.signals.checkTerminalAccess(terminal, 'read')).toThrow(SysError);
    expect(jobThread.interruptedBy).toBe(SIG.TTIN);
    // The default action of SIGTTIN is a stop: the host gets SIGSTOP for the group.
    expect(s.raised).toEqual([{ hostPid: job.group.hostPid, sig: SIG.STOP }]);
  });

  it('the foreground group, and a call from no handler, pass', () => {
    const s = sandbox();
    const shell = s.spawn(undefined);
    const terminal = { session: shell.group.sid, foreground: shell.group.pgid };
    s.signals.checkTerminalAccess(terminal, 'read');
    s.setCaller(shell);
    s.signals.checkTerminalAccess(terminal, 'write');
    expect(s.raised).toEqual([]);
  });
});
