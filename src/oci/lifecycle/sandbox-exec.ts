// `exec` inside a container's sentry: a new process in the running sandbox (the kernel's
// startProcess; in a wasm container, a new WASI process, whose program must be a wasm
// module) from the process object of the request, checked here again since anyone
// who may connect to the control socket can send one. Its stdio are the fds the client
// sent (the sandbox owns and closes them), or with process.terminal and a console socket,
// a new pty whose master goes there as runc sends it (and a relay on the host that
// controls it, so what its line discipline raises is not lost); the fds it sent after
// stdio are the process's fds 3, 4, ... (--preserve-fds). The answer follows the process:
// its pid first, then its raw wait status; signals the client sends go to it.

import { closeSync, constants, openSync } from 'node:fs';
import net from 'node:net';
import { isatty } from 'node:tty';
import { O } from '../../abi/linux-fcntl.js';
import { Sandbox } from '../../sentry/kernel/sandbox.js';
import { isValidSignal } from '../../sentry/kernel/signals.js';
import type { StartGate } from '../../sentry/kernel/start-gate.js';
import { openHostStdio } from '../../sentry/kernel/files/host-file.js';
import type { FileDescription, FsContext } from '../../vfs/api.js';
import type { ExecExited, ExecRequest, ExecSignal, ExecStarted } from '../control/protocol.js';
import { FollowedAnswer, type ReceivedFds } from '../control/server.js';
import { checkedProcess } from '../process-check.js';
import type { JobControlTerminal } from '../../sentry/kernel/files/host-file-termios.js';
import type { ThreadGroup } from '../../sentry/kernel/thread-group.js';
import { openConsole, startTerminalRelay } from './console.js';
import { MAX_PRESERVED_FDS, openPreservedFds } from './preserved-fds.js';
import { controlTerminal, newProcessOf, ptysOf, raiseFromTerminal, type AnySandbox } from './linux-sandbox.js';
import { TerminalRelay } from './terminal-relay.js';

/** The fds an exec's client sends: its stdin, stdout and stderr. */
const STDIO_FDS = 3;

/** Why a container takes no exec now (runc's words), or undefined when it does. */
export function execRefusal(sandbox: AnySandbox, gate: StartGate): string | undefined {
  const init = sandbox.initGroup;
  if (!init || init.zombie) return 'cannot exec in a stopped container';
  if (!gate.isOpen) return 'cannot exec in a created container: start it first';
  if (sandbox instanceof Sandbox && sandbox.freezer.paused) return 'cannot exec in a paused container';
  return undefined;
}

