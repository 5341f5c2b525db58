// `exec` inside a container's sentry: a new process in the running sandbox (the kernel's
// startProcess) from the process object of the request, checked here again since anyone
// who may connect to the control socket can send one. Its stdio are the fds the client
// sent (the sandbox owns and closes them), or with process.terminal and a console socket,
// a new pty whose master goes there as runc sends it. The answer follows the process:
// its pid first, then its raw wait status; signals the client sends go to it.

import { constants, openSync } from 'node:fs';
import { O } from '../../abi/linux-fcntl.js';
import { Sandbox } from '../../sentry/kernel/sandbox.js';
import { isValidSignal } from '../../sentry/kernel/signals.js';
import type { StartGate } from '../../sentry/kernel/start-gate.js';
import { openHostStdio } from '../../sentry/kernel/files/host-file.js';
import type { FileDescription, FsContext } from '../../vfs/api.js';
import type { ExecExited, ExecRequest, ExecSignal, ExecStarted } from '../control/protocol.js';
import { FollowedAnswer, type ReceivedFds } from '../control/server.js';
import { checkedProcess } from '../process-check.js';
import { openConsole } from './console.js';
import { controlTerminal, newProcessOf, type AnySandbox } from './linux-sandbox.js';

/** The fds an exec's client sends: its stdin, stdout and stderr. */
const STDIO_FDS = 3;

/** Why a container takes no exec now (runc's words), or undefined when it does. */
export function execRefusal(sandbox: AnySandbox, gate: StartGate): string | undefined {
  const init = sandbox.initGroup;
  if (!init || init.zombie) return 'cannot exec in a stopped container';
  if (!gate.isOpen) return 'cannot exec in a created container: start it first';
  if (!(sandbox instanceof Sandbox)) return 'cannot exec in a container running a wasm module: it has one process';
  if (sandbox.freezer.paused) return 'cannot exec in a paused container';
  return undefined;
}

export function execInSandbox(sandbox: AnySandbox, gate: StartGate, request: ExecRequest, received: ReceivedFds): FollowedAnswer {
  const refusal = execRefusal(sandbox, gate);
  if (refusal !== undefined) throw new Error(refusal);
  const linux = sandbox as Sandbox;
  const process = checkedProcess('exec process', request.process);
  const consoleSocket = request.consoleSocket;
  if (consoleSocket !== undefined && typeof consoleSocket !== 'string') throw new Error('exec: /consoleSocket must be a string');
  const console = process.terminal === true && consoleSocket !== undefined;
  if (!console && received.count !== STDIO_FDS) {
    throw new Error(`exec: the request must carry stdin, stdout and stderr (${STDIO_FDS} fds), got ${received.count}`);
  }
  const vfs = linux.kernel.vfs;
  const openStdio = (ctx: FsContext): FileDescription[] => {
    const fds = console ? consoleFds(consoleSocket) : received.take();
    return fds.map((fd, i) => openHostStdio(vfs, ctx, fd, i === 0 ? O.RDONLY : O.WRONLY, true));
  };
  const spec = newProcessOf(vfs, process, openStdio);
  const { group, exited } = linux.startProcess(spec, (started) => {
    const stdin = spec.stdio[0];
    if (process.terminal === true && stdin) controlTerminal(linux, stdin, started.pid);
  });
  const started: ExecStarted = { pid: group.pid };
  return new FollowedAnswer(
    started,
    exited.then((status): ExecExited => ({ exit: status })),
    (message) => {
      const sig = (message as Partial<ExecSignal>).signal;
      if (typeof sig === 'number' && isValidSignal(sig) && !group.zombie) linux.signalProcess(group, sig, true);
    },
  );
}

/** A new pty for the process, its master sent to consoleSocket: the slave three times over. */
function consoleFds(consoleSocket: string): number[] {
  const { slaveFd, name } = openConsole(consoleSocket, false);
  const reopen = (): number => openSync(name, constants.O_RDWR | constants.O_NOCTTY);
  return [slaveFd, reopen(), reopen()];
}
