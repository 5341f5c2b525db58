// How tasks and processes end, without ptrace: a fake platform records the host threads
// the lifecycle kills and reports their ends back as the ptrace platform does.
import { describe, expect, it } from 'vitest';
import { SIG } from '../../src/abi/linux-signal.js';
import { childStateCode } from '../../src/sentry/kernel/signal-senders.js';
import { SA, SIG_IGN } from '../../src/sentry/kernel/signals.js';
import type { Task } from '../../src/sentry/kernel/task.js';
import { TaskLifecycle } from '../../src/sentry/kernel/task-lifecycle.js';
import { fakeTasks } from './fake-tasks.js';

/** An exit(2) with code as the host reports it (WEXITSTATUS in bits 8-15). */
const exited = (code: number): number => code << 8;

/** A sandbox's process tree over a fake platform. */
function sandbox() {
  const tasks = fakeTasks();
  const { procs, spawn, addThread } = tasks;
  const killed: Task[] = [];
  const sigchld: { parent: number; child: number }[] = [];
  const signalled: { pid: number; sig: number }[] = [];
  const exits: { tid: number; status: number }[] = [];
  const sessionsEnded: number[] = [];
  const unparented: { pid: number; status: number }[] = [];
  let ended: number | undefined;
  let endings = 0;
  const lifecycle = new TaskLifecycle({
    procs,
    signals: {
      signalGroup: (group, sig, sender) => {
        if (sig === SIG.CHLD) sigchld.push({ parent: group.pid, child: sender!.pid });
        else signalled.push({ pid: group.pid, sig });
      },
      signalProcess: (group, sig) => signalled.push({ pid: group.pid, sig }),
      // init here has a handler for SIGCHLD alone: it drops every other signal from inside.
      initDiscards: (group, sig) => group === tasks.init() && sig !== SIG.CHLD,
      childSender: (child, status) => ({ pid: child.pid, uid: child.creds.ruid, child: childStateCode(status) }),
    },
    initGroup: tasks.init,
    killHostThread: (task) => killed.push(task),
    processExited: () => undefined,
    heldForTracer: () => false,
    taskExited: (task, status) => exits.push({ tid: task.tid, status }),
    unparentedExited: (group) => unparented.push({ pid: group.pid, status: group.exitStatus! }),
    endSession: (sid) => sessionsEnded.push(sid),
    end: (status) => {
      ended = status;
      endings++;
    },
  });

  /** The platform reports the ends of the host threads the lifecycle killed, as ptrace would. */
  const reapKilled = (): void => {
    for (const task of killed.splice(0)) lifecycle.onTaskExit(task, SIG.KILL);
  };
  return {
    procs, lifecycle, spawn, addThread, reapKilled, killed, sigchld, signalled, exits, sessionsEnded, unparented,
    get ended() {
      return ended;
    },
    get endings() {
      return endings;
    },
  };
}

/** init (pid 1) and a child process of two threads. */
function initAndTwoThreadChild() {
  const s = sandbox();
  const init = s.spawn(undefined);
  const child = s.spawn(init.group);
  return { s, init, child, thread: s.addThread(child.group) };
}