export async function execInSandbox(sandbox: AnySandbox, gate: StartGate, request: ExecRequest, received: ReceivedFds): Promise<FollowedAnswer> {
  const refusal = execRefusal(sandbox, gate);
  if (refusal !== undefined) throw new Error(refusal);
  const process = checkedProcess('exec process', request.process);
  const consoleSocket = request.consoleSocket;
  if (consoleSocket !== undefined && typeof consoleSocket !== 'string') throw new Error('exec: /consoleSocket must be a string');
  const console = process.terminal === true && consoleSocket !== undefined;
  const preserved = request.preserveFds ?? 0;
  if (!Number.isInteger(preserved) || preserved < 0 || preserved > MAX_PRESERVED_FDS) {
    throw new Error(`exec: /preserveFds must be an integer from 0 to ${MAX_PRESERVED_FDS}, got ${JSON.stringify(preserved)}`);
  }
  if (received.count !== STDIO_FDS + preserved) {
    const what = preserved > 0 ? `stdin, stdout, stderr and ${preserved} preserved fds` : 'stdin, stdout and stderr';
    throw new Error(`exec: the request must carry ${what} (${STDIO_FDS + preserved} fds), got ${received.count}`);
  }
  const vfs = sandbox.kernel.vfs;
  const ptys = ptysOf(sandbox);
  const hostStdio = { ownsFd: true, ...(ptys ? { ptys } : {}) };
  let relay: net.Socket | undefined;
  let ptyRelay: TerminalRelay | undefined;
  const openStdio = (ctx: FsContext): FileDescription[] => {
    // First what may fail: until take(), the received fds are the server's to close.
    const opened = console ? consoleFds(consoleSocket) : undefined;
    const sent = received.take();
    let stdio = sent.slice(0, STDIO_FDS);
    if (!opened && process.terminal === true && ptys && !isatty(stdio[0]!)) {
      const relayed = TerminalRelay.open(vfs, ctx, ptys, stdio, true);
      ptyRelay = relayed.relay;
      return [...relayed.stdio, ...openPreservedFds(vfs, ctx, sent.slice(STDIO_FDS), hostStdio)];
    }
    if (opened) {
      // The pty is the process's stdio: the client's own go unused.
      for (const fd of stdio) closeSync(fd);
      stdio = opened.stdio;
      relay = new net.Socket({ fd: opened.relay, readable: true, writable: false });
    }
    return [
      ...stdio.map((fd, i) => openHostStdio(vfs, ctx, fd, i === 0 ? O.RDONLY : O.WRONLY, hostStdio)),
      ...openPreservedFds(vfs, ctx, sent.slice(STDIO_FDS), hostStdio),
    ];
  };
  let terminal: JobControlTerminal | undefined;
  let started: { group: ThreadGroup; exited: Promise<number> };
  try {
    const spec = newProcessOf(vfs, process, openStdio);
    // A wasm sandbox's resolves once the module is compiled and running.
    started = await sandbox.startProcess(spec, (group) => {
      const stdin = spec.stdio[0];
      if (ptyRelay) ptyRelay.start(group.pid);
      else if (process.terminal === true && stdin) terminal = controlTerminal(sandbox, stdin, group.pid);
    });
  } catch (error) {
    relay?.destroy();
    await ptyRelay?.finish();
    throw error;
  }
  const { group, exited } = started;
  if (relay) relayTerminalSignals(sandbox, relay, () => terminal);
  void exited.finally(() => relay?.destroy());
  return new FollowedAnswer(
    { pid: group.pid } satisfies ExecStarted,
    exited.then(async (status): Promise<ExecExited> => {
      await ptyRelay?.finish();
      return { exit: status };
    }),
    (message) => {
      const { signal: sig, terminal: fromTerminal } = message as Partial<ExecSignal>;
      if (typeof sig !== 'number' || !isValidSignal(sig)) return;
      if (fromTerminal === true && terminal && raiseFromTerminal(sandbox, terminal, sig)) return;
      if (!group.zombie) sandbox.signalProcess(group, sig, true);
    },
  );
}

/** What the terminal relay of an exec's pty reports, each byte a signal the terminal raised. */
function relayTerminalSignals(sandbox: AnySandbox, relay: net.Socket, terminal: () => JobControlTerminal | undefined): void {
  relay.on('error', () => relay.destroy());
  relay.on('data', (bytes: Buffer) => {
    const controlled = terminal();
    if (!controlled) return;
    for (const sig of bytes) if (isValidSignal(sig)) raiseFromTerminal(sandbox, controlled, sig);
  });
}

/**
 * A new pty for the process, its master sent to consoleSocket: the slave three times over,
 * and the socket of the relay that controls it on the host.
 */
function consoleFds(consoleSocket: string): { stdio: number[]; relay: number } {
  const { slaveFd, name } = openConsole(consoleSocket, false);
  const stdio = [slaveFd];
  try {
    const reopen = (): number => openSync(name, constants.O_RDWR | constants.O_NOCTTY);
    stdio.push(reopen(), reopen());
    return { stdio, relay: startTerminalRelay(slaveFd) };
  } catch (error) {
    for (const fd of stdio) closeSync(fd);
    throw error;
  }
}
