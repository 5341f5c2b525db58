// The kernel's side of a platform's events other than trapped calls, without ptrace: a
// clone the host made, an exec by a non-leader thread, a group-stop, a signal delivery.
import { describe, expect, it } from 'vitest';
import { CLONE } from '../../src/abi/linux-clone.js';
import { SIG } from '../../src/abi/linux-signal.js';
import { FdTable } from '../../src/sentry/kernel/fd-table.js';
import { Task } from '../../src/sentry/kernel/task.js';
import { TaskEvents } from '../../src/sentry/kernel/task-events.js';
import type { ThreadGroup } from '../../src/sentry/kernel/thread-group.js';
import type { FsContext } from '../../src/vfs/api.js';
import { fakeTasks } from './fake-tasks.js';

const THREAD_FLAGS = CLONE.VM | CLONE.FS | CLONE.FILES | CLONE.SIGHAND | CLONE.THREAD;

function kernel() {
  const tasks = fakeTasks();
  const forked: [number, number][] = [];
  const sigchld: { parent: number; child: number }[] = [];
  const killed: { pid: number; status: number }[] = [];
  let initDrops = false;
  const events = new TaskEvents({
    procs: tasks.procs,
    lifecycle: {
      killProcess: (group, status) => killed.push({ pid: group.pid, status }),
      commitExec: () => undefined,
    },
    signals: {
      initDropsAtDelivery: () => initDrops,
      signalGroup: (group, _sig, sender) => sigchld.push({ parent: group.pid, child: sender!.pid }),
      childSender: (child) => ({ pid: child.pid, uid: 0 }),
    },
    ipc: { processForked: (parent, child) => forked.push([parent, child]) },
    addTask: (tid: number, hostTid: number, group: ThreadGroup, fds: FdTable, fs: FsContext) => {
      const task = new Task(tid, hostTid, group, fds, fs, {} as Task['kernel'], { read: () => Buffer.alloc(0), readInto: () => undefined, write: () => undefined, readCString: () => '' }, { signal: () => undefined });
      tasks.procs.add(task);
      return task;
    },
    ticks: () => 0,
  });
  const init = tasks.spawn(undefined);
  init.group.comm = 'sh';
  return {
    events, tasks, init, forked, sigchld, killed,
    dropAtInit: () => {
      initDrops = true;
    },
  };
}

describe('a clone the host made', () => {
  it('of a process is a child process with copies of its parent\'s fds and books', () => {
    const k = kernel();
    k.init.cloneInFlight = { flags: BigInt(SIG.CHLD), parentTidAddr: 0n, childTidAddr: 0n };
    const child = k.events.cloned(k.init, 5001)!;
    expect(child.group).not.toBe(k.init.group);
    expect(child.group.parent).toBe(k.init.group);
    expect(k.init.group.children.has(child.group)).toBe(true);
    expect(child.group.hostPid).toBe(5001);
    expect(child.group.comm).toBe('sh');
    expect(child.fds).not.toBe(k.init.fds);
    expect(child.mm).not.toBe(k.init.mm);
    expect(k.init.cloneInFlight?.child).toBe(child);
    expect(child.awaitingFirstStop).toBe(true);
    expect(k.forked).toEqual([[k.init.pid, child.tid]]);
    expect(k.tasks.procs.taskOfHost(5001)).toBe(child);
  });

  it('of a thread is a task of the same process sharing its fds and address space', () => {
    const k = kernel();
    k.init.cloneInFlight = { flags: THREAD_FLAGS, parentTidAddr: 0n, childTidAddr: 0n };
    const thread = k.events.cloned(k.init, 5002)!;
    expect(thread.group).toBe(k.init.group);
    expect(thread.mm).toBe(k.init.mm);
    expect(thread.threadComm).toBe('sh');
    expect(k.forked).toEqual([]);
  });

  it('that the sentry did not ask for makes no task', () => {
    const k = kernel();
    expect(k.events.cloned(k.init, 5003)).toBeUndefined();
  });
});

describe('an exec', () => {
  it('by a thread other than the leader gives it the leader\'s tid; the leader\'s task is gone', () => {
    const k = kernel();
    k.init.cloneInFlight = { flags: THREAD_FLAGS, parentTidAddr: 0n, childTidAddr: 0n };
    const thread = k.events.cloned(k.init, 5004)!;
    const leaderTid = k.init.tid;
    const leaderHost = k.init.hostTid;
    const execing = k.events.execed(k.init, 5004);
    expect(execing).toBe(thread);
    expect(thread.tid).toBe(leaderTid);
    expect(thread.hostTid).toBe(leaderHost);
    expect(k.init.exited).toBe(true);
    expect(k.tasks.procs.task(leaderTid)).toBe(thread);
  });

  it('by the leader keeps it', () => {
    const k = kernel();
    expect(k.events.execed(k.init, k.init.hostTid)).toBe(k.init);
    expect(k.init.exited).toBe(false);
  });
});

describe('a group-stop', () => {
  it('tells the parent once when it begins and once when it ends', () => {
    const k = kernel();
    k.init.cloneInFlight = { flags: BigInt(SIG.CHLD), parentTidAddr: 0n, childTidAddr: 0n };
    const child = k.events.cloned(k.init, 5005)!;
    k.events.groupStopChanged(child, SIG.TSTP);
    k.events.groupStopChanged(child, SIG.TSTP);
    k.events.groupStopChanged(child, undefined);
    expect(k.sigchld).toEqual([
      { parent: k.init.pid, child: child.pid },
      { parent: k.init.pid, child: child.pid },
    ]);
  });
});

describe('a signal about to be delivered', () => {
  it('goes on, or is dropped when init\'s rule drops it', () => {
    const k = kernel();
    expect(k.events.delivering(k.init, k.init.hostTid, SIG.USR1, () => undefined)).toBe('deliver');
    k.dropAtInit();
    expect(k.events.delivering(k.init, k.init.hostTid, SIG.USR1, () => undefined)).toBe('drop');
    expect(k.killed).toEqual([]);
  });

  it('shows a seccomp trap\'s SIGSYS with the siginfo the kernel built, once', () => {
    const k = kernel();
    const built = Buffer.alloc(128, 7);
    k.init.seccompSiginfo = built;
    expect(k.events.siginfoShown(k.init, SIG.SYS, () => undefined)).toBe(built);
    expect(k.events.siginfoShown(k.init, SIG.SYS, () => undefined)).toBeUndefined();
  });
});