describe('a task ends', () => {
  it('one thread of several: its process lives on and its parent hears nothing', () => {
    const { s, child, thread } = initAndTwoThreadChild();
    s.lifecycle.onTaskExit(thread, exited(0));
    expect(thread.exited).toBe(true);
    expect(s.procs.task(thread.tid)).toBeUndefined();
    expect(child.group.zombie).toBe(false);
    expect(s.sigchld).toEqual([]);
  });

  it('the last thread: its process is a zombie with its status, its parent gets SIGCHLD', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const child = s.spawn(init.group);
    s.lifecycle.onTaskExit(child, exited(3));
    expect(child.group.zombie).toBe(true);
    expect(child.group.exitStatus).toBe(exited(3));
    expect(s.exits).toEqual([{ tid: child.tid, status: exited(3) }]);
    expect(s.sigchld).toEqual([{ parent: init.pid, child: child.pid }]);
    // A zombie keeps its pid until wait4 collects it.
    expect(s.procs.group(child.pid)).toBe(child.group);
    expect(init.group.children.has(child.group)).toBe(true);
  });

  it('the parent gets the exit signal the child was cloned with; init drops one it has no handler for', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const parent = s.spawn(init.group);
    const usr1 = s.spawn(parent.group);
    usr1.group.exitSignal = SIG.USR1;
    const silent = s.spawn(parent.group);
    silent.group.exitSignal = 0;
    const term = s.spawn(init.group);
    term.group.exitSignal = SIG.TERM;
    for (const child of [usr1, silent, term]) s.lifecycle.onTaskExit(child, exited(0));
    expect(s.signalled).toEqual([{ pid: parent.pid, sig: SIG.USR1 }]);
    expect(s.sigchld).toEqual([]);
    // Not SIGCHLD: a zombie until waited for (__WCLONE), whatever the parent's SIGCHLD.
    expect([usr1, silent, term].map((c) => c.group.zombie)).toEqual([true, true, true]);
  });

  it('a parent that ignores SIGCHLD, or sets SA_NOCLDWAIT, leaves no zombie', () => {
    for (const action of [{ handler: SIG_IGN, flags: 0 }, { handler: 0x1000n, flags: SA.NOCLDWAIT }]) {
      const s = sandbox();
      const init = s.spawn(undefined);
      init.group.sigactions.set(SIG.CHLD, action);
      const child = s.spawn(init.group);
      s.lifecycle.onTaskExit(child, exited(0));
      expect(s.procs.group(child.pid)).toBeUndefined();
      expect(init.group.children.size).toBe(0);
    }
  });

  it('a process that ends hands its children to init', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const middle = s.spawn(init.group);
    const grandchild = s.spawn(middle.group);
    s.lifecycle.onTaskExit(middle, exited(0));
    expect(grandchild.group.parent).toBe(init.group);
    expect(init.group.children.has(grandchild.group)).toBe(true);
    expect(middle.group.children.size).toBe(0);
    s.lifecycle.onTaskExit(grandchild, exited(7));
    expect(s.sigchld.at(-1)).toEqual({ parent: init.pid, child: grandchild.pid });
  });

  it('a session leader that ends ends its session', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const leader = s.spawn(init.group);
    leader.group.sid = leader.pid;
    s.lifecycle.onTaskExit(leader, exited(0));
    expect(s.sessionsEnded).toEqual([leader.pid]);
  });

  it('the end of a host thread that a wasm worker replaced is not the task\'s end', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    s.procs.moveToWasm(init);
    s.lifecycle.onTaskExit(init, SIG.KILL);
    expect(init.exited).toBe(false);
    expect(s.ended).toBeUndefined();
  });
});

describe('an exit orphans a process group', () => {
  /** init, and a session of its own: its leader, a process in the leader's group, and that one's child. */
  function session() {
    const s = sandbox();
    const init = s.spawn(undefined);
    const leader = s.spawn(init.group);
    leader.group.pgid = leader.group.sid = leader.pid;
    const parent = s.spawn(leader.group);
    const child = s.spawn(parent.group);
    return { s, leader, parent, child };
  }

  it('a stopped job whose one link its parent was gets SIGHUP, then SIGCONT', () => {
    const { s, parent, child } = session();
    child.group.pgid = child.pid;
    child.group.stopped = true;
    s.lifecycle.onTaskExit(parent, exited(0));
    expect(s.signalled).toEqual([{ pid: child.pid, sig: SIG.HUP }, { pid: child.pid, sig: SIG.CONT }]);
  });

  it('the exiting process\'s own group, left with a stopped member, too', () => {
    const { s, parent, child } = session();
    parent.group.pgid = child.group.pgid = parent.pid;
    child.group.stopped = true;
    s.lifecycle.onTaskExit(parent, exited(0));
    expect(s.signalled).toEqual([{ pid: child.pid, sig: SIG.HUP }, { pid: child.pid, sig: SIG.CONT }]);
  });

  it('nothing for a group with no stopped member, or one still linked in its session', () => {
    const running = session();
    running.child.group.pgid = running.child.pid;
    running.s.lifecycle.onTaskExit(running.parent, exited(0));
    const linked = session();
    linked.child.group.pgid = linked.child.pid;
    linked.child.group.stopped = true;
    // A sibling in the job's group whose parent (the leader) is in another group of the session.
    const sibling = linked.s.spawn(linked.leader.group);
    sibling.group.pgid = linked.child.pid;
    linked.s.lifecycle.onTaskExit(linked.parent, exited(0));
    expect([running.s.signalled, linked.s.signalled]).toEqual([[], []]);
  });
});

