// Tasks and processes of a sandbox without a platform behind them: a process table whose
// tasks have made-up host ids, no memory and no kernel services but their futex waiters,
// for the kernel's rules.
import { makeCredentials } from '../../src/sentry/kernel/credentials.js';
import { FdTable } from '../../src/sentry/kernel/fd-table.js';
import { PiFutexes } from '../../src/sentry/kernel/futex/pi.js';
import { ProcessTable } from '../../src/sentry/kernel/process-table.js';
import { RlimitTable } from '../../src/sentry/kernel/rlimits.js';
import { SignalActions } from '../../src/sentry/kernel/signals.js';
import type { KernelServices, TaskMemory } from '../../src/sentry/kernel/syscall.js';
import { Task } from '../../src/sentry/kernel/task.js';
import { ThreadGroup } from '../../src/sentry/kernel/thread-group.js';
import type { FsContext } from '../../src/vfs/api.js';

const creds = makeCredentials({ uid: 0, gid: 0, groups: [], effective: 0n, permitted: 0n, inheritable: 0n, bounding: 0n });
const noMemory: TaskMemory = {
  read: () => Buffer.alloc(0),
  readInto: () => undefined,
  write: () => undefined,
  readCString: () => '',
};

export interface FakeTasks {
  readonly procs: ProcessTable;
  /** The first process spawned. */
  init(): ThreadGroup | undefined;
  /** A new process (its leader returned) of parent, in parent's process group and session. */
  spawn(parent: ThreadGroup | undefined): Task;
  /** A new thread of group. */
  addThread(group: ThreadGroup): Task;
}

export function fakeTasks(): FakeTasks {
  const procs = new ProcessTable();
  let init: ThreadGroup | undefined;
  let nextHost = 1000;
  const kernel = { futexes: new PiFutexes() } as KernelServices;
  const addThread = (group: ThreadGroup, tid = procs.allocatePid(), hostTid = ++nextHost): Task => {
    const task = new Task(tid, hostTid, group, new FdTable(), {} as FsContext, kernel, noMemory, { signal: () => undefined });
    procs.add(task);
    return task;
  };
  return {
    procs,
    init: () => init,
    spawn: (parent) => {
      const pid = procs.allocatePid();
      const group = new ThreadGroup(pid, ++nextHost, parent, parent?.pgid ?? pid, parent?.sid ?? pid, new SignalActions(), RlimitTable.fromSpec(undefined), creds, 0);
      parent?.children.add(group);
      init ??= group;
      return addThread(group, pid, group.hostPid);
    },
    addThread,
  };
}