describe('init ends', () => {
  it('every other task is killed, and the sandbox ends once with init\'s status', () => {
    const { s, init, child, thread } = initAndTwoThreadChild();
    s.lifecycle.onTaskExit(init, exited(5));
    expect(s.killed).toEqual([child, thread]);
    expect(s.ended).toBeUndefined();
    s.reapKilled();
    expect(s.ended).toBe(exited(5));
    expect(s.endings).toBe(1);
  });

  it('when no host thread is left at all, the sandbox is over whatever the tables say', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    s.spawn(init.group);
    s.lifecycle.allGone();
    expect(init.group.zombie).toBe(true);
    expect(s.ended).toBe(SIG.KILL);
  });
});

describe('a process started from outside (exec)', () => {
  it('has no parent inside: its end is told to its starter, frees its pid and leaves the sandbox running', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const execd = s.spawn(undefined);
    const grandchild = s.spawn(execd.group);
    s.lifecycle.onTaskExit(execd, exited(7));
    expect(s.unparented).toEqual([{ pid: execd.pid, status: exited(7) }]);
    expect(s.procs.group(execd.pid)).toBeUndefined();
    expect(s.sigchld).toEqual([]);
    // Its children go to init, as any orphan's do.
    expect(grandchild.group.parent).toBe(init.group);
    expect(s.ended).toBeUndefined();
  });

  it('is killed when init ends, and the sandbox ends once it is gone', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const execd = s.spawn(undefined);
    s.lifecycle.onTaskExit(init, exited(0));
    expect(s.killed).toEqual([execd]);
    expect(s.ended).toBeUndefined();
    s.reapKilled();
    expect(s.unparented).toEqual([{ pid: execd.pid, status: SIG.KILL }]);
    expect(s.ended).toBe(exited(0));
  });
});

describe('a process is killed', () => {
  it('one live host thread gets SIGKILL, and its parent sees the first fatal status', () => {
    const { s, child, thread } = initAndTwoThreadChild();
    s.lifecycle.killProcess(child.group, SIG.SYS);
    s.lifecycle.killProcess(child.group, SIG.TERM);
    expect(s.killed).toEqual([child, child]);
    s.lifecycle.onTaskExit(child, SIG.KILL);
    s.lifecycle.onTaskExit(thread, SIG.KILL);
    expect(child.group.exitStatus).toBe(SIG.SYS);
  });

  it('a wasm task gets the SIGKILL through its worker; a zombie is left alone', () => {
    const s = sandbox();
    const init = s.spawn(undefined);
    const child = s.spawn(init.group);
    const signals: number[] = [];
    child.wasmSignal = (sig) => signals.push(sig);
    s.lifecycle.killProcess(child.group, SIG.KILL);
    expect(signals).toEqual([SIG.KILL]);
    expect(s.killed).toEqual([]);
    s.lifecycle.taskGone(child, SIG.KILL);
    s.lifecycle.killProcess(child.group, SIG.TERM);
    expect(signals).toEqual([SIG.KILL]);
  });
});
